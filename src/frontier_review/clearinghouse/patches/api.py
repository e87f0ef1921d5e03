"""REST endpoints of patch distribution (``/api/v1/clearinghouse/...``); errors are problem+json.

Everything hangs off a report the caller may read: outside its TLP audience a report answers 404
exactly like a missing one, and so do its fixes and its distribution.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from frontier_review.clearinghouse.patches import browse, service
from frontier_review.clearinghouse.patches.schemas import DistributionOut, ExposurePageOut, FixIn, FixOut, OwnRecordIn, RecordOut
from frontier_review.kernel.listing import MAX_PER_PAGE, ListQuery, Sort
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(prefix="/clearinghouse", tags=["clearinghouse"])
_ID = "/reports/{report_id}"


@router.get(_ID + "/fixes", summary="List a report's fixes")
def list_fixes(report_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[FixOut]:
    """The report's fixes, oldest release first.

    **Who may call:** the report's TLP audience. **Errors:** 404 outside it (like a missing report).
    """
    return [FixOut.of(f) for f in service.list_fixes(uow, principal, report_id)]


@router.post(_ID + "/fixes", status_code=status.HTTP_201_CREATED, summary="Record a fix of a report")
def add_fix(report_id: uuid.UUID, body: FixIn, uow: UoW, principal: ApiPrincipal) -> FixOut:
    """Record a fixed version, its release date and link.

    The first fix makes the report's `fix_available` true and recomputes its priority; a disseminated report's affected operators
    then get their distribution records.

    **Who may call:** the clearinghouse and the report's source (`clearinghouse:fix:manage`).
    **Errors:** 404 outside the report's audience, 403 for others, 422 naming each bad field.
    """
    return FixOut.of(service.add_fix(uow, principal, report_id, body.to_input()))


@router.put(_ID + "/fixes/{fix_id}", summary="Correct a fix")
def edit_fix(report_id: uuid.UUID, fix_id: uuid.UUID, body: FixIn, uow: UoW, principal: ApiPrincipal) -> FixOut:
    """Correct a fix's version, date, link or notes.

    **Who may call:** the clearinghouse and the report's source (`clearinghouse:fix:manage`).
    **Errors:** 404 for a fix of another report or a hidden one, 409 when `version` is stale, 422.
    """
    return FixOut.of(service.edit_fix(uow, principal, report_id, fix_id, body.to_input(), version=body.version))


@router.get(_ID + "/distribution", summary="Get a report's patch distribution")
def get_distribution(report_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> DistributionOut:
    """The report's fixes and what of its distribution you may see.

    Every operator's record (the clearinghouse; audited), counts by state (the clearinghouse and the source), your own record
    (an operator that has one). Nobody else learns that a record exists.

    **Who may call:** the report's TLP audience. **Errors:** 404 outside it.
    """
    return DistributionOut.of(service.get_distribution(uow, principal, report_id))


@router.post(_ID + "/distribution/mine", summary="Update your organization's distribution record")
def update_own(report_id: uuid.UUID, body: OwnRecordIn, uow: UoW, principal: ApiPrincipal) -> RecordOut:
    """Acknowledge, mark applied or not affected, with an optional note.

    Going back: `applied → acknowledged` when a patch is rolled back, `not_affected → acknowledged`
    when affected after all.

    **Who may call:** members of the operator the record is for (`clearinghouse:distribution:update`).
    **Errors:** 404 when the report is hidden or your organization has no record of it, 409 for a
    move the workflow refuses or a stale `version`, 422 for an unknown state.
    """
    return RecordOut.of(service.update_own(uow, principal, report_id, state=body.state, note=body.note, version=body.version))


@router.get("/exposure", summary="The exposure board: who is still exposed")
def exposure(
    uow: UoW,
    principal: ApiPrincipal,
    sort: Annotated[Literal["priority", "title", "state", "updated", "operator"], Query(description="Order.")] = "priority",
    descending: bool = True,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
    q: Annotated[str, Query(max_length=200, description="Part of the report's title or CVE id.")] = "",
    exposed: Annotated[bool, Query(description="Only records still exposed (notified or acknowledged).")] = False,
) -> ExposurePageOut:
    """Distribution records, one per report and operator, highest priority first, with the report.

    Your organization's own records (the clearinghouse: every operator's), of the reports you may
    read. A record exists once a disseminated report with a fix affects the operator: addressed to
    it, or matching its subscriptions' sectors or products (whatever their minimum priority).

    **Who may call:** any member of an organization (`clearinghouse:exposure:read`).

    **Errors:** 422 for a bad parameter.
    """
    query = ListQuery(
        sort=Sort(sort, descending=descending),
        page=page,
        per_page=per_page,
        search=q,
        filters={"show": "exposed"} if exposed else {},
    )
    return ExposurePageOut.of(browse.page_exposure(uow, principal, query))
