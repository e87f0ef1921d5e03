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
    TokenCreated,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(tags=["identity"])


@router.get(
    "/organizations",
    summary="List organizations",
    description=(
        "Permission: every organization for operators and the program office "
        "(`identity:organization:list_all`); one's own otherwise."
    ),
)
def list_organizations(uow: UoW, principal: ApiPrincipal, kind: OrgKind | None = Query(default=None)) -> list[OrganizationOut]:
    return [OrganizationOut.of(o) for o in service.list_organizations(uow, principal, kind=kind)]


@router.post(
    "/organizations",
    status_code=status.HTTP_201_CREATED,
    summary="Create an organization",
    description="Permission: `identity:organization:create` (operators).",
)
def create_organization(body: OrganizationIn, uow: UoW, principal: ApiPrincipal) -> OrganizationOut:
    view = service.create_organization(uow, principal, name=body.name, kind=body.kind, sector=body.sector)
    return OrganizationOut.of(view)


@router.get("/organizations/{org_id}", summary="Get an organization", description="Permission: `identity:organization:read`.")
def get_organization(org_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> OrganizationOut:
    return OrganizationOut.of(service.get_organization(uow, principal, org_id))


@router.get(
    "/organizations/{org_id}/users",
    summary="List an organization's users",
    description="Permission: `identity:organization:read`.",
)
def list_users(org_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[UserOut]:
    return [UserOut.of(u) for u in service.list_users(uow, principal, org_id=org_id)]


@router.post(
    "/organizations/{org_id}/users",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Add a member (invitation)",
    description=(
        "Without `password`: invites the address (permission `identity:invitation:create`, the organization's "
        "admins and operators) and answers 202 with the invitation, the same whether or not the address has an "
        "account anywhere; the invited person gets a one-time link by e-mail and chooses their name and password. "
        "With `full_name` and `password`: creates the account directly and answers 201 (permission "
        "`identity:user:create`, operators only, since that answer tells whether the address is registered)."
    ),
    responses={201: {"model": UserOut, "description": "Account created directly (operators)."}},
)
def create_user(
    org_id: uuid.UUID, body: UserIn, uow: UoW, principal: ApiPrincipal, response: Response
) -> InvitationOut | UserOut:
    if body.password is not None and body.full_name is not None:
        view = service.create_user(
            uow, principal, org_id=org_id, email=body.email, full_name=body.full_name, password=body.password, role=body.role
        )
        response.status_code = status.HTTP_201_CREATED
        return UserOut.of(view)
    return InvitationOut.of(invitations.invite_member(uow, principal, org_id=org_id, email=body.email, role=body.role))


@router.get(
    "/organizations/{org_id}/invitations",
    summary="List an organization's pending invitations",
    description="Permission: `identity:invitation:list` (the organization's admins, operators).",
)
def list_invitations(org_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[InvitationOut]:
    return [InvitationOut.of(v) for v in invitations.list_invitations(uow, principal, org_id=org_id)]


@router.delete(
    "/invitations/{invitation_id}",
    summary="Revoke an invitation",
    description="Permission: `identity:invitation:revoke` (the organization's admins, operators). Its link stops working.",
)
def revoke_invitation(invitation_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> InvitationOut:
    return InvitationOut.of(invitations.revoke_invitation(uow, principal, invitation_id))


@router.get("/users/me", summary="The calling user")
def me(uow: UoW, principal: ApiPrincipal) -> UserOut:
    if principal.user_id is None:  # pragma: no cover - API principals are always users
        raise ValueError("no user")
    return UserOut.of(service.get_user(uow, principal, principal.user_id))


@router.get("/users/{user_id}", summary="Get a user", description="Permission: `identity:user:read`.")
def get_user(user_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> UserOut:
    return UserOut.of(service.get_user(uow, principal, user_id))


@router.patch(
    "/users/{user_id}",
    summary="Change a user's role, status or clearance",
    description="Permissions: `identity:user:update`, `identity:user:set_cleared`.",
)
def update_user(user_id: uuid.UUID, body: UserPatch, uow: UoW, principal: ApiPrincipal) -> UserOut:
    view = service.update_user(
        uow, principal, user_id, role=body.role, is_active=body.is_active, cleared=body.cleared, expected_version=body.version
    )
    return UserOut.of(view)


@router.post(
    "/users/{user_id}/unlock",
    summary="End a sign-in lockout early",
    description="Permission: `identity:user:update` (the user's organization admins, operators).",
)
def unlock_user(user_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> UserOut:
    return UserOut.of(service.unlock_user(uow, principal, user_id))


@router.get("/tokens", summary="List your API tokens")
def list_tokens(uow: UoW, principal: ApiPrincipal) -> list[TokenOut]:
    assert principal.user_id is not None
    return [TokenOut.of(t) for t in service.list_tokens(uow, principal, user_id=principal.user_id)]


@router.post("/tokens", status_code=status.HTTP_201_CREATED, summary="Create an API token (shown once)")
def create_token(body: TokenIn, uow: UoW, principal: ApiPrincipal) -> TokenCreated:
    assert principal.user_id is not None
    view, plaintext = service.issue_token(
        uow, principal, user_id=principal.user_id, name=body.name, expires_in_days=body.expires_in_days
    )
    return TokenCreated(**TokenOut.of(view).model_dump(), token=plaintext)


@router.delete("/tokens/{token_id}", summary="Revoke an API token", description="Permission: `identity:token:revoke`.")
def revoke_token(token_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> TokenOut:
    return TokenOut.of(service.revoke_token(uow, principal, token_id))
