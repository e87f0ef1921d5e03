"""Who sees and acts on a planned scan (pure rules).

A scan is seen by three parties and nobody else — not even as a count: its scanner organization,
its target organization (a target operator sees every registered scan of its assets and who
registered it) and the clearinghouse (organizations of kind ``clearinghouse``), plus the platform
itself on the server (CLI). :func:`sees_scan` is that rule; ``service.visible`` is the same rule
as a SQL condition, and a test holds the two together.

Who acts: any member registers scans for its own organization as scanner; the scanner's members
change or cancel its scans; the target's members object (with a reason) and withdraw their
objection; the clearinghouse marks an overlap resolved. A cancelled scan changes no more.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal


@dataclass(frozen=True)
class ScanRef:
    """A scan as an authorization resource: its parties and whether it was cancelled."""

    id: uuid.UUID
    scanner_org_id: uuid.UUID
    target_org_id: uuid.UUID
    cancelled: bool = False

    def audit_target(self) -> tuple[str, str]:
        return "scan", str(self.id)


@dataclass(frozen=True)
class OverlapRef:
    """An overlap between two scans as an authorization resource."""

    id: uuid.UUID
    scans: tuple[ScanRef, ScanRef]

    def audit_target(self) -> tuple[str, str]:
        return "scan_overlap", str(self.id)


def sees_scan(org_id: uuid.UUID | None, org_kind: OrgKind | None, scan: ScanRef) -> bool:
    """The one visibility rule: the scanner, the target or the clearinghouse (by organization)."""
    if org_id is None:
        return False
    return org_kind is OrgKind.CLEARINGHOUSE or org_id in {scan.scanner_org_id, scan.target_org_id}


def _person(p: Principal) -> bool:
    return not p.is_system and p.user_id is not None and p.org_id is not None


def can_register(p: Principal, scanner_org_id: uuid.UUID | None, _now: datetime) -> Decision:
    """Any member registers scans for its own organization (the scanner), never for another."""
    if _person(p) and p.is_member_of(scanner_org_id):
        return Allowed("member of the scanning organization")
    return Denied("scans are registered by a member of the scanning organization, for that organization")


def can_read(p: Principal, scan: ScanRef, _now: datetime) -> Decision:
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    if sees_scan(p.org_id, p.org_kind, scan):
        return Allowed("scanner, target or clearinghouse")
    return Denied("only the scanner, the target and the clearinghouse see a scan")


def can_list_all(p: Principal, _resource: object, _now: datetime) -> Decision:
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    if p.org_kind is OrgKind.CLEARINGHOUSE and p.org_id is not None:
        return Allowed("clearinghouse")
    return Denied("only the clearinghouse sees every organization's scans")


def _scanner(p: Principal, scan: ScanRef, now: datetime, what: str) -> Decision:
    read = can_read(p, scan, now)
    if not read.allowed:
        return read
    if not (_person(p) and p.is_member_of(scan.scanner_org_id)):
        return Denied(f"only the scanning organization {what} its scan")
    if scan.cancelled:
        return Denied("the scan was cancelled")
    return Allowed("member of the scanning organization")


def can_change(p: Principal, scan: ScanRef, now: datetime) -> Decision:
    return _scanner(p, scan, now, "changes")


def can_cancel(p: Principal, scan: ScanRef, now: datetime) -> Decision:
    return _scanner(p, scan, now, "cancels")


def can_object(p: Principal, scan: ScanRef, now: datetime) -> Decision:
    """The target's members object to a scan of their assets (and withdraw the objection)."""
    read = can_read(p, scan, now)
    if not read.allowed:
        return read
    if not (_person(p) and p.is_member_of(scan.target_org_id)):
        return Denied("only the target organization objects to a scan of its assets")
    if scan.cancelled:
        return Denied("the scan was cancelled")
    return Allowed("member of the target organization")


def can_resolve(p: Principal, overlap: OverlapRef, now: datetime) -> Decision:
    """The clearinghouse marks an overlap resolved once the scanners have agreed."""
    if not all(can_read(p, s, now).allowed for s in overlap.scans):
        return Denied("only the scanner, the target and the clearinghouse see a scan")
    if _person(p) and p.org_kind is OrgKind.CLEARINGHOUSE:
        return Allowed("clearinghouse")
    return Denied("only the clearinghouse marks an overlap resolved")


RULES: Mapping[Permission, Rule] = {
    Permission.SCAN_REGISTER: can_register,
    Permission.SCAN_READ: can_read,
    Permission.SCAN_LIST_ALL: can_list_all,
    Permission.SCAN_CHANGE: can_change,
    Permission.SCAN_CANCEL: can_cancel,
    Permission.SCAN_OBJECT: can_object,
    Permission.SCAN_RESOLVE_OVERLAP: can_resolve,
}
