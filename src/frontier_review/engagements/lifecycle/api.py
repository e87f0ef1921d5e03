"""REST endpoints for engagements, their terms and participants, and trusted partners."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from frontier_review.engagements.lifecycle import participants, partners, service
from frontier_review.engagements.lifecycle.domain import Window
from frontier_review.engagements.lifecycle.schemas import (
    AcceptIn,
    DesignationIn,
    DesignationOut,
    EngagementIn,
    EngagementOut,
    InviteIn,
    QuotasIn,
    RevokeUserIn,
    TermsIn,
    WindowIn,
)
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(tags=["engagements"])


@router.get("/engagements", summary="List engagements", description="Yours, the ones you take part in, or all (program office).")
def list_engagements(uow: UoW, principal: ApiPrincipal) -> list[EngagementOut]:
    return [EngagementOut.of(e) for e in service.list_engagements(uow, principal)]


@router.post(
    "/engagements",
    status_code=status.HTTP_201_CREATED,
    summary="Open an engagement (draft)",
    description=(
        "For one of your prerelease versions; the window lasts at most 30 days (G3). Permission: `engagements:engagement:open`."
    ),
)
def open_engagement(body: EngagementIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    return EngagementOut.of(
        service.open_engagement(
            uow,
            principal,
            version_id=body.version_id,
            title=body.title,
            window=Window(body.window_start, body.window_end),
            recipients=body.recipients,
            partners_from=body.partners_from,
            materials=body.terms.materials.domain(),
            protections=body.terms.protections.domain(),
            quotas=body.terms.quotas.domain(),
        )
    )


@router.get("/engagements/{engagement_id}", summary="Get an engagement", description="Permission: `engagements:engagement:read`.")
def get_engagement(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    return EngagementOut.of(service.get_engagement(uow, principal, engagement_id))


@router.post("/engagements/{engagement_id}/offer", summary="Offer the draft to its participants")
def offer(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    return EngagementOut.of(service.offer(uow, principal, engagement_id))


@router.post(
    "/engagements/{engagement_id}/terms", summary="Publish a new version of the terms", description="Participants accept again."
)
def change_terms(engagement_id: uuid.UUID, body: TermsIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    return EngagementOut.of(
        service.change_terms(
            uow,
            principal,
            engagement_id,
            materials=body.materials.domain(),
            protections=body.protections.domain(),
            quotas=body.quotas.domain(),
            note=body.note,
        )
    )


@router.post(
    "/engagements/{engagement_id}/window",
    summary="Extend or shorten the window",
    description="Never beyond 30 days in total (G3).",
)
def set_window(engagement_id: uuid.UUID, body: WindowIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    return EngagementOut.of(
        service.set_window(uow, principal, engagement_id, window_end=body.window_end, window_start=body.window_start)
    )


@router.post("/engagements/{engagement_id}/participants", summary="Invite an agency or a designated trusted partner")
def invite(engagement_id: uuid.UUID, body: InviteIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    quotas = body.quotas.domain() if body.quotas else None
    return EngagementOut.of(
        participants.invite(uow, principal, engagement_id, organization_id=body.organization_id, quotas=quotas)
    )


@router.post("/engagements/{engagement_id}/participants/{participant_id}/quotas", summary="Set a participant's quotas")
def set_quotas(
    engagement_id: uuid.UUID, participant_id: uuid.UUID, body: QuotasIn, uow: UoW, principal: ApiPrincipal
) -> EngagementOut:
    return EngagementOut.of(participants.set_quotas(uow, principal, engagement_id, participant_id, body.domain()))


@router.post(
    "/engagements/{engagement_id}/participants/{participant_id}/revoke",
    summary="Revoke a whole participant",
    description="Holds on its next gateway call in every process.",
)
def revoke_participant(engagement_id: uuid.UUID, participant_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    return EngagementOut.of(participants.revoke_participant(uow, principal, engagement_id, participant_id))


@router.post("/engagements/{engagement_id}/revoke-user", summary="Revoke one person")
def revoke_user(engagement_id: uuid.UUID, body: RevokeUserIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    return EngagementOut.of(participants.revoke_user(uow, principal, engagement_id, body.user_id))


@router.post(
    "/engagements/{engagement_id}/accept",
    summary="Accept the terms for your organization",
    description="Admins of a participating organization accept one specific terms version.",
)
def accept(engagement_id: uuid.UUID, body: AcceptIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    return EngagementOut.of(service.accept_terms(uow, principal, engagement_id, terms_number=body.terms_number))


@router.post(
    "/engagements/{engagement_id}/close", summary="End the engagement now", description="Always succeeds for the developer."
)
def close(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    return EngagementOut.of(service.close(uow, principal, engagement_id))


@router.get("/partners", summary="Trusted partner designations", description="Program office and developers.")
def list_partners(uow: UoW, principal: ApiPrincipal) -> list[DesignationOut]:
    return [DesignationOut.of(d) for d in partners.list_designations(uow, principal)]


@router.post(
    "/partners", status_code=status.HTTP_201_CREATED, summary="Designate a trusted partner", description="Program-office admins."
)
def designate(body: DesignationIn, uow: UoW, principal: ApiPrincipal) -> DesignationOut:
    return DesignationOut.of(
        partners.designate(
            uow, principal, organization_id=body.organization_id, sector=body.sector, basis=body.basis, expires_at=body.expires_at
        )
    )


@router.post("/partners/{designation_id}/revoke", summary="End a designation")
def revoke_designation(designation_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> DesignationOut:
    return DesignationOut.of(partners.revoke_designation(uow, principal, designation_id))
