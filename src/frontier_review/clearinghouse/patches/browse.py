"""Reads for pages: the exposure board, the priority board's "still exposed" counts, the report page's section.

Nothing here widens what a reader sees. The exposure board is one paged query over distribution
records joined to the reports the reader may read (``reports.readable_reports``, the audience in
SQL) and limited to the records the reader may see (:func:`_records_seen`, the ``policy`` rules in
SQL); each row of a page is then asked of the rules themselves, so were the SQL ever to drift from
them a row would go missing, never appear. Counts and records are shown only where ``policy``
allows.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, false, func, select, true

from frontier_review.clearinghouse import reports, subscriptions
from frontier_review.clearinghouse.patches.domain import EXPOSED, DistributionState
from frontier_review.clearinghouse.patches.orm import PatchDistribution, ReportFix
from frontier_review.clearinghouse.patches.policy import RecordRef, sees_every_operator
from frontier_review.clearinghouse.patches.views import (
    DistributionView,
    ExposureBoard,
    ExposureRow,
    distribution_view,
    record_views,
)
from frontier_review.clearinghouse.subscriptions.domain import product_matches
from frontier_review.db.listing import Col, SortColumns, by_position, fetch_page, search_any
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide

__all__ = ["EXPOSURE_SORT", "page_exposure", "section", "still_exposed"]

log = logging.getLogger(__name__)

EXPOSURE_SORT = Sort("priority", descending=True)
_EXPOSED = [s.value for s in EXPOSED]
_STATE_ORDER = [s.value for s in DistributionState]


def _reasons(org_id: uuid.UUID, facts: reports.ReportFacts, criteria: list[subscriptions.Criteria]) -> tuple[str, ...]:
    out = []
    if org_id in facts.recipient_orgs:
        out.append("addressed to you")
    sectors = set(facts.summary.sectors)
    products = (*facts.purls, *facts.cpes)
    if any(c.sectors & sectors for c in criteria):
        out.append("sector")
    if any(product_matches(prefix, p) for c in criteria for prefix in c.products for p in products):
        out.append("product")
    # The record itself is the reason when nothing matches any more (a subscription since changed).
    return tuple(out) or ("patch distribution",)


def _records_seen(principal: Principal) -> ColumnElement[bool]:
    """``policy``'s record rules as a condition on ``PatchDistribution`` rows (the report's audience is the join).

    The clearinghouse and the platform every operator's record (``can_read_all_records``); a person
    of an organization its own organization's (``can_update_own``); nobody else any.
    """
    if sees_every_operator(principal):
        return true()
    if principal.user_id is None or principal.org_id is None:
        return false()
    return PatchDistribution.organization_id == principal.org_id


def _rule_admits(uow: UnitOfWork, principal: Principal, row: PatchDistribution, ref: reports.ReportRef, now: datetime) -> bool:
    if decide(uow, principal, Permission.DISTRIBUTION_READ_ALL, ref, now).allowed:
        return True
    return decide(uow, principal, Permission.DISTRIBUTION_UPDATE, RecordRef(ref, row.organization_id, row.id), now).allowed


def page_exposure(uow: UnitOfWork, principal: Principal, query: ListQuery) -> ExposureBoard:
    """A page of the exposure board: distribution records the reader may see, highest priority first.

    One row per report and operator: an operator's members see their own organization's records,
    the clearinghouse every operator's, each only of reports the reader may read. Records exist for
    the operators a disseminated report with a fix affects (``service.distribute``).

    Args:
        uow: The unit of work.
        principal: A member of an organization.
        query: Sort keys ``priority`` (default, highest first), ``title``, ``state`` (the workflow's
            order), ``updated`` (the record's latest change) and ``operator`` (its name); filter
            ``show`` (``exposed``: notified or acknowledged only); the search matches part of the
            report's title or CVE id.

    Returns:
        The page, how many records of the list are still exposed, and whether the reader sees
        every operator's.

    Raises:
        PermissionDenied: not a member of an organization.
        ValidationFailed: a sort key the board does not offer.
    """
    authorize(uow, principal, Permission.EXPOSURE_READ, None)
    audience = reports.readable_reports(principal)
    stmt = select(PatchDistribution).join(audience, audience.c.id == PatchDistribution.report_id).where(_records_seen(principal))
    if query.search:
        stmt = stmt.where(search_any(query.search, audience.c.title, audience.c.cve_id))
    still = stmt.where(PatchDistribution.state.in_(_EXPOSED))
    exposed = uow.session.scalar(select(func.count()).select_from(still.subquery())) or 0
    if query.filter("show") == "exposed":
        stmt = still
    operator: Col = PatchDistribution.organization_id
    if query.sort is not None and query.sort.key == "operator":  # names only when asked: a list of every organization
        operator = by_position(PatchDistribution.organization_id, [c.id for c in directory.list_organizations(uow)])
    sorts: SortColumns = {
        "priority": [audience.c.priority_score, audience.c.received_at],
        "title": [func.lower(audience.c.title)],
        "state": [by_position(PatchDistribution.state, _STATE_ORDER), audience.c.priority_score],
        "updated": [PatchDistribution.updated_at],
        "operator": [operator, audience.c.priority_score],
    }
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=EXPOSURE_SORT, unique=PatchDistribution.id)
    rows = _rows(uow, principal, [r[0] for r in page.items])
    return ExposureBoard(
        rows=Page(rows, page.total, page.page, page.per_page, page.sort),
        exposed=int(exposed),
        every_operator=sees_every_operator(principal),
    )


def _rows(uow: UnitOfWork, principal: Principal, records: list[PatchDistribution]) -> list[ExposureRow]:
    """The page's records as board rows, each admitted by the rules again (a bounded number of queries)."""
    facts = reports.facts_for(uow, principal, {r.report_id for r in records})
    now = uow.clock.now()
    kept = [r for r in records if r.report_id in facts and _rule_admits(uow, principal, r, facts[r.report_id].ref, now)]
    if len(kept) != len(records):
        log.error("exposure board: the SQL admitted %d records the rules refuse", len(records) - len(kept))
    if not kept:
        return []
    views = {v.id: v for v in record_views(uow, kept)}
    fixes = dict(
        uow.session.execute(
            select(ReportFix.report_id, func.count())
            .where(ReportFix.report_id.in_({r.report_id for r in kept}))
            .group_by(ReportFix.report_id)
        ).all()
    )
    org = principal.org_id
    own = org is not None and any(r.organization_id == org for r in kept)
    criteria = subscriptions.organization_criteria(uow, org) if own and org is not None else []
    return [
        ExposureRow(
            report=facts[r.report_id].summary,
            record=views[r.id],
            reasons=_reasons(r.organization_id, facts[r.report_id], criteria) if r.organization_id == org else (),
            fixes=int(fixes.get(r.report_id, 0)),
        )
        for r in kept
    ]


def still_exposed(uow: UnitOfWork, principal: Principal, report_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many operators are still exposed (notified or acknowledged), per report, where the reader sees every record.

    Reports the reader may not read, or whose records it may not see, are left out (not zero).
    A bounded number of queries whatever the number of reports (the priority board asks for a page).
    """
    refs = reports.readable_refs(uow, principal, report_ids)
    now = uow.clock.now()
    allowed = [i for i, ref in refs.items() if decide(uow, principal, Permission.DISTRIBUTION_READ_ALL, ref, now).allowed]
    if not allowed:
        return {}
    counts = dict.fromkeys(allowed, 0)
    for report_id, n in uow.session.execute(
        select(PatchDistribution.report_id, func.count())
        .where(PatchDistribution.report_id.in_(allowed), PatchDistribution.state.in_(_EXPOSED))
        .group_by(PatchDistribution.report_id)
    ):
        counts[report_id] = int(n)
    return counts


def section(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID) -> DistributionView | None:
    """The report page's "Patch distribution" section for a reader of the report (None otherwise).

    Records nothing: the page around it already audited the read of the report.
    """
    ref = reports.find_readable_ref(uow, principal, report_id)
    return None if ref is None else distribution_view(uow, principal, ref)
