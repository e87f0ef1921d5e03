"""Loading scans for the rules, and the views adapters show.

:func:`get_visible` is the one way a use case reaches a scan by its id: outside its three parties a
scan does not exist for the caller (the refusal is still audited). An overlap is shown to each
scanner *from its own scan's side*: the other scanner's organization and contact, the shared
window and the colliding ranges and domains, never the other scan's remaining scope, purpose,
model or objection (docs/clearinghouse-scans.md, "What each side learns").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, false, or_, select, true

from frontier_review.clearinghouse.scans.domain import Planned, ScanStatus, scope_of
from frontier_review.clearinghouse.scans.orm import PlannedScan, ScanOverlap
from frontier_review.clearinghouse.scans.policy import OverlapRef, ScanRef
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.errors import NotFound
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import authorize_visible, decide
from frontier_review.registry import service as registry


def scan_missing(scan_id: uuid.UUID) -> str:
    """The one message for a scan that does not exist or that the caller may not see."""
    return f"scan {scan_id} not found"


@dataclass(frozen=True)
class OverlapView:
    """An overlap as a reader of one of its scans sees it."""

    id: uuid.UUID
    scan_id: uuid.UUID  # the reader's side
    other_scan_id: uuid.UUID
    other_scanner_name: str
    other_contact: str  # who registered the other scan: the scanners need to talk
    other_visible: bool  # the reader may open the other scan (target, clearinghouse, or its own)
    starts_at: datetime
    ends_at: datetime
    ranges: tuple[tuple[str, str], ...]  # (this scan's range, the other's) pairs that meet
    domains: tuple[tuple[str, str], ...]
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None
    may_resolve: bool


@dataclass(frozen=True)
class ScanSummary:
    """A scan in a list."""

    id: uuid.UUID
    scanner_org_id: uuid.UUID
    scanner_name: str
    target_org_id: uuid.UUID
    target_name: str
    ranges: tuple[str, ...]
    domains: tuple[str, ...]
    starts_at: datetime
    ends_at: datetime
    status: ScanStatus
    registered_by: str
    objected: bool
    open_overlaps: int

    def ended(self, now: datetime) -> bool:
        """The window is over (a planned scan in the past has simply happened)."""
        return self.ends_at <= now


@dataclass(frozen=True)
class ScanView(ScanSummary):
    """A scan as one reader may see it, with its overlaps and what the reader may do next."""

    model_version_id: uuid.UUID | None
    model_display: str | None
    model_text: str
    purpose: str
    objection: str | None
    objected_by: str | None
    objected_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    overlaps: tuple[OverlapView, ...]
    may_change: bool
    may_cancel: bool
    may_object: bool


def scan_ref(row: PlannedScan) -> ScanRef:
    """The scan as the rules see it."""
    return ScanRef(row.id, row.scanner_org_id, row.target_org_id, cancelled=row.status == ScanStatus.CANCELLED.value)


def planned(row: PlannedScan) -> Planned:
    """The scan as the overlap rule sees it."""
    return Planned(row.id, row.target_org_id, scope_of(row.ranges, row.domains, row.starts_at, row.ends_at))


def visible(principal: Principal) -> ColumnElement[bool]:
    """``policy.sees_scan`` as a SQL condition on :class:`PlannedScan` (a test holds the two together)."""
    if principal.is_system or (principal.org_kind is OrgKind.CLEARINGHOUSE and principal.org_id is not None):
        return true()
    if principal.org_id is None:
        return false()
    return or_(PlannedScan.scanner_org_id == principal.org_id, PlannedScan.target_org_id == principal.org_id)


def get_visible(
    uow: UnitOfWork, principal: Principal, scan_id: uuid.UUID, permission: Permission = Permission.SCAN_READ
) -> PlannedScan:
    """The scan if ``principal`` may see it (and do ``permission``).

    Raises:
        NotFound: No such scan, or one the caller may not see (the refusal is audited).
        PermissionDenied: The caller sees it but may not do ``permission``.
    """
    row = uow.session.get(PlannedScan, scan_id)
    if row is None:
        raise NotFound(scan_missing(scan_id))
    authorize_visible(uow, principal, permission, scan_ref(row), not_found=scan_missing(scan_id), read=Permission.SCAN_READ)
    return row


def open_overlap_counts(uow: UnitOfWork, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many unresolved overlaps each of these scans has (one query)."""
    wanted = list(ids)
    counts: dict[uuid.UUID, int] = dict.fromkeys(wanted, 0)
    if not wanted:
        return counts
    rows = uow.session.execute(
        select(ScanOverlap.first_id, ScanOverlap.second_id).where(
            ScanOverlap.resolved_at.is_(None), or_(ScanOverlap.first_id.in_(wanted), ScanOverlap.second_id.in_(wanted))
        )
    )
    for first, second in rows:
        for scan_id in (first, second):
            if scan_id in counts:
                counts[scan_id] += 1
    return counts


def summaries(uow: UnitOfWork, rows: Iterable[PlannedScan]) -> list[ScanSummary]:
    """Scans in a list (call only for rows the reader may see), in a fixed number of queries."""
    rows = list(rows)
    names = directory.organization_names(uow, {r.scanner_org_id for r in rows} | {r.target_org_id for r in rows})
    counts = open_overlap_counts(uow, [r.id for r in rows])
    return [_summary(r, names, counts.get(r.id, 0)) for r in rows]


def _summary(r: PlannedScan, names: Mapping[uuid.UUID, str], overlaps: int) -> ScanSummary:
    return ScanSummary(
        id=r.id,
        scanner_org_id=r.scanner_org_id,
        scanner_name=names.get(r.scanner_org_id, "?"),
        target_org_id=r.target_org_id,
        target_name=names.get(r.target_org_id, "?"),
        ranges=tuple(r.ranges),
        domains=tuple(r.domains),
        starts_at=r.starts_at,
        ends_at=r.ends_at,
        status=ScanStatus(r.status),
        registered_by=r.registered_by,
        objected=r.objection is not None,
        open_overlaps=overlaps,
    )


def model_display(uow: UnitOfWork, version_id: uuid.UUID | None) -> str | None:
    """The registered model version's name, as the scanner chose to disclose it to the scan's parties."""
    if version_id is None:
        return None
    try:
        return registry.get_version_ref(uow, version_id).display
    except NotFound:
        return None


def overlap_views(uow: UnitOfWork, principal: Principal, row: PlannedScan) -> tuple[OverlapView, ...]:
    """The scan's overlaps, each from this scan's side (call only for a reader of ``row``)."""
    overlaps = list(
        uow.session.scalars(
            select(ScanOverlap)
            .where(or_(ScanOverlap.first_id == row.id, ScanOverlap.second_id == row.id))
            .order_by(ScanOverlap.starts_at)
        )
    )
    others = {o.second_id if o.first_id == row.id else o.first_id for o in overlaps}
    other_rows = {r.id: r for r in uow.session.scalars(select(PlannedScan).where(PlannedScan.id.in_(others)))} if others else {}
    names = directory.organization_names(uow, {r.scanner_org_id for r in other_rows.values()})
    now = uow.clock.now()
    out = []
    for o in overlaps:
        mine_first = o.first_id == row.id
        other = other_rows[o.second_id if mine_first else o.first_id]
        pairs = {k: [tuple(p) if mine_first else (p[1], p[0]) for p in o.details.get(k, [])] for k in ("ranges", "domains")}
        oref = OverlapRef(o.id, (scan_ref(row), scan_ref(other)))
        out.append(
            OverlapView(
                id=o.id,
                scan_id=row.id,
                other_scan_id=other.id,
                other_scanner_name=names.get(other.scanner_org_id, "?"),
                other_contact=other.registered_by,
                other_visible=decide(uow, principal, Permission.SCAN_READ, scan_ref(other), now).allowed,
                starts_at=o.starts_at,
                ends_at=o.ends_at,
                ranges=tuple((str(a), str(b)) for a, b in pairs["ranges"]),
                domains=tuple((str(a), str(b)) for a, b in pairs["domains"]),
                resolved_at=o.resolved_at,
                resolved_by=o.resolved_by,
                resolution=o.resolution,
                may_resolve=decide(uow, principal, Permission.SCAN_RESOLVE_OVERLAP, oref, now).allowed,
            )
        )
    return tuple(out)


def scan_view(uow: UnitOfWork, principal: Principal, row: PlannedScan) -> ScanView:
    """The full scan; call only after the reader was authorized."""
    s = summaries(uow, [row])[0]
    ref = scan_ref(row)
    now = uow.clock.now()
    return ScanView(
        **{name: getattr(s, name) for name in ScanSummary.__dataclass_fields__},
        model_version_id=row.model_version_id,
        model_display=model_display(uow, row.model_version_id),
        model_text=row.model_text,
        purpose=row.purpose,
        objection=row.objection,
        objected_by=row.objected_by,
        objected_at=row.objected_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        overlaps=overlap_views(uow, principal, row),
        may_change=decide(uow, principal, Permission.SCAN_CHANGE, ref, now).allowed,
        may_cancel=decide(uow, principal, Permission.SCAN_CANCEL, ref, now).allowed,
        may_object=decide(uow, principal, Permission.SCAN_OBJECT, ref, now).allowed,
    )
