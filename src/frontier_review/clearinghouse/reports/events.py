"""Domain events the reports slice publishes; other slices subscribe in the composition root."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

__all__ = ["ReportDisseminated"]


@dataclass(frozen=True)
class ReportDisseminated:
    """A report reached a wider audience: it was validated, or its label or recipients changed.

    Published inside the transaction that made the change (``uow.publish``), so a reaction (the
    subscriptions slice's notices and webhooks) commits with it or not at all. A handler must
    ask ``reports.reads_report`` (or ``get_report`` as each recipient) before telling anyone
    anything: the event carries only the id, never the report.
    """

    report_id: uuid.UUID
