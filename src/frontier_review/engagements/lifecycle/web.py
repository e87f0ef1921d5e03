"""Web pages of engagements: the engagement list and page, offers, participants, the window, release, trusted partners.

The engagement page shows every sub-slice (findings, materials, tokens); their own forms are
served by ``findings.web``, ``materials.web`` and ``access.web``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.engagements.access import service as access
from frontier_review.engagements.access.web import take_token
from frontier_review.engagements.findings import service as findings
from frontier_review.engagements.findings.domain import CATEGORY_LABELS, Severity, Tlp, count_by_severity
from frontier_review.engagements.forms import PAGE, act, parse_when
from frontier_review.engagements.lifecycle import participants, partners, service, views
from frontier_review.engagements.lifecycle import versions as versions_api
from frontier_review.engagements.lifecycle.domain import Materials, Protections, Quotas, Recipients, Window
from frontier_review.engagements.materials import service as materials
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind
from frontier_review.policies import decide
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.problems import back_to
from frontier_review.web.templating import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


@router.get("/engagements", response_class=HTMLResponse)
def engagements_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    items = service.list_engagements(uow, principal)
    versions: Sequence[object] = []
    if principal.org_kind is OrgKind.DEVELOPER:
        versions = versions_api.list_prerelease_versions(uow, principal)
    now = uow.clock.now()
    return render(
        request,
        "engagements/index.html",
        principal,
        engagements=items,
        versions=versions,
        now=now,
        default_start=now.strftime("%Y-%m-%dT%H:%M"),
        default_end=(now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
    )


@router.post("/engagements", dependencies=[back_to("/engagements")])
def open_engagement(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    version_id: Annotated[uuid.UUID, Form()],
    title: Annotated[str, Form(max_length=200)],
    window_start: Annotated[str, Form(max_length=40)],
    window_end: Annotated[str, Form(max_length=40)],
    recipients: Annotated[Recipients, Form()],
    confidentiality_text: Annotated[str, Form(max_length=20000)],
    partners_from: Annotated[str, Form(max_length=40)] = "",
    use_restrictions: Annotated[str, Form(max_length=10000)] = "",
    materials_retention_days: Annotated[int, Form()] = 30,
    requests_per_day: Annotated[int, Form()] = 1000,
    tokens_per_day: Annotated[int, Form()] = 1_000_000,
    requests_per_minute: Annotated[int, Form()] = 60,
    api_access: Annotated[bool, Form()] = False,
    system_card: Annotated[bool, Form()] = False,
    evaluation_results: Annotated[bool, Form()] = False,
    reduced_safeguard_variant: Annotated[bool, Form()] = False,
    weights: Annotated[bool, Form()] = False,
    insider_risk_attestation: Annotated[bool, Form()] = False,
    transcript_retention: Annotated[bool, Form()] = False,
) -> Response:
    view = service.open_engagement(
        uow,
        principal,
        version_id=version_id,
        title=title,
        window=Window(parse_when(window_start, "window start"), parse_when(window_end, "window end")),
        recipients=recipients,
        partners_from=parse_when(partners_from, "partners from") if partners_from else None,
        materials=Materials(api_access, system_card, evaluation_results, reduced_safeguard_variant, weights),
        protections=Protections(
            confidentiality_text, insider_risk_attestation, use_restrictions, materials_retention_days, transcript_retention
        ),
        quotas=Quotas(requests_per_day, tokens_per_day, requests_per_minute),
    )
    flash(request, "Draft engagement opened. Invite participants, connect the upstream, then offer it.", "success")
    return RedirectResponse(f"/engagements/{view.id}", status_code=303)


@router.get("/engagements/{engagement_id}", response_class=HTMLResponse)
def engagement_page(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    view = service.get_engagement(uow, principal, engagement_id)
    the_ref = views.get_ref(uow, views.get_row(uow, engagement_id))
    now = uow.clock.now()
    manages = decide(uow, principal, Permission.ENGAGEMENT_MANAGE, the_ref, now).allowed
    accepts = decide(uow, principal, Permission.ENGAGEMENT_ACCEPT_TERMS, the_ref, now).allowed
    reviews = decide(uow, principal, Permission.GATEWAY_TOKEN_ISSUE, the_ref, now).allowed
    usage = access.list_usage(uow, principal, engagement_id)
    mine = next((p for p in view.participants if p.organization_id == principal.org_id), None)
    found = findings.list_findings(uow, principal, engagement_id)
    can_file = decide(uow, principal, Permission.FINDING_FILE, the_ref, now).allowed and view.state.value != "closed"
    return render(
        request,
        "engagements/detail.html",
        principal,
        e=view,
        now=now,
        manages=manages,
        accepts=accepts,
        reviews=reviews,
        mine=mine,
        usage=usage,
        invitable=participants.list_invitable(uow, principal, engagement_id) if manages else [],
        tokens=access.list_my_tokens(uow, principal, engagement_id) if reviews else [],
        new_token=take_token(request, uow, principal, engagement_id),
        artifacts=materials.list_artifacts(uow, principal, engagement_id),
        download_refusal=materials.find_download_refusal(uow, principal, engagement_id) if reviews else None,
        can_upload=decide(uow, principal, Permission.ARTIFACT_UPLOAD, the_ref, now).allowed and view.state.value != "closed",
        findings=found,
        severity_counts=count_by_severity(found),
        can_file=can_file,
        categories=CATEGORY_LABELS,
        severities=list(Severity),
        tlps=list(Tlp),
        recipient_choices=findings.list_recipient_choices(uow, principal, engagement_id) if can_file else [],
        gateway_url=str(request.base_url).rstrip("/") + "/gateway/v1",
    )


@router.post("/engagements/{engagement_id}/offer", dependencies=[back_to(PAGE)])
def offer(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return act(
        request, engagement_id, "Offered; participants are notified.", lambda: service.offer(uow, principal, engagement_id)
    )


@router.post("/engagements/{engagement_id}/invite", dependencies=[back_to(PAGE)])
def invite(
    engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, organization_id: Annotated[uuid.UUID, Form()]
) -> Response:
    return act(
        request,
        engagement_id,
        "Participant invited.",
        lambda: participants.invite(uow, principal, engagement_id, organization_id=organization_id),
    )


@router.post("/engagements/{engagement_id}/accept", dependencies=[back_to(PAGE)])
def accept(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    terms_number: Annotated[int, Form()],
    acknowledge: Annotated[bool, Form()] = False,
) -> Response:
    if not acknowledge:
        flash(request, "Tick the acknowledgment to accept the terms.", "error")
        return RedirectResponse(f"/engagements/{engagement_id}", status_code=303)
    return act(
        request,
        engagement_id,
        f"Terms version {terms_number} accepted for your organization.",
        lambda: service.accept_terms(uow, principal, engagement_id, terms_number=terms_number),
    )


@router.post("/engagements/{engagement_id}/participants/{participant_id}/revoke", dependencies=[back_to(PAGE)])
def revoke_participant(
    engagement_id: uuid.UUID, participant_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal
) -> Response:
    return act(
        request,
        engagement_id,
        "Participant revoked: its next call fails.",
        lambda: participants.revoke_participant(uow, principal, engagement_id, participant_id),
    )


@router.post("/engagements/{engagement_id}/revoke-user", dependencies=[back_to(PAGE)])
def revoke_user(
    engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, email: Annotated[str, Form(max_length=320)]
) -> Response:
    return act(
        request,
        engagement_id,
        f"{email} revoked: their next call fails.",
        lambda: participants.revoke_user(uow, principal, engagement_id, email=email),
    )


@router.post("/engagements/{engagement_id}/window", dependencies=[back_to(PAGE)])
def set_window(
    engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, window_end: Annotated[str, Form(max_length=40)]
) -> Response:
    end = parse_when(window_end, "window end")
    return act(
        request, engagement_id, "Window changed.", lambda: service.set_window(uow, principal, engagement_id, window_end=end)
    )


@router.post("/engagements/{engagement_id}/release", dependencies=[back_to(PAGE)])
def release(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """G2: one button, no approval; every access ends at once."""
    view = service.get_engagement(uow, principal, engagement_id)
    return act(
        request,
        engagement_id,
        f"{view.version_display} released. Every participant's access ended now.",
        lambda: versions_api.release_version(uow, principal, view.version_id),
    )


@router.post("/engagements/{engagement_id}/close", dependencies=[back_to(PAGE)])
def close(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return act(
        request, engagement_id, "Engagement ended; access is closed.", lambda: service.close(uow, principal, engagement_id)
    )


@router.get("/partners", response_class=HTMLResponse)
def partners_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    from frontier_review.identity import service as identity

    designations = partners.list_designations(uow, principal)
    now = uow.clock.now()
    can_designate = decide(uow, principal, Permission.PARTNER_DESIGNATE, None, now).allowed
    orgs = identity.list_organizations(uow, principal, kind=OrgKind.PARTNER) if can_designate else []
    return render(
        request,
        "engagements/partners.html",
        principal,
        designations=designations,
        orgs=orgs,
        sectors=partners.SECTORS,
        can_designate=can_designate,
        now=now,
        default_expiry=(now + timedelta(days=365)).strftime("%Y-%m-%d"),
    )


@router.post("/partners", dependencies=[back_to("/partners")])
def designate(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    organization_id: Annotated[uuid.UUID, Form()],
    sector: Annotated[str, Form(max_length=64)],
    basis: Annotated[str, Form(max_length=2000)],
    expires_on: Annotated[str, Form(max_length=20)],
) -> Response:
    expires = parse_when(expires_on + "T00:00" if len(expires_on) == 10 else expires_on, "expiry")
    partners.designate(uow, principal, organization_id=organization_id, sector=sector, basis=basis, expires_at=expires)
    flash(request, "Trusted partner designated.", "success")
    return RedirectResponse("/partners", status_code=303)


@router.post("/partners/{designation_id}/revoke", dependencies=[back_to("/partners")])
def revoke_designation(designation_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    partners.revoke_designation(uow, principal, designation_id)
    flash(request, "Designation ended.", "success")
    return RedirectResponse("/partners", status_code=303)
