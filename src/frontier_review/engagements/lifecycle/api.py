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


@router.get("/engagements", summary="List engagements")
def list_engagements(uow: UoW, principal: ApiPrincipal) -> list[EngagementOut]:
    """The engagements you may see, latest window first.

    **Who may call:** any signed-in user or API token. The developer gets its own engagements,
    drafts included; the program office every engagement but drafts; a participating
    organization's people the engagements it currently takes part in (offered, not revoked, and
    for a trusted partner only where the terms include partners). Operators get none.

    **Returns** each engagement as you may see it: a participant sees only its own participation.
    """
    return [EngagementOut.of(e) for e in service.list_engagements(uow, principal)]


@router.post("/engagements", status_code=status.HTTP_201_CREATED, summary="Open an engagement (draft)")
def open_engagement(body: EngagementIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """Open a draft engagement for one of your prerelease versions, with the first version of its terms.

    The window lasts at most 30 days, extensions included. Invite participants next, then offer it.

    **Who may call:** members of the developer organization that owns the version
    (`engagements:engagement:open`).

    **Returns** the new engagement, in state `draft`.

    **Errors:** 403 for others who may see the version (the program office, operators); 404 when
    no such version exists or you may not see it; 422 when the version is no longer a
    prerelease, or for a bad title, a window that ends before it starts or lasts over 30 days,
    `partners_from` outside the window, or terms out of bounds (see the fields).
    """
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


@router.get("/engagements/{engagement_id}", summary="Get an engagement")
def get_engagement(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """One engagement with its terms versions, participants and upstreams.

    **Who may call:** members of the developer organization (drafts included), the program office
    (not drafts), and people of an organization that currently takes part: once offered, not
    revoked, and for a trusted partner only where the terms include partners and while its
    designation runs (`engagements:engagement:read`). A participant sees only its own participation.

    **Errors:** 404 when no such engagement exists or you may not see it (the same answer).
    """
    return EngagementOut.of(service.get_engagement(uow, principal, engagement_id))


@router.post("/engagements/{engagement_id}/offer", summary="Offer the draft to its participants")
def offer(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """Offer a draft to its participants: they are notified and may accept the terms.

    **Who may call:** members of the developer organization (`engagements:engagement:manage`).

    **Returns** the engagement, now `offered` (or `active` once the window has opened).

    **Errors:** 403 for others who may see the engagement (only once it is offered: the program
    office, participants); 404 when no such engagement exists or you may not see it (a draft is
    the developer's alone); 409 when it is not a draft; 422 when the version is no longer a
    prerelease, the window has already ended, or nobody is invited yet.
    """
    return EngagementOut.of(service.offer(uow, principal, engagement_id))


@router.post("/engagements/{engagement_id}/terms", summary="Publish a new version of the terms")
def change_terms(engagement_id: uuid.UUID, body: TermsIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """Publish a new version of the terms; it is in force at once.

    Every participant must accept the new version before its people call the gateway or download
    files again. Upstreams of variants the new terms no longer share are disconnected. Participants
    of an offered engagement are notified.

    **Who may call:** members of the developer organization (`engagements:engagement:manage`).

    **Returns** the engagement with the new version as `current_terms`.

    **Errors:** 403 for others who may see the engagement (the program office, participants); 404
    when no such engagement exists or you may not see it; 422 when it is closed, or for terms out
    of bounds (see the fields; at least one material is shared).
    """
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


@router.post("/engagements/{engagement_id}/window", summary="Extend or shorten the window")
def set_window(engagement_id: uuid.UUID, body: WindowIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """Move the window's end (and, in a draft, its start); never beyond 30 days in total.

    **Who may call:** members of the developer organization (`engagements:engagement:manage`).

    **Returns** the engagement with its new window.

    **Errors:** 403 for others who may see the engagement (the program office, participants); 404
    when no such engagement exists or you may not see it; 422 when it is closed, the start moves
    once offered, the window ends before it starts or lasts over 30 days, the end of an offered
    engagement is not in the future (close it instead), or trusted partners' start falls outside it.
    """
    return EngagementOut.of(
        service.set_window(uow, principal, engagement_id, window_end=body.window_end, window_start=body.window_start)
    )


@router.post("/engagements/{engagement_id}/participants", summary="Invite an agency or a designated trusted partner")
def invite(engagement_id: uuid.UUID, body: InviteIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """Invite an agency, the program office, or a designated trusted partner.

    A trusted partner may be invited only where the terms include partners and while its
    designation runs. Once the engagement is offered, the invited organization is notified.

    **Who may call:** members of the developer organization (`engagements:engagement:manage`).

    **Returns** the engagement with the new participant.

    **Errors:** 403 for others who may see the engagement (the program office, participants); 404
    when no such engagement or organization exists, or you may not see the engagement; 409 when the
    organization already takes part; 422 when the engagement is closed, the organization may not be
    invited (with the reason), or for quotas out of range.
    """
    quotas = body.quotas.domain() if body.quotas else None
    return EngagementOut.of(
        participants.invite(uow, principal, engagement_id, organization_id=body.organization_id, quotas=quotas)
    )


@router.post("/engagements/{engagement_id}/participants/{participant_id}/quotas", summary="Set a participant's quotas")
def set_quotas(
    engagement_id: uuid.UUID, participant_id: uuid.UUID, body: QuotasIn, uow: UoW, principal: ApiPrincipal
) -> EngagementOut:
    """Set one participant's quotas; they hold from its next gateway call.

    **Who may call:** members of the developer organization (`engagements:engagement:manage`).

    **Returns** the engagement with the participant's new quotas.

    **Errors:** 403 for others who may see the engagement (the program office, participants); 404
    when no such engagement exists or you may not see it, or the participant is not in it; 422
    for a quota that is not a whole number from 1 to 1000000000.
    """
    return EngagementOut.of(participants.set_quotas(uow, principal, engagement_id, participant_id, body.domain()))


@router.post("/engagements/{engagement_id}/participants/{participant_id}/revoke", summary="Revoke a whole participant")
def revoke_participant(engagement_id: uuid.UUID, participant_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """Cut a participating organization off; it holds on its next gateway call or request in every process.

    Its people no longer see the engagement. Revoking it again changes nothing.

    **Who may call:** members of the developer organization (`engagements:engagement:manage`).

    **Returns** the engagement with the participant's `revoked_at` set.

    **Errors:** 403 for others who may see the engagement (the program office, participants); 404
    when no such engagement exists or you may not see it, or the participant is not in it.
    """
    return EngagementOut.of(participants.revoke_participant(uow, principal, engagement_id, participant_id))


@router.post("/engagements/{engagement_id}/revoke-user", summary="Revoke one person")
def revoke_user(engagement_id: uuid.UUID, body: RevokeUserIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """Cut one person of a participating organization off this engagement, from their next request.

    Revoking someone already revoked changes nothing.

    **Who may call:** members of the developer organization (`engagements:engagement:manage`).

    **Returns** the engagement, listing the person among the participant's `revoked_users`.

    **Errors:** 403 for others who may see the engagement (the program office, participants); 404
    when no such engagement exists or you may not see it; 422 when `user_id` is not a member of a
    participating organization (the same answer whether or not such an account exists).
    """
    return EngagementOut.of(participants.revoke_user(uow, principal, engagement_id, body.user_id))


@router.post("/engagements/{engagement_id}/accept", summary="Accept the terms for your organization")
def accept(engagement_id: uuid.UUID, body: AcceptIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """Accept one specific terms version for your whole organization; the developer is notified.

    Your organization's people call the gateway, download files and file findings only once the
    current version is accepted.

    **Who may call:** admins of an organization that takes part (`engagements:terms:accept`).

    **Returns** the engagement with your participation's `accepted_terms`.

    **Errors:** 403 for others who may see the engagement (the developer, the program office, a
    participant's members who are not admins); 404 when no such engagement exists or you may not
    see it; 409 when `terms_number` is not the current version; 422 when the engagement is closed.
    """
    return EngagementOut.of(service.accept_terms(uow, principal, engagement_id, terms_number=body.terms_number))


@router.post("/engagements/{engagement_id}/close", summary="End the engagement now")
def close(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """End the engagement now, recorded as `withdrawn`; participants are notified.

    Always succeeds for the developer; closing a closed engagement changes nothing.

    **Who may call:** members of the developer organization (`engagements:engagement:manage`).

    **Returns** the engagement, `closed`.

    **Errors:** 403 for others who may see the engagement (the program office, participants); 404
    when no such engagement exists or you may not see it.
    """
    return EngagementOut.of(service.close(uow, principal, engagement_id))


@router.get("/partners", summary="List trusted partner designations")
def list_partners(uow: UoW, principal: ApiPrincipal) -> list[DesignationOut]:
    """Every trusted-partner designation, latest first.

    Each names only the engagements you may read, so no developer learns of another's.

    **Who may call:** the program office, developers and operators (`engagements:partner:list`).

    **Errors:** 403 for anyone else.
    """
    return [DesignationOut.of(d) for d in partners.list_designations(uow, principal)]


@router.post("/partners", status_code=status.HTTP_201_CREATED, summary="Designate a trusted partner")
def designate(body: DesignationIn, uow: UoW, principal: ApiPrincipal) -> DesignationOut:
    """Designate a partner organization as a trusted partner until `expires_at`.

    Developers may then invite it to engagements whose terms include trusted partners.

    **Who may call:** program-office admins (`engagements:partner:designate`).

    **Returns** the new designation.

    **Errors:** 403 for anyone else; 404 when no such organization exists; 409 when it already has
    a running designation; 422 when it is not a partner organization, or for an unknown sector, a
    basis not 10 to 2000 characters long, or an `expires_at` not in the future.
    """
    return DesignationOut.of(
        partners.designate(
            uow, principal, organization_id=body.organization_id, sector=body.sector, basis=body.basis, expires_at=body.expires_at
        )
    )


@router.post("/partners/{designation_id}/revoke", summary="End a designation")
def revoke_designation(designation_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> DesignationOut:
    """End a designation now: the partner is outside every engagement from this moment.

    Ending one already ended changes nothing.

    **Who may call:** program-office admins (`engagements:partner:designate`).

    **Returns** the designation with `revoked_at` set.

    **Errors:** 403 for anyone else; 404 when no such designation exists.
    """
    return DesignationOut.of(partners.revoke_designation(uow, principal, designation_id))
