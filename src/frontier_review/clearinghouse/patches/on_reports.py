"""The reports slice's ``ReportDisseminated``, heard here: a disseminated report with a fix gets its records.

Registered by the composition root beside the subscriptions' fan-out; runs in the transaction
that widened the report's audience, so the records commit with it or not at all.
"""

from __future__ import annotations

from frontier_review.clearinghouse.patches.service import distribute
from frontier_review.clearinghouse.reports import ReportDisseminated
from frontier_review.db.uow import UnitOfWork

__all__ = ["on_report_disseminated"]


def on_report_disseminated(uow: UnitOfWork, event: ReportDisseminated) -> None:
    """Create the distribution records the report now calls for (idempotent)."""
    distribute(uow, event.report_id)
