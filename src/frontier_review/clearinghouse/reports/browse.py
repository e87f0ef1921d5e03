"""Reports in list tables, counts and the audit browser, for one reader.

Who sees a report is ``policy.reads_report`` (over ``kernel.tlp``). :func:`readable` states the
same rule as a SQL condition on ``Report`` rows, so a page holds what the reader may see and the
count is the reader's own; a test keeps the two equal over every label × reader shape. Each page
is still asked of the rule itself (:func:`_still_readable`), so were they ever to drift a row
would go missing, never appear. The public (no principal) reads validated TLP:CLEAR reports only.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true

from frontier_review.audit.targets import TargetLink, uuid_ids
from frontier_review.clearinghouse.reports.domain import OPEN_STATUSES, ReportStatus, Tlp, report_link
from frontier_review.clearinghouse.reports.orm import Report, ReportRecipientOrg, ReportRecipientPerson
from frontier_review.clearinghouse.reports.policy import reads_report
from frontier_review.clearinghouse.reports.views import ReportSummary, load_refs, summary_of
from frontier_review.db.listing import SortColumns, by_position, fetch_page, search_any
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import authorize, decide

__all__ = [
    "QueueCounts",
    "name_reports",
    "page_public",
    "page_reports",
    "queue_counts",
    "readable",
    "reader_decides",
    "referred_from",
]

log = logging.getLogger(__name__)


def readable(principal: Principal | None) -> ColumnElement[bool]:
    """``policy.reads_report`` as a condition on ``Report`` rows, for this reader (None: the public).

    Validated, or the reader is in the circle (source, clearinghouse, validator); then by label:
    CLEAR for whoever passed that; GREEN for anyone with an organization; AMBER and AMBER+STRICT
    for the source, the recipient organizations, the clearinghouse, the validator and the named;
    RED for the named (the submitter always is). The platform on the server reads everything.
    """
    if principal is not None and principal.is_system:
        return true()
    validated = Report.validated_at.is_not(None)
    if principal is None or principal.user_id is None:
        return and_(validated, Report.tlp == Tlp.CLEAR.value)
    org, user = principal.org_id, principal.user_id
    clearinghouse = true() if principal.org_kind is OrgKind.CLEARINGHOUSE else false()
    if org is None:
        return and_(validated, Report.tlp == Tlp.CLEAR.value)
    circle = or_(Report.source_org_id == org, Report.validator_org_id == org, clearinghouse)
    named = or_(
        Report.submitted_by_user_id == user,
        exists().where(ReportRecipientPerson.report_id == Report.id, ReportRecipientPerson.user_id == user),
    )
    need_to_know = or_(
        circle,
        exists().where(ReportRecipientOrg.report_id == Report.id, ReportRecipientOrg.organization_id == org),
        named,
    )
    return and_(
        or_(validated, circle),
        or_(
            Report.tlp.in_([Tlp.CLEAR.value, Tlp.GREEN.value]),
            and_(Report.tlp.in_([Tlp.AMBER.value, Tlp.AMBER_STRICT.value]), need_to_know),
            and_(Report.tlp == Tlp.RED.value, named),
        ),
    )


def reader_decides(uow: UnitOfWork, principal: Principal | None, rows: Sequence[Report]) -> list[Report]:
    """The rows the rule itself admits for this reader (the public asks ``reads_report`` with no one)."""
    refs = load_refs(uow, rows)
    now = uow.clock.now()
    if principal is None:
        return [r for r in rows if reads_report(None, None, None, refs[r.id]).allowed]
    return [r for r in rows if decide(uow, principal, Permission.REPORT_READ, refs[r.id], now).allowed]


def _still_readable(uow: UnitOfWork, principal: Principal | None, rows: Sequence[Report]) -> list[Report]:
    kept = reader_decides(uow, principal, rows)
    if len(kept) != len(rows):
        log.error("report list: the SQL audience admitted %d rows the rule refuses", len(rows) - len(kept))
    return kept


_STATUS_ORDER = [s.value for s in ReportStatus]


def _filtered(uow: UnitOfWork, principal: Principal | None, query: ListQuery) -> tuple[object, SortColumns]:
    stmt = select(Report).where(readable(principal))
    if query.search:
        stmt = stmt.where(search_any(query.search, Report.title, Report.cve_id))
    if (status := query.filter("status")) == "open":
        stmt = stmt.where(Report.status.in_([s.value for s in OPEN_STATUSES]))
    elif status in _STATUS_ORDER:
        stmt = stmt.where(Report.status == status)
    if (label := query.filter("tlp")) in {t.value for t in Tlp}:
        stmt = stmt.where(Report.tlp == label)
    validated = query.filter("validated")
    if validated == "yes":
        stmt = stmt.where(Report.validated_at.is_not(None))
    elif validated == "no":
        stmt = stmt.where(Report.validated_at.is_(None))
    if (band := query.filter("band")) in {"critical", "high", "medium", "low"}:
        stmt = stmt.where(Report.priority_band == band)
    sorts: SortColumns = {
        "priority": [Report.priority_score, Report.received_at],
        "received": [Report.received_at],
        "updated": [Report.updated_at],
        "title": [func.lower(Report.title)],
        "status": [by_position(Report.status, _STATUS_ORDER), Report.received_at],
        "tlp": [by_position(Report.tlp, [t.value for t in reversed(Tlp)]), Report.received_at],
        "cve": [Report.cve_id],
    }
    return stmt, sorts


def page_reports(
    uow: UnitOfWork, principal: Principal | None, query: ListQuery, *, default: Sort = Sort("priority", descending=True)
) -> Page[ReportSummary]:
    """A page of the reports the reader may see (the public: validated TLP:CLEAR ones).

    Args:
        uow: The unit of work.
        principal: The reader, or None for the public feed.
        query: Sort keys ``priority`` (default, highest first), ``received``, ``updated``,
            ``title``, ``status``, ``tlp`` (most restricted first), ``cve``; filters ``status``
            (a status, or ``open``), ``tlp``, ``validated`` (``yes``/``no``) and ``band``; the
            search matches part of the title or the CVE id.
        default: The order when none is asked for.

    Returns:
        The page; its total counts only reports the reader may see.
    """
    stmt, sorts = _filtered(uow, principal, query)
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=default, unique=Report.id)  # type: ignore[arg-type]
    rows = _still_readable(uow, principal, [r[0] for r in page.items])
    names = directory.organization_names(uow, {r.source_org_id for r in rows})
    return Page([summary_of(r, names) for r in rows], page.total, page.page, page.per_page, page.sort)


def page_public(uow: UnitOfWork, query: ListQuery) -> Page[ReportSummary]:
    """The public feed: validated TLP:CLEAR reports, newest first, for anyone (no sign-in)."""
    return page_reports(uow, None, query, default=Sort("received", descending=True))


def page_queue(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[ReportSummary]:
    """The clearinghouse's triage queue: the reports it may see, highest priority first.

    Raises:
        PermissionDenied: not the clearinghouse.
    """
    authorize(uow, principal, Permission.REPORT_QUEUE, None)
    return page_reports(uow, principal, query)


@dataclass(frozen=True)
class QueueCounts:
    """How many reports the reader may see, by status, and how many of the open ones are unvalidated."""

    by_status: dict[ReportStatus, int]
    unvalidated_open: int
    addressed_to_org: int

    @property
    def open(self) -> int:
        return sum(n for s, n in self.by_status.items() if s in OPEN_STATUSES)


def queue_counts(uow: UnitOfWork, principal: Principal) -> QueueCounts:
    """Counts for the home page, each over the reader's own audience (never a hidden report).

    Three aggregate queries over :func:`readable` (the audience as SQL, held equal to the rule by
    the tests), whatever the number of reports: a home page stays fast as the clearinghouse grows.
    """
    audience = readable(principal)
    by_status = dict.fromkeys(ReportStatus, 0)
    for status, n in uow.session.execute(select(Report.status, func.count()).where(audience).group_by(Report.status)):
        by_status[ReportStatus(status)] = int(n)
    open_values = [s.value for s in OPEN_STATUSES]
    unvalidated = uow.session.scalar(
        select(func.count()).select_from(Report).where(audience, Report.validated_at.is_(None), Report.status.in_(open_values))
    )
    org, user = principal.org_id, principal.user_id
    addressed = 0
    if org is not None and user is not None:
        addressed = (
            uow.session.scalar(
                select(func.count())
                .select_from(Report)
                .where(
                    audience,
                    or_(
                        exists().where(ReportRecipientOrg.report_id == Report.id, ReportRecipientOrg.organization_id == org),
                        exists().where(ReportRecipientPerson.report_id == Report.id, ReportRecipientPerson.user_id == user),
                    ),
                )
            )
            or 0
        )
    return QueueCounts(by_status, int(unvalidated or 0), int(addressed))


def page_addressed(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[ReportSummary]:
    """The reports addressed to the reader's organization (or naming the reader) that it may see."""
    org, user = principal.org_id, principal.user_id
    if org is None or user is None:
        return Page([], 0, 1, query.per_page, Sort("priority", descending=True))
    stmt, sorts = _filtered(uow, principal, query)
    stmt = stmt.where(  # type: ignore[attr-defined]
        or_(
            exists().where(ReportRecipientOrg.report_id == Report.id, ReportRecipientOrg.organization_id == org),
            exists().where(ReportRecipientPerson.report_id == Report.id, ReportRecipientPerson.user_id == user),
        )
    )
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("priority", descending=True), unique=Report.id)
    rows = _still_readable(uow, principal, [r[0] for r in page.items])
    names = directory.organization_names(uow, {r.source_org_id for r in rows})
    return Page([summary_of(r, names) for r in rows], page.total, page.page, page.per_page, page.sort)


def name_reports(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The reports among ``ids`` in ``reader``'s audience, by title, with their page (audit browser)."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    rows = list(uow.session.scalars(select(Report).where(Report.id.in_(list(wanted)))))
    return {wanted[r.id]: TargetLink(r.title, report_link(r.id)) for r in reader_decides(uow, reader, rows)}


def reports_for_ids(uow: UnitOfWork, principal: Principal, ids: Sequence[uuid.UUID]) -> list[ReportSummary]:
    """These reports, those the reader may see, as summaries (for other slices' pages)."""
    rows = list(uow.session.scalars(select(Report).where(Report.id.in_(list(ids)))))
    kept = reader_decides(uow, principal, rows)
    names = directory.organization_names(uow, {r.source_org_id for r in kept})
    return [summary_of(r, names) for r in kept]


def referred_from(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> ReportSummary | None:
    """The report referred from this engagement finding, when the reader may see it (else None, whether or not it exists)."""
    row = uow.session.scalar(select(Report).where(Report.finding_id == finding_id))
    if row is None or not reader_decides(uow, principal, [row]):
        return None
    return summary_of(row, directory.organization_names(uow, {row.source_org_id}))
