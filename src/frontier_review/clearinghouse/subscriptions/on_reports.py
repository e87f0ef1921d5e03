"""The reports slice's ``ReportDisseminated``, heard here: the matching subscriptions are told.

Registered by the composition root. The report's facts and its audience come from the reports
slice's public face (:func:`~frontier_review.clearinghouse.reports.dissemination.disseminated`);
an organization hears of a report only when all its members may read it (never under TLP:RED).
Runs in the transaction that widened the report's audience, so the notices commit with it.
"""

from __future__ import annotations

import uuid

from frontier_review.clearinghouse.reports.dissemination import Disseminated, disseminated
from frontier_review.clearinghouse.reports.events import ReportDisseminated
from frontier_review.clearinghouse.subscriptions.domain import ReportNotice
from frontier_review.clearinghouse.subscriptions.fanout import fan_out
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory

__all__ = ["notice_of", "on_report_disseminated"]


def notice_of(facts: Disseminated) -> ReportNotice:
    """What subscriptions match on, from the reports' facts."""
    return ReportNotice(
        report_id=facts.report_id,
        title=facts.title,
        label=facts.label,
        sectors=facts.sectors,
        purls=facts.purls,
        cpes=facts.cpes,
        priority_score=facts.priority_score,
        priority_band=facts.priority_band,
        url_path=facts.url_path,
        validated=facts.validated,
    )


def on_report_disseminated(uow: UnitOfWork, event: ReportDisseminated) -> None:
    """Fan the report out to the subscriptions it matches, for organizations in its audience."""
    facts = disseminated(uow, event.report_id)

    def may_receive(org_id: uuid.UUID) -> bool:
        card = directory.find_organization(uow, org_id)
        return card is not None and facts.whole_organization_reads(card.id, card.kind)

    fan_out(uow, notice_of(facts), may_receive=may_receive)
