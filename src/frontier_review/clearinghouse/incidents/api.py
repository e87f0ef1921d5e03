"""REST endpoints for AI-enabled intrusion reports (`/api/v1/clearinghouse/incidents`).

Errors are RFC 9457 problem documents (``web/problems.py``); a bad field (an indicator, a label,
a recipient) is a 422 whose ``errors`` name it (``indicators[2]``, ``tlp``, ``recipient_people``).
An incident outside your TLP audience answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from frontier_review.clearinghouse.incidents import service
from frontier_review.clearinghouse.incidents.schemas import (
    IncidentIn,
    IncidentOut,
    IncidentPageOut,
    IncidentSummaryOut,
    ReferralIn,
    RelabelIn,
    TriageIn,
)
from frontier_review.kernel.listing import MAX_PER_PAGE, ListQuery, Sort
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(prefix="/clearinghouse/incidents", tags=["clearinghouse"])


@router.get("", summary="List the incidents you may see")
def list_incidents(
    uow: UoW,
    principal: ApiPrincipal,
    referred_to_us: Annotated[bool, Query(description="Only those referred to your organization.")] = False,
    status_is: Annotated[str | None, Query(alias="status", max_length=16, description="Only this status.")] = None,
    tlp: Annotated[str | None, Query(max_length=24, description="Only this label (`TLP:AMBER`).")] = None,
    sort: Annotated[
        str, Query(max_length=16, description="`reported`, `detected`, `title`, `tlp`, `status` or `reporter`.")
    ] = "reported",
    descending: Annotated[bool, Query(description="Descending order.")] = True,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> IncidentPageOut:
    """The incidents whose TLP audience includes you, newest first; the others are not even counted.

    **Who may call:** anyone signed in; each incident is listed only for its audience
    (`clearinghouse:incident:read`). The clearinghouse's queue is this list for the clearinghouse.
    """
    filters = {k: v for k, v in (("status", status_is), ("tlp", tlp)) if v}
    query = ListQuery(sort=Sort(sort, descending=descending), page=page, per_page=per_page, filters=filters)
    result = service.page_incidents(uow, principal, query, referred_to_me=referred_to_us)
    return IncidentPageOut(
        items=[IncidentSummaryOut.of(i) for i in result.page.items],
        total=result.page.total,
        page=result.page.page,
        per_page=result.page.per_page,
        counts={s.value: n for s, n in result.counts.items()},
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Report an AI-enabled intrusion")
def report_incident(body: IncidentIn, uow: UoW, principal: ApiPrincipal) -> IncidentOut:
    """Report unauthorized access carried out with AI, for your organization (EO §4).

    The clearinghouse and the named recipients in the audience are notified in the app; notices
    never carry the title or content.

    **Who may call:** any member of an organization (`clearinghouse:incident:report`).

    **Errors:** 403 for an account without an organization; 422 naming every bad field (an
    indicator that is not of its type, `detected_at` before `started_at`, an unknown label, TLP:RED
    without `recipient_people`, recipients that are not active members, an unknown model version).
    """
    view = service.report_incident(
        uow,
        principal,
        title=body.title,
        systems=body.systems,
        sectors=body.sectors,
        started_at=body.started_at,
        detected_at=body.detected_at,
        detection=body.detection,
        detection_details=body.detection_details,
        model_version_id=body.model_version_id,
        model_text=body.model_text,
        narrative=body.narrative,
        indicators=[(i.type, i.value) for i in body.indicators],
        tlp=body.tlp,
        recipient_orgs=body.recipient_orgs,
        recipient_people=body.recipient_people,
    )
    return IncidentOut.full(view)


@router.get("/{incident_id}", summary="Get an incident")
def get_incident(incident_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> IncidentOut:
    """One incident with its narrative, indicators, recipients and referrals; every read is audited.

    **Who may call:** its TLP audience (`clearinghouse:incident:read`).

    **Errors:** 404 when no such incident exists or you are outside its audience (the same answer).
    """
    return IncidentOut.full(service.get_incident(uow, principal, incident_id))


@router.post("/{incident_id}/triage", summary="Start reviewing an incident, or close it (the clearinghouse)")
def triage(incident_id: uuid.UUID, body: TriageIn, uow: UoW, principal: ApiPrincipal) -> IncidentOut:
    """Move the incident to `under_review` or `closed`; the reporting organization is notified.

    **Who may call:** the clearinghouse, in the audience (`clearinghouse:incident:triage`).

    **Errors:** 403 for others in the audience and once closed; 404 outside it; 409 for a step the
    workflow does not allow; 422 for another status.
    """
    return IncidentOut.full(service.triage(uow, principal, incident_id, status=body.status))


@router.post("/{incident_id}/tlp", summary="Change an incident's label and named recipients")
def relabel(incident_id: uuid.UUID, body: RelabelIn, uow: UoW, principal: ApiPrincipal) -> IncidentOut:
    """Only the reporting organization relaxes the label; the clearinghouse may tighten it.

    **Who may call:** `clearinghouse:incident:relabel`, in the audience.

    **Errors:** 403 for others and for the clearinghouse relaxing; 404 outside the audience; 422 for
    an unknown label, bad recipients, TLP:RED without people, or a change that would hide it from you.
    """
    view = service.relabel(
        uow, principal, incident_id, tlp=body.tlp, recipient_orgs=body.recipient_orgs, recipient_people=body.recipient_people
    )
    return IncidentOut.full(view)


@router.post("/{incident_id}/referrals", status_code=status.HTTP_201_CREATED, summary="Refer an incident to law enforcement")
def refer(incident_id: uuid.UUID, body: ReferralIn, uow: UoW, principal: ApiPrincipal) -> IncidentOut:
    """Refer the incident to a law-enforcement organization; the label never changes.

    The organization joins the need-to-know set; under TLP:RED only the `people` named there receive it.

    **Who may call:** the clearinghouse, in the audience (`clearinghouse:incident:refer`).

    **Errors:** 403 for others, once closed, or for an organization that is not law enforcement;
    404 outside the audience; 409 when already referred there or not yet under review; 422 for an
    unknown organization, TLP:RED without `people`, or people who are not active members there.
    """
    view = service.refer(uow, principal, incident_id, organization_id=body.organization_id, people=body.people, note=body.note)
    return IncidentOut.full(view)


@router.post("/{incident_id}/acknowledgement", summary="Acknowledge a referral (the receiving organization)")
def acknowledge(incident_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> IncidentOut:
    """Record that your organization received the referral (who and when); the clearinghouse is notified.

    **Who may call:** members of an organization it was referred to, in the audience
    (`clearinghouse:incident:acknowledge`).

    **Errors:** 403 for others and once acknowledged; 404 outside the audience.
    """
    return IncidentOut.full(service.acknowledge(uow, principal, incident_id))
