"""Scans in list tables and on the clearinghouse's calendar, for one reader.

Every list starts from ``views.visible`` — the visibility rule as a SQL condition — so a page, its
count and its filters only ever range over scans the reader may see; the filters only narrow.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import String, exists, or_, select

from frontier_review.audit.targets import TargetLink, uuid_ids
from frontier_review.clearinghouse.scans.domain import ScanStatus, scan_link
from frontier_review.clearinghouse.scans.orm import PlannedScan, ScanOverlap
from frontier_review.clearinghouse.scans.views import ScanSummary, summaries, visible
from frontier_review.db.listing import by_position, fetch_page, search_any
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize

__all__ = ["CalendarWeek", "calendar", "name_scans", "open_overlap", "page_scans"]

SIDES = ("scanner", "target")
"""The ``side`` filter: scans the reader's organization runs, or scans of its assets."""

open_overlap = exists().where(
    ScanOverlap.resolved_at.is_(None), or_(ScanOverlap.first_id == PlannedScan.id, ScanOverlap.second_id == PlannedScan.id)
)


def page_scans(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[ScanSummary]:
    """A page of the scans ``principal`` may see.

    Filters: ``side`` (``scanner`` or ``target``: the reader's organization's side), ``status``
    (``planned``, ``cancelled``), ``target`` (an organization id), ``overlap`` (``open``: with an
    unresolved overlap). Sorts: ``starts`` (default), ``ends``, ``target``, ``scanner``. The search
    looks in ranges, domains, the model text and who registered.
    """
    stmt = select(PlannedScan.id).where(visible(principal))
    side = query.filter("side")
    if side == "scanner":
        stmt = stmt.where(PlannedScan.scanner_org_id == principal.org_id)
    elif side == "target":
        stmt = stmt.where(PlannedScan.target_org_id == principal.org_id)
    status = query.filter("status")
    if status in {s.value for s in ScanStatus}:
        stmt = stmt.where(PlannedScan.status == status)
    target = _uuid(query.filter("target"))
    if target is not None:
        stmt = stmt.where(PlannedScan.target_org_id == target)
    if query.filter("overlap") == "open":
        stmt = stmt.where(open_overlap)
    if query.search:
        # The checked ranges and domains are stored as JSON text; a substring of it finds them.
        stmt = stmt.where(
            search_any(
                query.search,
                PlannedScan.model_text,
                PlannedScan.registered_by,
                PlannedScan.ranges.cast(String),
                PlannedScan.domains.cast(String),
            )
        )
    ordered = [o.id for o in directory.list_organizations(uow)]
    page = fetch_page(
        uow.session,
        stmt,
        query,
        sorts={
            "starts": [PlannedScan.starts_at],
            "ends": [PlannedScan.ends_at],
            "target": [by_position(PlannedScan.target_org_id, ordered), PlannedScan.starts_at],
            "scanner": [by_position(PlannedScan.scanner_org_id, ordered), PlannedScan.starts_at],
        },
        default=Sort("starts"),
        unique=PlannedScan.id,
    )
    ids = [r.id for r in page.items]
    rows = {r.id: r for r in uow.session.scalars(select(PlannedScan).where(PlannedScan.id.in_(ids)))} if ids else {}
    by_id = {s.id: s for s in summaries(uow, rows.values())}
    return Page([by_id[i] for i in ids], page.total, page.page, page.per_page, page.sort)


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class TargetWeek:
    """One target's planned scans that touch one week, and how many of them overlap."""

    target_org_id: uuid.UUID
    target_name: str
    scans: tuple[ScanSummary, ...]

    @property
    def overlapping(self) -> int:
        return sum(1 for s in self.scans if s.open_overlaps)


@dataclass(frozen=True)
class CalendarWeek:
    """A week (Monday 00:00 UTC to the next) of the calendar, by target."""

    starts_at: datetime
    ends_at: datetime
    targets: tuple[TargetWeek, ...]


def monday_of(day: date) -> date:
    """The Monday of ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def calendar(uow: UnitOfWork, principal: Principal, *, start: date, weeks: int = 4) -> list[CalendarWeek]:
    """The clearinghouse's scan calendar: planned scans by week and by target, overlaps counted.

    A scan appears in every week its window touches. Only the clearinghouse (and the platform on
    the server) may ask (``clearinghouse:scan:list_all``).

    Raises:
        PermissionDenied: anyone else.
    """
    authorize(uow, principal, Permission.SCAN_LIST_ALL, None)
    weeks = max(1, min(weeks, 12))
    first = datetime.combine(monday_of(start), time(), tzinfo=UTC)
    last = first + timedelta(weeks=weeks)
    rows = list(
        uow.session.scalars(
            select(PlannedScan)
            .where(
                visible(principal),
                PlannedScan.status == ScanStatus.PLANNED.value,
                PlannedScan.starts_at < last,
                PlannedScan.ends_at > first,
            )
            .order_by(PlannedScan.starts_at, PlannedScan.id)
        )
    )
    scans = summaries(uow, rows)
    out = []
    for i in range(weeks):
        begin, end = first + timedelta(weeks=i), first + timedelta(weeks=i + 1)
        in_week = [s for s in scans if s.starts_at < end and s.ends_at > begin]
        by_target: dict[uuid.UUID, list[ScanSummary]] = {}
        for s in in_week:
            by_target.setdefault(s.target_org_id, []).append(s)
        targets = sorted(
            (TargetWeek(t, group[0].target_name, tuple(group)) for t, group in by_target.items()),
            key=lambda t: t.target_name.casefold(),
        )
        out.append(CalendarWeek(begin, end, tuple(targets)))
    return out


def name_scans(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """Audit-browser names of the scans ``reader`` may see (the others stay bare ids)."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    rows = list(uow.session.scalars(select(PlannedScan).where(PlannedScan.id.in_(list(wanted)), visible(reader))))
    names = directory.organization_names(uow, {r.target_org_id for r in rows} | {r.scanner_org_id for r in rows})
    return {
        str(r.id): TargetLink(f"Scan of {names.get(r.target_org_id, '?')} by {names.get(r.scanner_org_id, '?')}", scan_link(r.id))
        for r in rows
    }
