"""Scan deconfliction: registering planned scans, changing and cancelling them, objections, overlaps.

Under §2(d) of the order the clearinghouse deconflicts vulnerability scanning. An organization
registers a planned scan of another's assets (address ranges, domains, a window, the AI model or
agent used); a scan is seen by its scanner, its target and the clearinghouse only
(``policy.sees_scan``); to anyone else it does not exist, not even in a count. Overlaps (same
target, a shared address or host name, intersecting windows) are computed at registration and at
every change of scope and flagged to both scanners and the clearinghouse (``overlaps``). Every
change is audited (``clearinghouse:scan:*``); reads are not.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.scans import overlaps
from frontier_review.clearinghouse.scans.domain import (
    ScanStatus,
    check_reason,
    check_registration,
    check_scope,
    raise_problems,
    scan_link,
)
from frontier_review.clearinghouse.scans.orm import PlannedScan, ScanOverlap
from frontier_review.clearinghouse.scans.policy import OverlapRef
from frontier_review.clearinghouse.scans.tags import ClearinghouseScanTag
from frontier_review.clearinghouse.scans.views import (
    OverlapView,
    ScanView,
    get_visible,
    overlap_views,
    scan_ref,
    scan_view,
)
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.directory import OrganizationCard
from frontier_review.kernel.errors import Conflict, FieldProblem, NotFound, PermissionDenied, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.notifications import service as notifications
from frontier_review.policies import authorize, decide
from frontier_review.registry import service as registry
from frontier_review.registry.domain import ModelRef, VersionStatus

__all__ = [
    "cancel_scan",
    "change_scan",
    "get_scan",
    "list_overlaps",
    "list_target_choices",
    "object_to_scan",
    "register_scan",
    "resolve_overlap",
    "withdraw_objection",
]


def _check_model(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID | None) -> None:
    """A linked model version must exist and be one the scanner may name: its own, or a released one.

    A prerelease version of another developer is not the scanner's to disclose; the same answer is
    given for an unknown id, so no one probes the registry through this form.
    """
    if version_id is None:
        return
    try:
        ref = registry.get_version_ref(uow, version_id)
    except NotFound:
        ref = None
    if ref is not None and (
        ref.status is VersionStatus.RELEASED
        or decide(uow, principal, Permission.REGISTRY_MODEL_READ, ModelRef(ref.model_id, ref.organization_id)).allowed
    ):
        return
    raise ValidationFailed(
        "model_version_id is not a registered model version you may name (describe the model in words instead)",
        field="model_version_id",
    )


def _target(uow: UnitOfWork, target_org_id: uuid.UUID) -> OrganizationCard:
    org = directory.find_organization(uow, target_org_id)
    if org is None:
        raise ValidationFailed(f"target_org_id: no organization {target_org_id}", field="target_org_id")
    return org


def _notify_target(uow: UnitOfWork, scan: PlannedScan, what: str) -> None:
    """The target operator hears of every registered scan of its assets, and of each change."""
    if scan.target_org_id == scan.scanner_org_id:
        return  # an organization scanning itself already knows
    names = directory.organization_names(uow, {scan.scanner_org_id})
    window = f"{overlaps.when(scan.starts_at)} to {overlaps.when(scan.ends_at)}"
    notifications.notify(
        uow,
        directory.list_members(uow, scan.target_org_id),
        kind="scan_of_your_assets",
        title=f"{names.get(scan.scanner_org_id, '?')} {what} a scan of your assets, {window}",
        link=scan_link(scan.id),
    )


def register_scan(
    uow: UnitOfWork,
    principal: Principal,
    *,
    target_org_id: uuid.UUID | str | None,
    ranges: Iterable[str] = (),
    domains: Iterable[str] = (),
    starts_at: datetime | None,
    ends_at: datetime | None,
    model_version_id: uuid.UUID | str | None = None,
    model_text: str = "",
    purpose: str = "",
) -> ScanView:
    """Register a planned scan for the principal's organization (the scanner).

    Overlaps with other planned scans of the same target are computed at once and flagged to both
    scanners and the clearinghouse; the target organization is told a scan of its assets was
    registered, and by whom.

    Args:
        uow: the unit of work.
        principal: a member of the scanning organization.
        target_org_id: the organization whose assets are scanned.
        ranges: IPv4/IPv6 CIDR ranges (host bits must be clear).
        domains: host names, ``*.example.com`` wildcards allowed; a name covers its subdomains.
        starts_at: start of the window (timezone-aware).
        ends_at: end of the window, after the start, at most ``domain.MAX_WINDOW`` later, not past.
        model_version_id: a registered model version used (the scanner's own or a released one).
        model_text: the model or agent in words.
        purpose: purpose and notes, shown to the scan's parties.

    Returns:
        The scan as the scanner sees it, with its overlaps.

    Raises:
        ValidationFailed: naming every bad field (nothing is stored).
        PermissionDenied: the principal speaks for no organization.
    """
    authorize(uow, principal, Permission.SCAN_REGISTER, principal.org_id)
    assert principal.org_id is not None  # the rule admits members only
    checked = check_registration(
        target_org_id=target_org_id,
        ranges=ranges,
        domains=domains,
        starts_at=starts_at,
        ends_at=ends_at,
        model_version_id=model_version_id,
        model_text=model_text,
        purpose=purpose,
    )
    now = uow.clock.now()
    if checked.scope.window.ends_at <= now:
        raise ValidationFailed("ends_at: the window has already ended; register planned scans", field="ends_at")
    _target(uow, checked.target_org_id)
    _check_model(uow, principal, checked.model_version_id)
    scan = PlannedScan(
        id=new_id(),
        scanner_org_id=principal.org_id,
        target_org_id=checked.target_org_id,
        starts_at=checked.scope.window.starts_at,
        ends_at=checked.scope.window.ends_at,
        ranges=[str(n) for n in checked.scope.ranges],
        domains=[str(d) for d in checked.scope.domains],
        model_version_id=checked.model_version_id,
        model_text=checked.model_text,
        purpose=checked.purpose,
        status=ScanStatus.PLANNED.value,
        registered_by=principal.label,
        registered_by_user_id=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(scan)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        ClearinghouseScanTag.SCAN_REGISTERED,
        target_type="scan",
        target_id=scan.id,
        details={
            "target_org": str(scan.target_org_id),
            "starts_at": scan.starts_at.isoformat(),
            "ends_at": scan.ends_at.isoformat(),
            "ranges": len(scan.ranges),
            "domains": len(scan.domains),
        },
    )
    _notify_target(uow, scan, "registered")
    overlaps.reflag(uow, principal, scan)
    return scan_view(uow, principal, scan)


def get_scan(uow: UnitOfWork, principal: Principal, scan_id: uuid.UUID) -> ScanView:
    """The scan with its overlaps.

    Raises:
        NotFound: No such scan, or the caller is not its scanner, its target or the clearinghouse.
    """
    return scan_view(uow, principal, get_visible(uow, principal, scan_id))


def list_overlaps(uow: UnitOfWork, principal: Principal, scan_id: uuid.UUID) -> list[OverlapView]:
    """The scan's overlaps, from its side (``NotFound`` for a caller who may not see the scan)."""
    return list(overlap_views(uow, principal, get_visible(uow, principal, scan_id)))


def change_scan(
    uow: UnitOfWork,
    principal: Principal,
    scan_id: uuid.UUID,
    *,
    ranges: Iterable[str] | None = None,
    domains: Iterable[str] | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    expected_version: int | None = None,
) -> ScanView:
    """Change a scan's window, ranges or domains (None keeps each); overlaps are recomputed and flagged.

    Raises:
        NotFound: the caller may not see the scan.
        PermissionDenied: not the scanner, or the scan was cancelled.
        Conflict: ``expected_version`` is not the scan's current version (someone changed it since).
        ValidationFailed: naming every bad field (nothing is changed).
    """
    scan = get_visible(uow, principal, scan_id, Permission.SCAN_CHANGE)
    if expected_version is not None and expected_version != scan.version:
        raise Conflict("the scan was changed since you loaded it; reload and try again", field="version")
    problems: list[FieldProblem] = []
    scope = check_scope(
        scan.ranges if ranges is None else ranges,
        scan.domains if domains is None else domains,
        starts_at or scan.starts_at,
        ends_at or scan.ends_at,
        problems,
    )
    raise_problems(problems)
    assert scope is not None
    if scope.window.ends_at <= uow.clock.now() and scope.window.ends_at != scan.ends_at:
        raise ValidationFailed("ends_at: a changed window cannot end in the past", field="ends_at")
    before = {
        "starts_at": scan.starts_at.isoformat(),
        "ends_at": scan.ends_at.isoformat(),
        "ranges": list(scan.ranges),
        "domains": list(scan.domains),
    }
    scan.starts_at, scan.ends_at = scope.window.starts_at, scope.window.ends_at
    scan.ranges = [str(n) for n in scope.ranges]
    scan.domains = [str(d) for d in scope.domains]
    after = {
        "starts_at": scan.starts_at.isoformat(),
        "ends_at": scan.ends_at.isoformat(),
        "ranges": scan.ranges,
        "domains": scan.domains,
    }
    if before == after:
        return scan_view(uow, principal, scan)
    scan.updated_at = uow.clock.now()
    uow.session.flush()
    audit.record(
        uow,
        principal,
        ClearinghouseScanTag.SCAN_CHANGED,
        target_type="scan",
        target_id=scan.id,
        details={"changed": sorted(k for k in after if before[k] != after[k]), "version": scan.version},
    )
    _notify_target(uow, scan, "changed")
    overlaps.reflag(uow, principal, scan)
    return scan_view(uow, principal, scan)


def cancel_scan(uow: UnitOfWork, principal: Principal, scan_id: uuid.UUID) -> ScanView:
    """Cancel a scan (the scanner; irreversible): its overlaps are cleared and the target told.

    Raises:
        NotFound: the caller may not see the scan.
        PermissionDenied: not the scanner, or already cancelled.
    """
    scan = get_visible(uow, principal, scan_id, Permission.SCAN_CANCEL)
    scan.status = ScanStatus.CANCELLED.value
    scan.updated_at = uow.clock.now()
    uow.session.flush()
    audit.record(uow, principal, ClearinghouseScanTag.SCAN_CANCELLED, target_type="scan", target_id=scan.id, details={})
    overlaps.clear(uow, principal, scan)
    _notify_target(uow, scan, "cancelled")
    return scan_view(uow, principal, scan)


def _notify_scanner(uow: UnitOfWork, scan: PlannedScan, title: str) -> None:
    notifications.notify(
        uow, directory.list_members(uow, scan.scanner_org_id), kind="scan_objection", title=title, link=scan_link(scan.id)
    )


def object_to_scan(uow: UnitOfWork, principal: Principal, scan_id: uuid.UUID, *, reason: str) -> ScanView:
    """The target objects to a scan of its assets, saying why; the scanner is told (a new reason replaces the old).

    Raises:
        NotFound: the caller may not see the scan.
        PermissionDenied: not the target, or the scan was cancelled.
        ValidationFailed: an empty or overlong reason.
    """
    scan = get_visible(uow, principal, scan_id, Permission.SCAN_OBJECT)
    text = check_reason(reason)
    now = uow.clock.now()
    scan.objection, scan.objected_by, scan.objected_at, scan.updated_at = text, principal.label, now, now
    uow.session.flush()
    audit.record(uow, principal, ClearinghouseScanTag.SCAN_OBJECTED, target_type="scan", target_id=scan.id, details={})
    target = directory.organization_names(uow, {scan.target_org_id}).get(scan.target_org_id, "?")
    _notify_scanner(uow, scan, f"{target} objects to your scan of its assets ({overlaps.when(scan.starts_at)})")
    return scan_view(uow, principal, scan)


def withdraw_objection(uow: UnitOfWork, principal: Principal, scan_id: uuid.UUID) -> ScanView:
    """The target withdraws its objection; the scanner is told.

    Raises:
        NotFound: the caller may not see the scan.
        PermissionDenied: not the target, or the scan was cancelled.
        ValidationFailed: there is no objection to withdraw.
    """
    scan = get_visible(uow, principal, scan_id, Permission.SCAN_OBJECT)
    if scan.objection is None:
        raise ValidationFailed("there is no objection to withdraw", field="reason")
    scan.objection = scan.objected_by = scan.objected_at = None
    scan.updated_at = uow.clock.now()
    uow.session.flush()
    audit.record(uow, principal, ClearinghouseScanTag.SCAN_OBJECTION_WITHDRAWN, target_type="scan", target_id=scan.id, details={})
    target = directory.organization_names(uow, {scan.target_org_id}).get(scan.target_org_id, "?")
    _notify_scanner(uow, scan, f"{target} withdrew its objection to your scan ({overlaps.when(scan.starts_at)})")
    return scan_view(uow, principal, scan)


def resolve_overlap(uow: UnitOfWork, principal: Principal, overlap_id: uuid.UUID, *, note: str = "") -> OverlapView:
    """The clearinghouse marks an overlap resolved (the scanners agreed on who scans when), with a note.

    Raises:
        NotFound: no such overlap, or the caller may not see both its scans.
        PermissionDenied: a party that sees the scans but is not the clearinghouse.
        ValidationFailed: a note over 2000 characters.
    """
    missing = f"overlap {overlap_id} not found"
    row = uow.session.get(ScanOverlap, overlap_id)
    if row is None:
        raise NotFound(missing)
    first, second = (uow.session.get(PlannedScan, i) for i in (row.first_id, row.second_id))
    assert first is not None  # foreign key
    assert second is not None  # foreign key
    now = uow.clock.now()
    # A scanner sees its own side of the overlap (403); anyone who sees neither scan gets 404.
    sees = any(decide(uow, principal, Permission.SCAN_READ, scan_ref(s), now).allowed for s in (first, second))
    try:
        authorize(uow, principal, Permission.SCAN_RESOLVE_OVERLAP, OverlapRef(row.id, (scan_ref(first), scan_ref(second))))
    except PermissionDenied:
        if sees:
            raise
        raise NotFound(missing) from None
    text = note.strip()
    if len(text) > 2000:
        raise ValidationFailed("a note has at most 2000 characters", field="note")
    row.resolved_at, row.resolved_by, row.resolution = uow.clock.now(), principal.label, text or None
    uow.session.flush()
    audit.record(
        uow,
        principal,
        ClearinghouseScanTag.OVERLAP_RESOLVED,
        target_type="scan",
        target_id=first.id,
        details={"overlap": str(row.id), "scans": [str(row.first_id), str(row.second_id)]},
    )
    return next(o for o in overlap_views(uow, principal, first) if o.id == row.id)


def list_target_choices(uow: UnitOfWork, principal: Principal) -> list[OrganizationCard]:
    """The organizations a scan may target (every member organization), for the registration form."""
    authorize(uow, principal, Permission.SCAN_REGISTER, principal.org_id)
    return directory.list_organizations(uow)
