"""What the patches slice asks of reports: readability, the fix-available input, exposure facts.

The exposure board is sorted, filtered and paged in SQL over distribution records joined to the
reports the reader may read (:func:`readable_reports`, the audience as a subquery, so the patches
slice never names this slice's tables); the rows of each page are then asked of the rule itself
(:func:`facts_for`).

Patch distribution (``clearinghouse.patches``) owns fixes and distribution records; whether a fix
exists is one of the priority formula's inputs, so the reports slice keeps that input and recomputes
the priority itself (:func:`set_fix_available`), with history and audit like every other input
change. Nothing here authorizes beyond the report's TLP audience: the callers did.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Subquery, select

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.reports import records
from frontier_review.clearinghouse.reports.browse import readable
from frontier_review.clearinghouse.reports.orm import Report, ReportProduct
from frontier_review.clearinghouse.reports.policy import ReportRef
from frontier_review.clearinghouse.reports.tags import ClearinghouseTag
from frontier_review.clearinghouse.reports.views import NOT_FOUND, ReportSummary, get_readable, load_refs, summary_of
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.errors import NotFound
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide

__all__ = [
    "ReportFacts",
    "facts_for",
    "find_readable_ref",
    "readable_ref",
    "readable_refs",
    "readable_reports",
    "report_is_open",
    "set_fix_available",
]


@dataclass(frozen=True)
class ReportFacts:
    """A report the reader may see, with what an exposure match needs (products and recipients) and the rules' view."""

    summary: ReportSummary
    purls: tuple[str, ...]
    cpes: tuple[str, ...]
    ref: ReportRef

    @property
    def recipient_orgs(self) -> frozenset[uuid.UUID]:
        """The organizations the report is addressed to."""
        return self.ref.recipient_orgs


def readable_ref(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID) -> ReportRef:
    """The report as the rules see it, for a reader in its audience.

    Raises:
        NotFound: No such report, or one outside the reader's audience (the refusal is audited).
    """
    return get_readable(uow, principal, report_id)[1]


def find_readable_ref(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID) -> ReportRef | None:
    """Like :func:`readable_ref` but records nothing and returns None when hidden (page sections)."""
    row = uow.session.get(Report, report_id)
    if row is None:
        return None
    ref = load_refs(uow, [row])[row.id]
    return ref if decide(uow, principal, Permission.REPORT_READ, ref).allowed else None


def report_is_open(uow: UnitOfWork, report_id: uuid.UUID) -> bool:
    """Whether the report is neither rejected nor merged as a duplicate (fixes apply to the others)."""
    row = uow.session.get(Report, report_id)
    return row is not None and row.status not in {"rejected", "duplicate"}


def set_fix_available(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID, *, available: bool) -> bool:
    """Record whether a fix exists and recompute the report's priority; history and audit like any edit.

    The patches slice calls it when a report's first fix is added (the caller authorized the change).

    Returns:
        Whether anything changed.

    Raises:
        NotFound: No such report.
    """
    row = uow.session.get(Report, report_id)
    if row is None:
        raise NotFound(NOT_FOUND.format(report_id))
    if row.fix_available == available:
        return False
    old_priority = row.priority_score
    records.history(uow, principal, row, "fix available changed", str(row.fix_available), str(available))
    row.fix_available = available
    priority = records.recompute(uow, row)
    if priority.score != old_priority:
        records.history(uow, principal, row, "priority recomputed", f"{old_priority:.1f}", f"{priority.score:.1f}")
    row.updated_at = uow.clock.now()
    row.version += 1
    audit.record(
        uow,
        principal,
        ClearinghouseTag.REPORT_EDITED,
        target_type="report",
        target_id=row.id,
        details={"changed": ["fix available"], "priority": priority.score},
    )
    return True


def readable_reports(principal: Principal) -> Subquery:
    """The reports the reader may see, as a subquery another slice joins its rows to (sorting and paging in SQL).

    Columns: ``id``, ``title``, ``cve_id``, ``priority_score``, ``received_at``. The condition is
    ``browse.readable``, held equal to the rule by the tests; whoever shows a row still asks the
    rule (:func:`facts_for`), so were they ever to drift a row would go missing, never appear.
    """
    return (
        select(Report.id, Report.title, Report.cve_id, Report.priority_score, Report.received_at)
        .where(readable(principal))
        .subquery("readable_reports")
    )


def _readable_rows(
    uow: UnitOfWork, principal: Principal, report_ids: Iterable[uuid.UUID]
) -> tuple[list[Report], dict[uuid.UUID, ReportRef]]:
    """These reports' rows the rule lets the reader read, with their refs (three queries; nothing recorded)."""
    wanted = list(set(report_ids))
    if not wanted:
        return [], {}
    rows = list(uow.session.scalars(select(Report).where(Report.id.in_(wanted))))
    refs = load_refs(uow, rows)
    now = uow.clock.now()
    kept = [r for r in rows if decide(uow, principal, Permission.REPORT_READ, refs[r.id], now).allowed]
    return kept, {r.id: refs[r.id] for r in kept}


def readable_refs(uow: UnitOfWork, principal: Principal, report_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ReportRef]:
    """Those of these reports the reader may read, as the rules see them (three queries; nothing recorded)."""
    return _readable_rows(uow, principal, report_ids)[1]


def facts_for(uow: UnitOfWork, principal: Principal, report_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ReportFacts]:
    """Those of these reports the reader may see (the rule decides), with products, recipients and refs.

    A bounded number of queries whatever the number of ids: the exposure board asks it for one page.
    """
    rows, refs = _readable_rows(uow, principal, report_ids)
    if not rows:
        return {}
    purls: dict[uuid.UUID, list[str]] = defaultdict(list)
    cpes: dict[uuid.UUID, list[str]] = defaultdict(list)
    for p in uow.session.scalars(select(ReportProduct).where(ReportProduct.report_id.in_([r.id for r in rows]))):
        if p.purl:
            purls[p.report_id].append(p.purl)
        if p.cpe:
            cpes[p.report_id].append(p.cpe)
    names = directory.organization_names(uow, {r.source_org_id for r in rows})
    return {r.id: ReportFacts(summary_of(r, names), tuple(purls[r.id]), tuple(cpes[r.id]), refs[r.id]) for r in rows}
