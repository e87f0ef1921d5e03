"""Web pages of engagements: the engagement list and page, offers, participants, the window, release, trusted partners.

The engagement page shows every sub-slice in tabs ordered by ``page.py`` (findings, materials, tokens);
their own forms are served by ``findings.web``, ``materials.web`` and ``access.web``. Forms with
something to keep declare their page (``form_page``): a refused one is shown again, filled in.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements import confirmations
from frontier_review.engagements.access import service as access
from frontier_review.engagements.access import usage
from frontier_review.engagements.access.web import take_token
from frontier_review.engagements.findings import browse as findings_browse
from frontier_review.engagements.findings.domain import CATEGORY_LABELS, SEVERITY_ORDER, FindingStatus, Severity, Tlp
from frontier_review.engagements.forms import PAGE, act, parse_when
from frontier_review.engagements.lifecycle import browse, page, participants, partners, service, views
from frontier_review.engagements.lifecycle import versions as versions_api
from frontier_review.engagements.lifecycle.domain import (
    MAX_REASON,
    ClosedReason,
    EngagementState,
    Materials,
    Protections,
    Quotas,
    Recipients,
    Window,
)
from frontier_review.engagements.lifecycle.tables import (
    DESIGNATIONS,
    PARTICIPANTS,
    SEVERITY_COLUMN,
    engagements_table,
)
from frontier_review.engagements.materials import service as materials
from frontier_review.kernel.decision import Denied
from frontier_review.kernel.errors import ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import decide
from frontier_review.registry.domain import VersionStatus
from frontier_review.web.confirm import ask
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.tables import Column, Filter, Sort, Table, table_view
from frontier_review.web.templating import flash, render
from frontier_review.web.timezones import DEFAULT_ZONE

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
ConfirmField = Annotated[str, Form(max_length=80)]
ReasonField = Annotated[str, Form(max_length=MAX_REASON)]

FINDINGS = Table(
    id="findings-table",
    caption="Findings you may see",
    columns=[
        Column("Finding", "title"),
        Column("Severity", "severity"),
        Column("Category", "category"),
        Column("TLP", "tlp"),
        Column("Status", "status"),
        Column("From", "finder"),
        Column("Filed", "filed", descending_first=True),
        Column("Thread", "thread", descending_first=True, numeric=True),
    ],
    default_sort=Sort("filed", descending=True),
    noun=("finding", "findings"),
    search_label="Search titles",
    filters=[
        Filter("severity", "Severity", choices=[(s.value, s.value) for s in SEVERITY_ORDER]),
        Filter("status", "Status", choices=[(s.value, s.value.replace("_", " ")) for s in FindingStatus]),
        Filter("tlp", "TLP", choices=[(t.value, t.value) for t in Tlp]),
        Filter("category", "Category", choices=[(c.value, label) for c, label in CATEGORY_LABELS.items()]),
    ],
    prefix="f_",
)


@router.get("/engagements", response_class=HTMLResponse)
def engagements_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    table = engagements_table(uow, principal)
    query = table.read(request.query_params)
    listing = table_view(request, table, browse.page_engagements(uow, principal, query), query)
    by_severity: dict[uuid.UUID, dict[Severity, int]] | None = None
    if table.columns[-1].label == SEVERITY_COLUMN:
        by_severity = findings_browse.severity_by_engagement(uow, principal, [r.id for r in listing.rows])
    versions: Sequence[object] = []
    if principal.org_kind is OrgKind.DEVELOPER:
        versions = versions_api.list_prerelease_versions(uow, principal)
    now = uow.clock.now()
    return render(
        request,
        "engagements/index.html",
        principal,
        listing=listing,
        by_severity=by_severity,
        versions=versions,
        revocations=participants.list_my_revocations(uow, principal),
        now=now,
        default_start=now.strftime("%Y-%m-%dT%H:%M"),
        default_end=(now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
    )


@router.post("/engagements", dependencies=[form_page("/engagements")])
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
    tz: Annotated[str, Form(max_length=64)] = DEFAULT_ZONE,
) -> Response:
    view = service.open_engagement(
        uow,
        principal,
        version_id=version_id,
        title=title,
        window=Window(
            parse_when(window_start, "window start", name="window_start", zone=tz),
            parse_when(window_end, "window end", name="window_end", zone=tz),
        ),
        recipients=recipients,
        partners_from=parse_when(partners_from, "partners from", name="partners_from", zone=tz) if partners_from else None,
        materials=Materials(api_access, system_card, evaluation_results, reduced_safeguard_variant, weights),
        protections=Protections(
            confidentiality_text, insider_risk_attestation, use_restrictions, materials_retention_days, transcript_retention
        ),
        quotas=Quotas(requests_per_day, tokens_per_day, requests_per_minute),
    )
    flash(request, "Draft engagement opened. Invite participants, connect the upstream, then offer it.", "success")
    return RedirectResponse(f"/engagements/{view.id}", status_code=303)


def _page_context(request: Request, uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> dict[str, Any]:
    """Everything the engagement page shows, in one pass (raises ``NotFound`` for a hidden engagement)."""
    view = service.get_engagement(uow, principal, engagement_id)
    ref = views.get_ref(uow, views.get_row(uow, engagement_id))
    now = uow.clock.now()

    def allowed(permission: Permission) -> bool:
        return decide(uow, principal, permission, ref, now).allowed

    manages = allowed(Permission.ENGAGEMENT_MANAGE)
    closed = view.state is EngagementState.CLOSED
    # A participant's member (the page lists only its own participation): its tokens and findings.
    mine = page.mine(view, principal)
    reviews = mine is not None and not manages
    query = FINDINGS.read(request.query_params)
    found = findings_browse.page_findings(uow, principal, engagement_id, query)
    findings_table = table_view(request, FINDINGS, found.page, query, anchor="findings")
    query = PARTICIPANTS.read(request.query_params)
    participants_table = table_view(
        request, PARTICIPANTS, browse.page_participants(uow, principal, engagement_id, query), query, anchor="participants"
    )
    filing = decide(uow, principal, Permission.FINDING_FILE, ref, now)
    can_file = filing.allowed and not closed
    file_refusal = token_refusal = None
    if reviews:
        # What is offered is for display; the services decide (the same rules, asked again).
        if not can_file:
            ended = "the engagement has ended; findings can no longer be filed"
            file_refusal = ended if closed else (filing.reason if isinstance(filing, Denied) else None)
        token_refusal = page.token_refusal(view, mine)
        minting = decide(uow, principal, Permission.GATEWAY_TOKEN_ISSUE, ref, now)
        if token_refusal is None and isinstance(minting, Denied):
            token_refusal = minting.reason
    return {
        "e": view,
        "now": now,
        "tabs": page.tabs_for(manages=manages, participant=reviews, program_office=principal.org_kind is OrgKind.PROGRAM_OFFICE),
        "manages": manages,
        "accepts": allowed(Permission.ENGAGEMENT_ACCEPT_TERMS),
        "reviews": reviews,
        "closed": closed,
        "released_at": view.closed_at if view.closed_reason is ClosedReason.RELEASED else None,
        "mine": mine,
        "pending": [p for p in view.participants if p.accepted_terms != view.current_terms and not p.revoked_at],
        "usage_chart": usage.usage_chart(uow, principal, engagement_id),
        "invitable": participants.list_invitable(uow, principal, engagement_id) if manages and not closed else [],
        "revocable": participants.list_revocable(uow, principal, engagement_id) if manages and not closed else [],
        "tokens": access.list_my_tokens(uow, principal, engagement_id) if reviews else [],
        "token_refusal": token_refusal,
        "new_token": take_token(request, uow, principal, engagement_id),
        "artifacts": materials.list_artifacts(uow, principal, engagement_id),
        "download_refusal": materials.find_download_refusal(uow, principal, engagement_id) if reviews else None,
        "can_upload": allowed(Permission.ARTIFACT_UPLOAD) and not closed,
        "findings": findings_table,
        "findings_total": found.total,
        "severity_counts": found.counts,
        "participants_table": participants_table,
        "can_file": can_file,
        "file_refusal": file_refusal,
        "gateway_url": str(request.base_url).rstrip("/") + "/gateway/v1",
    }


@router.get("/engagements/{engagement_id}", response_class=HTMLResponse)
def engagement_page(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return render(request, "engagements/detail.html", principal, **_page_context(request, uow, principal, engagement_id))


@router.post("/engagements/{engagement_id}/offer", dependencies=[back_to(PAGE)])
def offer(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return act(
        request, engagement_id, "Offered; participants are notified.", lambda: service.offer(uow, principal, engagement_id)
    )


@router.post("/engagements/{engagement_id}/invite", dependencies=[form_page(PAGE)])
def invite(
    engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, organization_id: Annotated[uuid.UUID, Form()]
) -> Response:
    return act(
        request,
        engagement_id,
        "Participant invited.",
        lambda: participants.invite(uow, principal, engagement_id, organization_id=organization_id),
    )


@router.post("/engagements/{engagement_id}/accept", dependencies=[form_page(PAGE)])
def accept(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    terms_number: Annotated[int, Form()],
    acknowledge: Annotated[bool, Form()] = False,
) -> Response:
    if not acknowledge:
        raise ValidationFailed("tick the acknowledgment to accept the terms", field="acknowledge")
    return act(
        request,
        engagement_id,
        f"Terms version {terms_number} accepted for your organization.",
        lambda: service.accept_terms(uow, principal, engagement_id, terms_number=terms_number),
    )


# Irreversible actions (issue 12): a POST without confirmation gets the confirmation page
# (web/confirm.py); only one carrying the digest of exactly what that page said performs it.


@router.post(
    "/engagements/{engagement_id}/participants/{participant_id}/revoke",
    response_class=HTMLResponse,
    dependencies=[back_to(PAGE)],
)
def revoke_participant(
    engagement_id: uuid.UUID,
    participant_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    confirm: ConfirmField = "",
    reason: ReasonField = "",
) -> Response:
    said = confirmations.revoke_participant(uow, principal, engagement_id, participant_id)
    if (asked := ask(request, principal, said, confirm)) is not None:
        return asked
    participants.revoke_participant(uow, principal, engagement_id, participant_id, reason=reason)
    flash(request, "Participant revoked: its next call fails.", "success")
    return RedirectResponse(f"/engagements/{engagement_id}#participants", status_code=303)


@router.post(
    "/engagements/{engagement_id}/revoke-user",
    response_class=HTMLResponse,
    dependencies=[form_page(PAGE, aliases={"email": "user_id"})],
)
def revoke_user(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    user_id: Annotated[uuid.UUID | None, Form()] = None,
    email: Annotated[str, Form(max_length=320)] = "",
    confirm: ConfirmField = "",
    reason: ReasonField = "",
) -> Response:
    """The person is picked from the participants' members (``user_id``); an address still works."""
    if user_id is None and not email.strip():
        raise ValidationFailed("choose the person to revoke", field="user_id")
    said = confirmations.revoke_user(uow, principal, engagement_id, user_id, email=email if user_id is None else None)
    if (asked := ask(request, principal, said, confirm)) is not None:
        return asked
    view = participants.revoke_user(
        uow, principal, engagement_id, user_id, email=email if user_id is None else None, reason=reason
    )
    flash(request, "Revoked: their next call fails.", "success")
    return RedirectResponse(f"/engagements/{view.id}#participants", status_code=303)


@router.post("/engagements/{engagement_id}/window", dependencies=[form_page(PAGE)])
def set_window(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    window_end: Annotated[str, Form(max_length=40)],
    tz: Annotated[str, Form(max_length=64)] = DEFAULT_ZONE,
) -> Response:
    end = parse_when(window_end, "window end", name="window_end", zone=tz)
    return act(
        request, engagement_id, "Window changed.", lambda: service.set_window(uow, principal, engagement_id, window_end=end)
    )


@router.post("/engagements/{engagement_id}/release", response_class=HTMLResponse, dependencies=[back_to(PAGE)])
def release(
    engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, confirm: ConfirmField = ""
) -> Response:
    """G2: no approval; every access ends at once (once the developer read what that means)."""
    view = service.get_engagement(uow, principal, engagement_id)
    path = f"/engagements/{engagement_id}"
    said = confirmations.version_status(
        uow, principal, view.version_id, VersionStatus.RELEASED, action=f"{path}/release", back=f"{path}#overview"
    )
    if (asked := ask(request, principal, said, confirm)) is not None:
        return asked
    versions_api.change_status(uow, principal, view.version_id, VersionStatus.RELEASED)
    flash(request, f"{view.version_display} released. Every participant's access ended now.", "success")
    return RedirectResponse(path, status_code=303)


@router.post(
    "/versions/{version_id}/release",
    response_class=HTMLResponse,
    dependencies=[back_to("/versions/{version_id}")],
)
def release_version(
    version_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, confirm: ConfirmField = ""
) -> Response:
    """The version page's Release (R2: the owner's word is final), confirmed first.

    Served by engagements, not the registry, because what a release ends are engagements.
    """
    return _change_version_status(request, uow, principal, version_id, VersionStatus.RELEASED, confirm)


@router.post(
    "/versions/{version_id}/withdraw",
    response_class=HTMLResponse,
    dependencies=[back_to("/versions/{version_id}")],
)
def withdraw_version(
    version_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, confirm: ConfirmField = ""
) -> Response:
    """The version page's Withdraw, confirmed first (its engagements close as on a release)."""
    return _change_version_status(request, uow, principal, version_id, VersionStatus.WITHDRAWN, confirm)


def _change_version_status(
    request: Request, uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, status: VersionStatus, confirm: str
) -> Response:
    page_path = f"/versions/{version_id}"
    action = f"{page_path}/{'release' if status is VersionStatus.RELEASED else 'withdraw'}"
    said = confirmations.version_status(uow, principal, version_id, status, action=action, back=page_path)
    if (asked := ask(request, principal, said, confirm)) is not None:
        return asked
    card = versions_api.change_status(uow, principal, version_id, status)
    flash(request, f"{card.display} is now {status.value}.", "success")
    return RedirectResponse(page_path, status_code=303)


@router.post("/engagements/{engagement_id}/close", response_class=HTMLResponse, dependencies=[back_to(PAGE)])
def close(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    confirm: ConfirmField = "",
    reason: ReasonField = "",
) -> Response:
    if (asked := ask(request, principal, confirmations.close(uow, principal, engagement_id), confirm)) is not None:
        return asked
    return act(
        request,
        engagement_id,
        "Engagement ended; access is closed.",
        lambda: service.close(uow, principal, engagement_id, reason=reason),
    )


@router.get("/partners", response_class=HTMLResponse)
def partners_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    from frontier_review.identity import service as identity

    query = DESIGNATIONS.read(request.query_params)
    designations = table_view(request, DESIGNATIONS, browse.page_designations(uow, principal, query), query)
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


@router.post("/partners", dependencies=[form_page("/partners", aliases={"expires_at": "expires_on"})])
def designate(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    organization_id: Annotated[uuid.UUID, Form()],
    sector: Annotated[str, Form(max_length=64)],
    basis: Annotated[str, Form(max_length=2000)],
    expires_on: Annotated[str, Form(max_length=20)],
    tz: Annotated[str, Form(max_length=64)] = DEFAULT_ZONE,
) -> Response:
    expires = parse_when(expires_on, "expiry", name="expires_on", zone=tz)  # a date: the start of that day in ``tz``
    partners.designate(uow, principal, organization_id=organization_id, sector=sector, basis=basis, expires_at=expires)
    flash(request, "Trusted partner designated.", "success")
    return RedirectResponse("/partners", status_code=303)


@router.post("/partners/{designation_id}/revoke", response_class=HTMLResponse, dependencies=[back_to("/partners")])
def revoke_designation(
    designation_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    confirm: ConfirmField = "",
    reason: ReasonField = "",
) -> Response:
    if (asked := ask(request, principal, confirmations.revoke_designation(uow, principal, designation_id), confirm)) is not None:
        return asked
    partners.revoke_designation(uow, principal, designation_id, reason=reason)
    flash(request, "Designation ended.", "success")
    return RedirectResponse("/partners", status_code=303)
