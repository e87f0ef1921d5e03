"""REST endpoints for scan deconfliction: ``/api/v1/clearinghouse/scans…``.

Errors are problem+json; a bad range, domain or window is a 422 naming the field.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from frontier_review.clearinghouse.scans import browse, service
from frontier_review.clearinghouse.scans.schemas import (
    ObjectionIn,
    OverlapOut,
    ResolveIn,
    ScanChangeIn,
    ScanIn,
    ScanOut,
    ScanPageOut,
    ScanSummaryOut,
)
from frontier_review.kernel.listing import ListQuery, Sort
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(prefix="/clearinghouse", tags=["clearinghouse"])
_WHO = (
    "**Who may call:** the scan's scanner organization, its target organization and the clearinghouse "
    "(`clearinghouse:scan:read`); to anyone else it does not exist (404)."
)


@router.get("/scans", summary="List the scans you may see")
def list_scans(
    uow: UoW,
    principal: ApiPrincipal,
    side: Annotated[Literal["scanner", "target"] | None, Query(description="Your organization's side.")] = None,
    scan_status: Annotated[Literal["planned", "cancelled"] | None, Query(alias="status", description="Only these.")] = None,
    target: Annotated[uuid.UUID | None, Query(description="Only scans of this organization.")] = None,
    overlap: Annotated[Literal["open"] | None, Query(description="`open`: only scans with an unresolved overlap.")] = None,
    sort: Annotated[Literal["starts", "ends", "target", "scanner"], Query(description="Order.")] = "starts",
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ScanPageOut:
    """The scans your organization runs or that target it (the clearinghouse: every scan); counts are yours only.

    **Who may call:** anyone signed in; each scan is listed only for its scanner, its target and the clearinghouse.
    """
    filters = {
        k: v
        for k, v in {"side": side, "status": scan_status, "target": str(target) if target else None, "overlap": overlap}.items()
        if v
    }
    got = browse.page_scans(uow, principal, ListQuery(sort=Sort(sort), page=page, per_page=per_page, filters=filters))
    return ScanPageOut(items=[ScanSummaryOut.of(s) for s in got], total=got.total, page=got.page, per_page=got.per_page)


@router.post("/scans", status_code=status.HTTP_201_CREATED, summary="Register a planned scan")
def register_scan(body: ScanIn, uow: UoW, principal: ApiPrincipal) -> ScanOut:
    """Register a planned scan for your organization; overlaps are flagged at once.

    Overlaps (same target, a shared address or host name, intersecting windows) are notified to
    both scanners and the clearinghouse; the target is told a scan of its assets was registered.

    **Who may call:** any member of an organization, for that organization (`clearinghouse:scan:register`).

    **Errors:** 422 naming each bad field (`ranges`: malformed, host bits set — with the network
    meant —; `domains`; `ends_at` before the start, over 31 days, in the past; `target_org_id`;
    `model_version_id`).
    """
    view = service.register_scan(
        uow,
        principal,
        target_org_id=body.target_org_id,
        ranges=body.ranges,
        domains=body.domains,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        model_version_id=body.model_version_id,
        model_text=body.model_text,
        purpose=body.purpose,
    )
    return ScanOut.full(view)


@router.get("/scans/{scan_id}", summary="Get a scan with its overlaps", description=_WHO)
def get_scan(scan_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> ScanOut:
    """One scan with its model, purpose, objection and overlaps (each from this scan's side)."""
    return ScanOut.full(service.get_scan(uow, principal, scan_id))


@router.patch("/scans/{scan_id}", summary="Change a scan's window, ranges or domains")
def change_scan(scan_id: uuid.UUID, body: ScanChangeIn, uow: UoW, principal: ApiPrincipal) -> ScanOut:
    """Change the scope; overlaps are recomputed and flagged again.

    **Who may call:** the scanning organization, until it cancels the scan (`clearinghouse:scan:change`).

    **Errors:** 403 for the target and the clearinghouse; 404 for others; 409 for a stale `version`; 422 naming the field.
    """
    view = service.change_scan(
        uow,
        principal,
        scan_id,
        ranges=body.ranges,
        domains=body.domains,
        starts_at=body.starts_at,
        ends_at=body.ends_at,
        expected_version=body.version,
    )
    return ScanOut.full(view)


@router.post("/scans/{scan_id}/cancel", summary="Cancel a scan")
def cancel_scan(scan_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> ScanOut:
    """Cancel (irreversible): its overlaps are cleared and the target told.

    **Who may call:** the scanning organization (`clearinghouse:scan:cancel`). **Errors:** 403, 404 as for a change.
    """
    return ScanOut.full(service.cancel_scan(uow, principal, scan_id))


@router.put("/scans/{scan_id}/objection", summary="Object to a scan of your assets")
def object_to_scan(scan_id: uuid.UUID, body: ObjectionIn, uow: UoW, principal: ApiPrincipal) -> ScanOut:
    """Object, with a reason (a new one replaces the old); the scanner is told.

    **Who may call:** the target organization (`clearinghouse:scan:object`). **Errors:** 403 for the
    scanner and the clearinghouse; 404 for others; 422 for an empty reason.
    """
    return ScanOut.full(service.object_to_scan(uow, principal, scan_id, reason=body.reason))


@router.delete("/scans/{scan_id}/objection", summary="Withdraw your objection")
def withdraw_objection(scan_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> ScanOut:
    """Withdraw the target's objection; the scanner is told.

    **Who may call:** the target organization (`clearinghouse:scan:object`); 422 when there is no objection.
    """
    return ScanOut.full(service.withdraw_objection(uow, principal, scan_id))


@router.get("/scans/{scan_id}/overlaps", summary="A scan's overlaps, from its side", description=_WHO)
def list_overlaps(scan_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[OverlapOut]:
    """The overlaps: the other scanner and its contact, the shared window, the colliding ranges and domains."""
    return [OverlapOut.of(o) for o in service.list_overlaps(uow, principal, scan_id)]


@router.post("/scan-overlaps/{overlap_id}/resolve", summary="Mark an overlap resolved (the clearinghouse)")
def resolve_overlap(overlap_id: uuid.UUID, body: ResolveIn, uow: UoW, principal: ApiPrincipal) -> OverlapOut:
    """Record that the scanners agreed who scans when.

    **Who may call:** the clearinghouse (`clearinghouse:scan:resolve_overlap`). **Errors:** 403 for the
    scanners and the target (they see a side of it); 404 for anyone who sees neither scan.
    """
    return OverlapOut.of(service.resolve_overlap(uow, principal, overlap_id, note=body.note))
