"""What a report that reached more people says to those who listen for it, and who may hear it.

The subscriptions slice hears :class:`~.events.ReportDisseminated` and must tell only whole
organizations in the report's audience. :func:`disseminated` gives it the report's matchable
facts (sectors, products, priority) with the one audience question, asked for an organization
as a whole: whether any of its members, named or not, may read the report. Under TLP:RED that is
never true (only named people read it), so nothing org-wide ever carries a RED report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from frontier_review.clearinghouse.priority.domain import Band
from frontier_review.clearinghouse.reports.orm import Report, ReportProduct
from frontier_review.clearinghouse.reports.policy import ReportRef, reads_report
from frontier_review.clearinghouse.reports.views import report_ref
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity.domain import Sector
from frontier_review.kernel.errors import NotFound
from frontier_review.kernel.principal import OrgKind

__all__ = ["Disseminated", "disseminated"]


@dataclass(frozen=True)
class Disseminated:
    """A report's matchable facts, for a reaction that must ask :meth:`whole_organization_reads` first.

    The title is here so that a notice to an organization in the audience can name the report;
    it must go nowhere else.
    """

    report_id: uuid.UUID
    title: str
    label: str
    sectors: frozenset[Sector]
    purls: tuple[str, ...]
    cpes: tuple[str, ...]
    priority_score: float
    priority_band: Band
    validated: bool
    ref: ReportRef

    @property
    def url_path(self) -> str:
        return f"/clearinghouse/reports/{self.report_id}"

    def whole_organization_reads(self, org_id: uuid.UUID, org_kind: OrgKind | None) -> bool:
        """Whether every member of the organization may read the report (none of them named)."""
        return reads_report(None, org_id, org_kind, self.ref).allowed


def disseminated(uow: UnitOfWork, report_id: uuid.UUID) -> Disseminated:
    """The report's facts (a system read: the caller asks :meth:`Disseminated.whole_organization_reads`).

    Raises:
        NotFound: No such report.
    """
    row = uow.session.get(Report, report_id)
    if row is None:
        raise NotFound(f"report {report_id} not found")
    products = list(uow.session.scalars(select(ReportProduct).where(ReportProduct.report_id == row.id)))
    return Disseminated(
        report_id=row.id,
        title=row.title,
        label=row.tlp,
        sectors=frozenset(Sector(s) for s in row.sectors),
        purls=tuple(p.purl for p in products if p.purl),
        cpes=tuple(p.cpe for p in products if p.cpe),
        priority_score=row.priority_score,
        priority_band=Band(row.priority_band),
        validated=row.validated_at is not None,
        ref=report_ref(uow, row),
    )
