"""REST endpoints for organizations, users and API tokens (thin: parse, call service, render)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Response, status

from frontier_review.identity import invitations, service
from frontier_review.identity.domain import OrgKind
from frontier_review.identity.schemas import (
    InvitationOut,
    OrganizationIn,
    OrganizationOut,
    OrganizationPatch,
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(tags=["identity"])


@router.get("/organizations", summary="List organizations")
def list_organizations(
    uow: UoW, principal: ApiPrincipal, kind: OrgKind | None = Query(default=None, description="Only organizations of this kind.")
) -> list[OrganizationOut]:
    """The organizations you may see, by name.

    **Who may call:** any signed-in user or API token. Operators and the program office get
    every organization (`identity:organization:list_all`); everyone else gets their own.
    """
    return [OrganizationOut.of(o) for o in service.list_organizations(uow, principal, kind=kind)]


@router.post("/organizations", status_code=status.HTTP_201_CREATED, summary="Create an organization")
def create_organization(body: OrganizationIn, uow: UoW, principal: ApiPrincipal) -> OrganizationOut:
    """Add an organization to the platform.

    **Who may call:** operators (`identity:organization:create`).

    **Returns** the new organization, without members yet.

    **Errors:** 403 for anyone else; 409 when an organization already has that name (in any case);
    422 when a partner has no sector or another kind has one, or a non-agency is marked law enforcement.
    """
    view = service.create_organization(
        uow, principal, name=body.name, kind=body.kind, sector=body.sector, law_enforcement=body.law_enforcement
    )
    return OrganizationOut.of(view)


@router.get("/organizations/{org_id}", summary="Get an organization")
def get_organization(org_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> OrganizationOut:
    """One organization with its member count.

    **Who may call:** its own members, the program office and operators (`identity:organization:read`).

    **Errors:** 403 for anyone else; 404 when no such organization exists.
    """
    return OrganizationOut.of(service.get_organization(uow, principal, org_id))


@router.patch("/organizations/{org_id}", summary="Mark an agency as law enforcement, or unmark it")
def update_organization(org_id: uuid.UUID, body: OrganizationPatch, uow: UoW, principal: ApiPrincipal) -> OrganizationOut:
    """Set whether an agency is a law-enforcement organization (AI-enabled intrusions may be referred to it).

    **Who may call:** operators (`identity:organization:create`).

    **Errors:** 403 for anyone else; 404 when no such organization exists; 422 when it is not an agency.
    """
    return OrganizationOut.of(service.set_law_enforcement(uow, principal, org_id, law_enforcement=body.law_enforcement))


@router.get("/organizations/{org_id}/users", summary="List an organization's users")
def list_users(org_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[UserOut]:
    """The organization's accounts, by name.

    **Who may call:** its own members, program-office admins and operators (`identity:user:list`).

    **Errors:** 403 for anyone else; 404 when no such organization exists.
    """
    return [UserOut.of(u) for u in service.list_users(uow, principal, org_id=org_id)]


@router.post(
    "/organizations/{org_id}/users",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Add a member (invitation)",
    responses={201: {"model": UserOut, "description": "Account created directly (operators)."}},
)
def create_user(
    org_id: uuid.UUID, body: UserIn, uow: UoW, principal: ApiPrincipal, response: Response
) -> InvitationOut | UserOut:
    """Invite someone into the organization, or (operators) create their account directly.

    **Without `password`:** invites the address and answers 202 with the invitation, the same
    whether or not the address has an account anywhere. The invited person gets a one-time link
    by e-mail, valid for 7 days, and chooses their name and password. A new invitation to the
    same address replaces a pending one. Who may call: the organization's admins and operators
    (`identity:invitation:create`).

    **With `full_name` and `password`:** creates the account directly and answers 201 with it.
    Who may call: operators only (`identity:user:create`), since that answer tells whether the
    address is registered.

    **Errors:** 403 for anyone else; 404 when no such organization exists; 409 when the address
    already belongs to this organization or (direct creation) already has an account; 422 for an
    invalid address or password, or a `full_name` without a `password` or the reverse.
    """
    if body.password is not None and body.full_name is not None:
        view = service.create_user(
            uow, principal, org_id=org_id, email=body.email, full_name=body.full_name, password=body.password, role=body.role
        )
        response.status_code = status.HTTP_201_CREATED
        return UserOut.of(view)
    return InvitationOut.of(invitations.invite_member(uow, principal, org_id=org_id, email=body.email, role=body.role))


@router.get("/organizations/{org_id}/invitations", summary="List an organization's pending invitations")
def list_invitations(org_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[InvitationOut]:
    """Invitations not yet accepted, revoked or expired, newest first.

    **Who may call:** the organization's admins and operators (`identity:invitation:list`).

    **Errors:** 403 for anyone else; 404 when no such organization exists.
    """
    return [InvitationOut.of(v) for v in invitations.list_invitations(uow, principal, org_id=org_id)]


@router.delete("/invitations/{invitation_id}", summary="Revoke an invitation")
def revoke_invitation(invitation_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> InvitationOut:
    """Withdraw an invitation: its link stops working at once. Revoking it again changes nothing.

    **Who may call:** the organization's admins and operators (`identity:invitation:revoke`).

    **Returns** the invitation with `revoked_at` set.

    **Errors:** 404 when no such invitation exists or you may not manage it (the same answer);
    409 when it was accepted already.
    """
    return InvitationOut.of(invitations.revoke_invitation(uow, principal, invitation_id))


@router.get("/users/me", summary="Get the calling user")
def me(uow: UoW, principal: ApiPrincipal) -> UserOut:
    """The account the token or session belongs to.

    **Who may call:** any signed-in user or API token.
    """
    if principal.user_id is None:  # pragma: no cover - API principals are always users
        raise ValueError("no user")
    return UserOut.of(service.get_user(uow, principal, principal.user_id))


@router.get("/users/{user_id}", summary="Get a user")
def get_user(user_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> UserOut:
    """One account.

    **Who may call:** the user, members of their organization, program-office admins and
    operators (`identity:user:read`).

    **Errors:** 403 for anyone else; 404 when no such user exists.
    """
    return UserOut.of(service.get_user(uow, principal, user_id))


@router.patch("/users/{user_id}", summary="Change a user's role, status or clearance")
def update_user(user_id: uuid.UUID, body: UserPatch, uow: UoW, principal: ApiPrincipal) -> UserOut:
    """Change only the fields you send. Deactivating an account signs it out everywhere at once.

    **Who may call:** for `role` and `is_active` (`identity:user:update`), the admins of the
    user's organization and operators; only operators change an operator's account. For
    `cleared` (`identity:user:set_cleared`), and for any change to a cleared account, only a
    cleared admin of the same program office. Nobody sets their own clearance, and only operators
    change their own role or status.

    **Returns** the account as changed.

    **Errors:** 403 for anyone else; 404 when no such user exists; 409 when `version` is sent and
    the account changed since (reload and try again).
    """
    view = service.update_user(
        uow, principal, user_id, role=body.role, is_active=body.is_active, cleared=body.cleared, expected_version=body.version
    )
    return UserOut.of(view)


@router.post("/users/{user_id}/unlock", summary="End a sign-in lockout early")
def unlock_user(user_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> UserOut:
    """Lift a lockout after too many failed sign-ins and reset the failure count.

    **Who may call:** the admins of the user's organization and operators, as for other changes
    to the account (`identity:user:update`).

    **Returns** the account, with `locked_until` cleared.

    **Errors:** 403 for anyone else; 404 when no such user exists.
    """
    return UserOut.of(service.unlock_user(uow, principal, user_id))


@router.get("/tokens", summary="List your API tokens")
def list_tokens(uow: UoW, principal: ApiPrincipal) -> list[TokenOut]:
    """Your own API tokens, newest first, including revoked and expired ones; never their secret.

    **Who may call:** any signed-in user or API token.
    """
    assert principal.user_id is not None
    return [TokenOut.of(t) for t in service.list_tokens(uow, principal, user_id=principal.user_id)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED, summary="Create an API token (shown once)")
def create_token(body: TokenIn, uow: UoW, principal: ApiPrincipal) -> TokenCreated:
    """Create a personal API token that acts as you.

    **Who may call:** a signed-in user through the browser session (with the CSRF token); an API
    token cannot create tokens.

    **Returns** the token's metadata and, in `token`, its secret: shown only in this answer.

    **Errors:** 403 when called with an API token; 422 for a bad name or lifetime.
    """
    assert principal.user_id is not None
    view, plaintext = service.issue_token(
        uow, principal, user_id=principal.user_id, name=body.name, expires_in_days=body.expires_in_days
    )
    return TokenCreated(**TokenOut.of(view).model_dump(), token=plaintext)


@router.delete("/tokens/{token_id}", summary="Revoke an API token")
def revoke_token(token_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> TokenOut:
    """Revoke a token at once; revoking it again changes nothing.

    **Who may call:** the token's owner, the admins of the owner's organization and operators
    (`identity:token:revoke`).

    **Returns** the token with `revoked_at` set.

    **Errors:** 403 for anyone else; 404 when no such token exists.
    """
    return TokenOut.of(service.revoke_token(uow, principal, token_id))
