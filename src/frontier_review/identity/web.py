"""Web pages: sign in and out, account and tokens, organizations and members (the home page is ``home.web``)."""

from __future__ import annotations

import secrets
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.identity import confirmations, invitations, mailbox, service
from frontier_review.identity.browse import page_organizations
from frontier_review.identity.domain import ORG_KIND_LABELS, OrgKind, OrgRef, Role, Sector, UserRef
from frontier_review.kernel.errors import ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.policies import decide
from frontier_review.web.confirm import ask
from frontier_review.web.deps import SESSION_KEY, OptionalWebPrincipal, UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.tables import Column, Filter, Sort, Table, table_view
from frontier_review.web.templating import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
ConfirmField = Annotated[str, Form(max_length=80)]


def _safe_next(value: str | None) -> str:
    """Only local paths, so the login form cannot be used as an open redirect."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, principal: OptionalWebPrincipal, next: str = "/") -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", None, next=_safe_next(next), email="", error=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    uow: UoW,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form()] = "/",
) -> Response:
    client = request.client.host if request.client else "unknown"
    limit = request.app.state.container.login_rate_limit
    if not limit.hit(client):
        if limit.first_refusal(client):
            service.record_throttled_login(uow, email=email, client=client)
        return render(
            request,
            "login.html",
            None,
            status_code=429,
            next=_safe_next(next),
            email=email,
            error="Too many sign-in attempts from your network. Wait a few minutes and try again.",
        )
    result = service.login(uow, email=email, password=password)
    if isinstance(result, service.LoginFailed):
        # The failure was audited and counted toward lockout; that record commits with this answer.
        return render(request, "login.html", None, status_code=401, next=_safe_next(next), email=email, error=result.message)
    # A fresh session (and CSRF token) at sign-in defeats session fixation.
    request.session.clear()
    request.session[SESSION_KEY] = result.session_key
    request.session["csrf"] = secrets.token_urlsafe(32)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, uow: UoW, principal: OptionalWebPrincipal) -> Response:
    key = request.session.get(SESSION_KEY)
    service.end_session(uow, principal, session_key=key if isinstance(key, str) else None)
    request.session.clear()
    response = RedirectResponse("/login", status_code=303)
    # What pages kept in this browser (the playground's token and conversation) goes with the session.
    response.headers["Clear-Site-Data"] = '"storage"'
    return response


def _account(
    request: Request, uow: UoW, principal: WebPrincipal, *, new_token: str | None = None, status_code: int = 200
) -> Response:
    assert principal.user_id is not None
    tokens = service.list_tokens(uow, principal, user_id=principal.user_id)
    return render(
        request,
        "account.html",
        principal,
        tokens=tokens,
        new_token=new_token,
        status_code=status_code,
        default_days=uow.settings.token_default_days,
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return _account(request, uow, principal)


@router.post("/account/password", dependencies=[back_to("/account")])
def change_password(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
) -> Response:
    key = service.change_password(uow, principal, current_password=current_password, new_password=new_password)
    request.session[SESSION_KEY] = key
    flash(request, "Password changed. Other sessions were signed out.", "success")
    return RedirectResponse("/account", status_code=303)


@router.post("/account/sessions/end", dependencies=[back_to("/account")])
def end_sessions(request: Request, uow: UoW, principal: WebPrincipal, confirm: ConfirmField = "") -> Response:
    """Sign out every other browser, once the page that counts them was confirmed (web/confirm.py)."""
    if (asked := ask(request, principal, confirmations.sign_out_everywhere(uow, principal), confirm)) is not None:
        return asked
    request.session[SESSION_KEY] = service.sign_out_everywhere(uow, principal)
    flash(request, "Every other session was signed out, including copies of your session cookie.", "success")
    return RedirectResponse("/account", status_code=303)


@router.post("/users/{user_id}/unlock", dependencies=[back_to("/")])
def unlock_member(
    request: Request, uow: UoW, principal: WebPrincipal, user_id: uuid.UUID, back: Annotated[str, Form()] = "/"
) -> Response:
    view = service.unlock_user(uow, principal, user_id)
    flash(request, f"{view.full_name} can sign in again.", "success")
    return RedirectResponse(_safe_next(back), status_code=303)


@router.post("/account/tokens", response_class=HTMLResponse, dependencies=[form_page("/account")])
def create_token(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    name: Annotated[str, Form(max_length=100)],
    expires_in_days: Annotated[int | None, Form()] = None,
) -> Response:
    assert principal.user_id is not None
    _view, plaintext = service.issue_token(uow, principal, user_id=principal.user_id, name=name, expires_in_days=expires_in_days)
    # Rendered directly (not redirected) so the secret never sits in the session cookie.
    return _account(request, uow, principal, new_token=plaintext, status_code=201)


@router.post("/account/tokens/{token_id}/revoke", dependencies=[back_to("/account")])
def revoke_token(
    request: Request, uow: UoW, principal: WebPrincipal, token_id: uuid.UUID, confirm: ConfirmField = ""
) -> Response:
    """Revoke, once the page that names the scripts it stops was confirmed (web/confirm.py)."""
    if (asked := ask(request, principal, confirmations.revoke_token(uow, principal, token_id), confirm)) is not None:
        return asked
    view = service.revoke_token(uow, principal, token_id)
    flash(request, f"Token “{view.name}” revoked.", "success")
    return RedirectResponse("/account", status_code=303)


ORGANIZATIONS_TABLE = Table(
    id="orgs-table",
    caption="Organizations",
    noun=("organization", "organizations"),
    columns=(
        Column("Name", "name"),
        Column("Kind", "kind"),
        Column("Sector", "sector"),
        Column("Members", "members", descending_first=True, numeric=True),
        Column("Since", "created", descending_first=True),
    ),
    default_sort=Sort("name"),
    search_label="Name contains",
    filters=(
        Filter("kind", "Kind", choices=tuple((kind.value, label) for kind, label in ORG_KIND_LABELS.items())),
        Filter("sector", "Sector", choices=tuple((s.value, s.label) for s in Sector)),
    ),
)


@router.get("/organizations", response_class=HTMLResponse)
def organizations(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    query = ORGANIZATIONS_TABLE.read(request.query_params)
    table = table_view(request, ORGANIZATIONS_TABLE, page_organizations(uow, principal, query), query)
    can_create = decide(uow, principal, Permission.ORGANIZATION_CREATE, None, uow.clock.now()).allowed
    return render(
        request,
        "organizations.html",
        principal,
        table=table,
        can_create=can_create,
        kind_labels=ORG_KIND_LABELS,
        sectors=list(Sector),
    )


@router.post("/organizations", dependencies=[form_page("/organizations")])
def create_organization(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[OrgKind, Form()],
    sector: Annotated[str, Form()] = "",
    law_enforcement: Annotated[bool, Form()] = False,
) -> Response:
    try:
        sector_value = Sector(sector) if sector else None
    except ValueError:
        flash(request, f"unknown sector {sector!r}", "error")
        return RedirectResponse("/organizations", status_code=303)
    view = service.create_organization(uow, principal, name=name, kind=kind, sector=sector_value, law_enforcement=law_enforcement)
    flash(request, f"Organization “{view.name}” added.", "success")
    return RedirectResponse(f"/organizations/{view.id}", status_code=303)


@router.get("/organization")
def my_organization(principal: WebPrincipal) -> Response:
    if principal.org_id is None:
        return RedirectResponse("/organizations", status_code=303)
    return RedirectResponse(f"/organizations/{principal.org_id}", status_code=303)


def _organization_page(request: Request, uow: UoW, principal: WebPrincipal, org_id: uuid.UUID) -> Response:
    org = service.get_organization(uow, principal, org_id)
    members = service.list_users(uow, principal, org_id=org_id)
    now = uow.clock.now()
    can_manage = decide(uow, principal, Permission.INVITATION_CREATE, OrgRef(org.id, org.kind), now).allowed
    pending = invitations.list_invitations(uow, principal, org_id=org_id) if can_manage else []
    # Whether the principal may record clearances for members of this organization at all.
    can_clear = decide(uow, principal, Permission.USER_SET_CLEARED, UserRef(uuid.UUID(int=0), org.id), now).allowed
    # Which rows get edit controls: not one's own, and a cleared account only for a cleared admin.
    refs = [UserRef(m.id, m.organization_id, m.is_superuser, cleared=m.cleared) for m in members]
    manageable = {ref.id for ref in refs if decide(uow, principal, Permission.USER_UPDATE, ref, now).allowed}
    return render(
        request,
        "organization.html",
        principal,
        org=org,
        members=members,
        invitations=pending,
        can_manage=can_manage,
        can_clear=can_clear,
        manageable=manageable,
        kind_labels=ORG_KIND_LABELS,
        # Clearance only means something in the program office (classified benchmark content).
        show_cleared=org.kind is OrgKind.PROGRAM_OFFICE,
    )


@router.get("/organizations/{org_id}", response_class=HTMLResponse)
def organization(request: Request, uow: UoW, principal: WebPrincipal, org_id: uuid.UUID) -> Response:
    return _organization_page(request, uow, principal, org_id)


@router.post("/organizations/{org_id}/users", dependencies=[form_page("/organizations/{org_id}")])
def add_member(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    org_id: uuid.UUID,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[Role, Form()] = Role.MEMBER,
) -> Response:
    """Everyone, operators included, adds members by invitation here.

    The invited person chooses their own password, and the answer is the same whether or not the
    address has an account.
    """
    view = invitations.invite_member(uow, principal, org_id=org_id, email=email, role=role)
    flash(request, f"Invitation sent to {view.email}.", "success")
    return RedirectResponse(f"/organizations/{org_id}", status_code=303)


@router.post("/organizations/{org_id}/invitations/{invitation_id}/revoke", dependencies=[back_to("/organizations/{org_id}")])
def revoke_invitation(
    request: Request, uow: UoW, principal: WebPrincipal, org_id: uuid.UUID, invitation_id: uuid.UUID
) -> Response:
    view = invitations.revoke_invitation(uow, principal, invitation_id)
    flash(request, f"Invitation to {view.email} revoked.", "success")
    return RedirectResponse(f"/organizations/{view.organization_id}", status_code=303)


@router.get("/invitations/{token}", response_class=HTMLResponse)
def invitation_page(request: Request, uow: UoW, principal: OptionalWebPrincipal, token: str) -> Response:
    """The invited person's page (no sign-in): any link that cannot be used is a plain 404."""
    offer = invitations.get_offer(uow, token=token)
    return render(request, "invitation.html", principal, offer=offer, token=token)


@router.post("/invitations/{token}", dependencies=[form_page("/invitations/{token}")])
def accept_invitation(
    request: Request,
    uow: UoW,
    token: str,
    full_name: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=256)],
    password_again: Annotated[str, Form(max_length=256)],
) -> Response:
    if password != password_again:
        # Checked before anything is written, so the link stays usable.
        raise ValidationFailed("the two passwords differ; type the same password twice", field="password_again")
    view = invitations.accept_invitation(uow, token=token, full_name=full_name, password=password)
    flash(request, f"Your account is ready, {view.full_name}. Sign in with {view.email} and your new password.", "success")
    return RedirectResponse("/login", status_code=303)


@router.post("/users/{user_id}", dependencies=[back_to("/")])
def update_member(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    user_id: uuid.UUID,
    version: Annotated[int, Form()],
    role: Annotated[Role, Form()],
    back: Annotated[str, Form()] = "/",
    is_active: Annotated[bool, Form()] = False,
    cleared: Annotated[bool, Form()] = False,
    has_cleared_field: Annotated[bool, Form()] = False,
) -> Response:
    """Checkboxes send nothing when unticked, so the form says whether it offered "cleared"."""
    view = service.update_user(
        uow,
        principal,
        user_id,
        role=role,
        is_active=is_active,
        cleared=cleared if has_cleared_field else None,
        expected_version=version,
    )
    flash(request, f"Saved changes to {view.full_name}.", "success")
    return RedirectResponse(_safe_next(back), status_code=303)


@router.get("/mail", response_class=HTMLResponse)
def mail_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The local mail sink: each person's own email notices (used when no SMTP server is set)."""
    return render(request, "mail.html", principal, mails=mailbox.my_mail(uow, principal), smtp=bool(uow.settings.smtp_url))
