"""Web pages of engagements: the developer's engagement page, reviewers' view with the chat
playground and gateway tokens, the program office's overview, and trusted partners."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.config import Environment
from frontier_review.engagements import access, artifacts, findings, partners, reveals, service
from frontier_review.engagements.domain import Materials, Protections, Quotas, Recipients, Window
from frontier_review.kernel.errors import DomainError
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import decide
from frontier_review.registry import service as registry
from frontier_review.registry.domain import VersionStatus
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.problems import back_to
from frontier_review.web.templating import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
_PAGE = "/engagements/{engagement_id}"


def _when(value: str, field: str) -> datetime:
    """A datetime-local form value, taken as UTC."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _FormError(f"{field} is not a date and time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class _FormError(DomainError):
    code = "validation_failed"


@router.get("/engagements", response_class=HTMLResponse)
def engagements_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    items = service.list_visible(uow, principal)
    versions = []
    if principal.org_kind is OrgKind.DEVELOPER:
        versions = [v for m in registry.list_models(uow, principal) for v in m.versions if v.status is VersionStatus.PRERELEASE]
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
        window=Window(_when(window_start, "window start"), _when(window_end, "window end")),
        recipients=recipients,
        partners_from=_when(partners_from, "partners from") if partners_from else None,
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
    view = service.get(uow, principal, engagement_id)
    row = service.load(uow, engagement_id)
    the_ref = service.ref(uow, row)
    now = uow.clock.now()
    manages = decide(uow, principal, Permission.ENGAGEMENT_MANAGE, the_ref, now).allowed
    accepts = decide(uow, principal, Permission.ENGAGEMENT_ACCEPT_TERMS, the_ref, now).allowed
    reviews = decide(uow, principal, Permission.GATEWAY_TOKEN_ISSUE, the_ref, now).allowed
    usage = service.usage(uow, principal, engagement_id)
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
        invitable=service.invitable(uow, principal, engagement_id) if manages else [],
        tokens=access.my_tokens(uow, principal, engagement_id) if reviews else [],
        new_token=_take_token(request, uow, principal, engagement_id),
        artifacts=artifacts.list_artifacts(uow, principal, engagement_id),
        download_refusal=artifacts.download_refusal(uow, principal, engagement_id) if reviews else None,
        can_upload=decide(uow, principal, Permission.ARTIFACT_UPLOAD, the_ref, now).allowed and view.state.value != "closed",
        findings=found,
        severity_counts=findings.count_by_severity(found),
        can_file=can_file,
        categories=findings.CATEGORY_LABELS,
        severities=list(findings.Severity),
        tlps=list(findings.Tlp),
        recipient_choices=findings.recipient_choices(uow, principal, engagement_id) if can_file else [],
        gateway_url=str(request.base_url).rstrip("/") + "/gateway/v1",
    )


def _action(request: Request, engagement_id: uuid.UUID, done: str, call: object) -> Response:
    assert callable(call)
    call()
    flash(request, done, "success")
    return RedirectResponse(f"/engagements/{engagement_id}", status_code=303)


@router.post("/engagements/{engagement_id}/offer", dependencies=[back_to(_PAGE)])
def offer(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return _action(
        request, engagement_id, "Offered; participants are notified.", lambda: service.offer(uow, principal, engagement_id)
    )


@router.post("/engagements/{engagement_id}/invite", dependencies=[back_to(_PAGE)])
def invite(
    engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, organization_id: Annotated[uuid.UUID, Form()]
) -> Response:
    return _action(
        request,
        engagement_id,
        "Participant invited.",
        lambda: service.invite(uow, principal, engagement_id, organization_id=organization_id),
    )


@router.post("/engagements/{engagement_id}/accept", dependencies=[back_to(_PAGE)])
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
    return _action(
        request,
        engagement_id,
        f"Terms version {terms_number} accepted for your organization.",
        lambda: service.accept_terms(uow, principal, engagement_id, terms_number=terms_number),
    )


@router.post("/engagements/{engagement_id}/participants/{participant_id}/revoke", dependencies=[back_to(_PAGE)])
def revoke_participant(
    engagement_id: uuid.UUID, participant_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal
) -> Response:
    return _action(
        request,
        engagement_id,
        "Participant revoked: its next call fails.",
        lambda: service.revoke_participant(uow, principal, engagement_id, participant_id),
    )


@router.post("/engagements/{engagement_id}/revoke-user", dependencies=[back_to(_PAGE)])
def revoke_user(
    engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, email: Annotated[str, Form(max_length=320)]
) -> Response:
    return _action(
        request,
        engagement_id,
        f"{email} revoked: their next call fails.",
        lambda: service.revoke_user(uow, principal, engagement_id, email=email),
    )


@router.post("/engagements/{engagement_id}/window", dependencies=[back_to(_PAGE)])
def set_window(
    engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, window_end: Annotated[str, Form(max_length=40)]
) -> Response:
    end = _when(window_end, "window end")
    return _action(
        request, engagement_id, "Window changed.", lambda: service.set_window(uow, principal, engagement_id, window_end=end)
    )


@router.post("/engagements/{engagement_id}/upstream", dependencies=[back_to(_PAGE)])
def set_upstream(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    base_url: Annotated[str, Form(max_length=500)],
    upstream_model: Annotated[str, Form(max_length=200)],
    api_key: Annotated[str, Form(max_length=4096)] = "",
    variant: Annotated[str, Form(max_length=40)] = "standard",
) -> Response:
    settings = uow.settings
    return _action(
        request,
        engagement_id,
        "Upstream connected; its URL and key are sealed and will not be shown again.",
        lambda: access.set_upstream(
            uow,
            principal,
            engagement_id,
            variant=variant,
            base_url=base_url,
            api_key=api_key or None,
            upstream_model=upstream_model,
            require_https=settings.env is Environment.PROD,
            allow_private=settings.gateway_allow_private_upstreams,
        ),
    )


@router.post("/engagements/{engagement_id}/upstream/{variant}/remove", dependencies=[back_to(_PAGE)])
def remove_upstream(engagement_id: uuid.UUID, variant: str, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    access.remove_upstream(uow, principal, engagement_id, variant=variant)
    flash(request, f"The {variant} upstream is disconnected; its URL and key were deleted.", "success")
    return RedirectResponse(f"/engagements/{engagement_id}", status_code=303)


@router.post("/engagements/{engagement_id}/release", dependencies=[back_to(_PAGE)])
def release(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """G2: one button, no approval; every access ends at once."""
    view = service.get(uow, principal, engagement_id)
    return _action(
        request,
        engagement_id,
        f"{view.version_display} released. Every participant's access ended now.",
        lambda: registry.set_status(uow, principal, view.version_id, status=VersionStatus.RELEASED),
    )


@router.post("/engagements/{engagement_id}/close", dependencies=[back_to(_PAGE)])
def close(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return _action(
        request, engagement_id, "Engagement ended; access is closed.", lambda: service.close(uow, principal, engagement_id)
    )


@router.post("/engagements/{engagement_id}/tokens", dependencies=[back_to(_PAGE)])
def issue_token(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    name: Annotated[str, Form(max_length=100)] = "personal",
) -> Response:
    issued = access.issue_token(uow, principal, engagement_id, name=name)
    _stash_token(request, uow, principal, engagement_id, issued.plaintext)
    return RedirectResponse(f"/engagements/{engagement_id}#tokens", status_code=303)


@router.post("/engagements/{engagement_id}/tokens/{token_id}/revoke", dependencies=[back_to(_PAGE)])
def revoke_token(engagement_id: uuid.UUID, token_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return _action(request, engagement_id, "Token revoked.", lambda: access.revoke_token(uow, principal, token_id))


# A new token is shown once, on the next page. The session cookie is signed but not encrypted, so
# it carries only the id of a sealed server-side record, which that page takes (and deletes).
_REVEAL = "gateway_token_reveal"


def _stash_token(request: Request, uow: UoW, principal: Principal, engagement_id: uuid.UUID, plaintext: str) -> None:
    request.session[_REVEAL] = str(reveals.stash(uow, principal, engagement_id, plaintext))


def _take_token(request: Request, uow: UoW, principal: Principal, engagement_id: uuid.UUID) -> str | None:
    return reveals.take(uow, principal, engagement_id, request.session.pop(_REVEAL, None))


@router.get("/engagements/{engagement_id}/playground", response_class=HTMLResponse)
def playground(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    view = service.get(uow, principal, engagement_id)
    return render(
        request, "engagements/playground.html", principal, e=view, new_token=_take_token(request, uow, principal, engagement_id)
    )


@router.post("/engagements/{engagement_id}/playground/token", dependencies=[back_to(_PAGE)])
def playground_token(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """A token for this browser's playground, handed to the page once (kept in sessionStorage)."""
    issued = access.issue_token(uow, principal, engagement_id, name=f"playground {uow.clock.now():%Y-%m-%d %H:%M}")
    _stash_token(request, uow, principal, engagement_id, issued.plaintext)
    return RedirectResponse(f"/engagements/{engagement_id}/playground", status_code=303)


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
    expires = _when(expires_on + "T00:00" if len(expires_on) == 10 else expires_on, "expiry")
    partners.designate(uow, principal, organization_id=organization_id, sector=sector, basis=basis, expires_at=expires)
    flash(request, "Trusted partner designated.", "success")
    return RedirectResponse("/partners", status_code=303)


@router.post("/partners/{designation_id}/revoke", dependencies=[back_to("/partners")])
def revoke_designation(designation_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    partners.revoke_designation(uow, principal, designation_id)
    flash(request, "Designation ended.", "success")
    return RedirectResponse("/partners", status_code=303)


@router.get("/mail", response_class=HTMLResponse)
def mail_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The local mail sink: each person's own email notices (used when no SMTP server is set)."""
    from frontier_review.identity import mailbox

    return render(request, "mail.html", principal, mails=mailbox.my_mail(uow, principal), smtp=bool(uow.settings.smtp_url))
