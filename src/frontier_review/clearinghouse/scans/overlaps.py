"""Flagging overlaps: recomputed at registration and whenever a scan's scope changes.

Each overlap is audited and notified in the app to the people of both scanner organizations and of
the clearinghouse — never to anyone else (the target operator sees every scan of its assets on
its own page, but is not told of collisions between other people's plans). A scanner's notice
names the other scanner organization and who registered its scan, so the two can talk; it links
to the reader's own scan, where the overlap is shown from its side.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, or_, select

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.scans.domain import ScanStatus, overlap_of, scan_link
from frontier_review.clearinghouse.scans.orm import PlannedScan, ScanOverlap
from frontier_review.clearinghouse.scans.tags import ClearinghouseScanTag
from frontier_review.clearinghouse.scans.views import planned
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.notifications import service as notifications

KIND = "scan_overlap"


def when(value: datetime) -> str:
    """A time as notices write it (UTC: a notice is read in many zones)."""
    return value.strftime("%Y-%m-%d %H:%M UTC")


def clear(uow: UnitOfWork, principal: Principal, scan: PlannedScan) -> list[uuid.UUID]:
    """Delete the scan's overlaps (audited); returns the other scans they involved."""
    rows = list(
        uow.session.scalars(select(ScanOverlap).where(or_(ScanOverlap.first_id == scan.id, ScanOverlap.second_id == scan.id)))
    )
    others = []
    for o in rows:
        others.append(o.second_id if o.first_id == scan.id else o.first_id)
        audit.record(
            uow,
            principal,
            ClearinghouseScanTag.OVERLAP_CLEARED,
            target_type="scan",
            target_id=scan.id,
            details={"overlap": str(o.id), "scans": [str(o.first_id), str(o.second_id)]},
        )
    if rows:
        uow.session.execute(delete(ScanOverlap).where(ScanOverlap.id.in_([o.id for o in rows])))
    return others


def reflag(uow: UnitOfWork, principal: Principal, scan: PlannedScan) -> list[ScanOverlap]:
    """Recompute the scan's overlaps from scratch, flag each one found (audited, notified)."""
    clear(uow, principal, scan)
    if scan.status == ScanStatus.CANCELLED.value:
        return []
    me = planned(scan)
    candidates = uow.session.scalars(
        select(PlannedScan).where(
            PlannedScan.target_org_id == scan.target_org_id,
            PlannedScan.id != scan.id,
            PlannedScan.status == ScanStatus.PLANNED.value,
            PlannedScan.starts_at < scan.ends_at,
            PlannedScan.ends_at > scan.starts_at,
        )
    )
    now = uow.clock.now()
    flagged = []
    for other in candidates:
        found = overlap_of(me, planned(other))
        if found is None:
            continue
        first, second = (scan, other) if str(scan.id) < str(other.id) else (other, scan)
        ranges = found.ranges if first is scan else tuple((b, a) for a, b in found.ranges)
        domains = found.domains if first is scan else tuple((b, a) for a, b in found.domains)
        row = ScanOverlap(
            id=new_id(),
            first_id=first.id,
            second_id=second.id,
            starts_at=found.window.starts_at,
            ends_at=found.window.ends_at,
            details={"ranges": [list(p) for p in ranges], "domains": [list(p) for p in domains]},
            flagged_at=now,
        )
        uow.session.add(row)
        uow.session.flush()
        audit.record(
            uow,
            principal,
            ClearinghouseScanTag.OVERLAP_FLAGGED,
            target_type="scan",
            target_id=scan.id,
            details={"overlap": str(row.id), "scans": [str(first.id), str(second.id)]},
        )
        _notify(uow, scan, other, row)
        flagged.append(row)
    return flagged


def _notify(uow: UnitOfWork, scan: PlannedScan, other: PlannedScan, row: ScanOverlap) -> None:
    names = directory.organization_names(uow, {scan.scanner_org_id, other.scanner_org_id, scan.target_org_id})
    target = names.get(scan.target_org_id, "?")
    window = f"{when(row.starts_at)} to {when(row.ends_at)}"
    key = f"overlap:{row.id}"
    for mine, theirs in ((scan, other), (other, scan)):
        if mine is other and scan.scanner_org_id == other.scanner_org_id:
            break  # both scans are the same organization's: one notice is enough
        who = (
            "another scan of yours"
            if mine.scanner_org_id == theirs.scanner_org_id
            else (f"a scan by {names.get(theirs.scanner_org_id, '?')} (contact {theirs.registered_by})")
        )
        notifications.notify(
            uow,
            directory.list_members(uow, mine.scanner_org_id),
            kind=KIND,
            title=f"Your scan of {target} overlaps {who}, {window}",
            link=scan_link(mine.id) + "#overlaps",
            body=key,
        )
    parties = {scan.scanner_org_id, other.scanner_org_id}
    houses = [o for o in directory.list_organization_ids(uow, OrgKind.CLEARINGHOUSE) if o not in parties]
    if houses:
        notifications.notify(
            uow,
            directory.list_members(uow, houses),
            kind=KIND,
            title=(
                f"Overlapping scans of {target}: {names.get(scan.scanner_org_id, '?')} and "
                f"{names.get(other.scanner_org_id, '?')}, {window}"
            ),
            link=scan_link(scan.id) + "#overlaps",
            body=key,
        )
