"""What the patches slice asks of reports: readability, the fix-available input, exposure facts.

Patch distribution (``clearinghouse.patches``) owns fixes and distribution records; whether a fix
exists is one of the priority formula's inputs, so the reports slice keeps that input and recomputes
the priority itself (:func:`set_fix_available`), with history and audit like every other input
change. Nothing here authorizes beyond the report's TLP audience: the callers did.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.reports import records
from frontier_review.clearinghouse.reports.browse import readable, reader_decides
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

__all__ = ["ReportFacts", "facts_for", "find_readable_ref", "readable_ref", "report_is_open", "set_fix_available"]


@dataclass(frozen=True)
class ReportFacts:
    """A report the reader may see, with what an exposure match needs (products and recipients)."""

    summary: ReportSummary
    purls: tuple[str, ...]
    cpes: tuple[str, ...]
    recipient_orgs: frozenset[uuid.UUID]


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


def facts_for(uow: UnitOfWork, principal: Principal) -> list[ReportFacts]:
    """Every report the reader may see, with its products and recipients (three queries in all).

    The exposure board matches them against the reader's organization's subscriptions; the set is
    the reader's own audience (``browse.readable``, checked again by the rule), never wider.
    """
    rows = reader_decides(uow, principal, list(uow.session.scalars(select(Report).where(readable(principal)))))
    if not rows:
        return []
    refs = load_refs(uow, rows)
    purls: dict[uuid.UUID, list[str]] = defaultdict(list)
    cpes: dict[uuid.UUID, list[str]] = defaultdict(list)
    for p in uow.session.scalars(select(ReportProduct).where(ReportProduct.report_id.in_([r.id for r in rows]))):
        if p.purl:
            purls[p.report_id].append(p.purl)
        if p.cpe:
            cpes[p.report_id].append(p.cpe)
    names = directory.organization_names(uow, {r.source_org_id for r in rows})
    return [ReportFacts(summary_of(r, names), tuple(purls[r.id]), tuple(cpes[r.id]), refs[r.id].recipient_orgs) for r in rows]
