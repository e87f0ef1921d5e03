"""Identity views: what use cases hand back, and the row loaders they share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from frontier_review.db.uow import UnitOfWork
from frontier_review.identity.domain import (
    OrgKind,
    Role,
    Sector,
    UserRef,
)
from frontier_review.identity.orm import ApiToken, Organization, User
from frontier_review.kernel.errors import NotFound
from frontier_review.security import tokens


@dataclass(frozen=True)
class OrganizationView:
    """An organization as services hand it to adapters."""

    id: uuid.UUID
    name: str
    kind: OrgKind
    sector: Sector | None
    created_at: datetime
    member_count: int = 0
    law_enforcement: bool = False


@dataclass(frozen=True)
class UserView:
    """A user as services hand it to adapters (never the password hash)."""

    id: uuid.UUID
    email: str
    full_name: str
    organization_id: uuid.UUID | None
    organization_name: str | None
    organization_kind: OrgKind | None
    role: Role
    cleared: bool
    is_superuser: bool
    is_active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    version: int


@dataclass(frozen=True)
class TokenView:
    """An API token's metadata (never its secret)."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    display: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "active"


def org_view(org: Organization, member_count: int = 0) -> OrganizationView:
    """The view of an organization."""
    return OrganizationView(
        id=org.id,
        name=org.name,
        kind=OrgKind(org.kind),
        sector=Sector(org.sector) if org.sector else None,
        created_at=org.created_at,
        member_count=member_count,
        law_enforcement=bool(org.law_enforcement),
    )


def user_view(user: User, org: Organization | None) -> UserView:
    """The adapters' view of a user row."""
    return UserView(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        organization_id=user.organization_id,
        organization_name=org.name if org else None,
        organization_kind=OrgKind(org.kind) if org else None,
        role=Role(user.role),
        cleared=user.cleared,
        is_superuser=user.is_superuser,
        is_active=user.is_active,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
        version=user.version,
    )


def token_view(token: ApiToken) -> TokenView:
    """The view of an API token (never its secret)."""
    return TokenView(
        id=token.id,
        user_id=token.user_id,
        name=token.name,
        display=f"{tokens.API_TOKEN_PREFIX}_{token.lookup}_…",
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


def get_user_rows(uow: UnitOfWork, user_id: uuid.UUID) -> tuple[User, Organization | None]:
    """A user and their organization, or ``NotFound`` (callers authorize)."""
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    org = uow.session.get(Organization, user.organization_id) if user.organization_id else None
    return user, org


def user_ref(user: User) -> UserRef:
    """A user as an authorization resource."""
    return UserRef(user.id, user.organization_id, user.is_superuser, cleared=user.cleared)
