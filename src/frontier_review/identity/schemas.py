"""API models for organizations, users and tokens."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, model_validator

from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.identity.invitations import InvitationView
from frontier_review.identity.service import OrganizationView, TokenView, UserView


class StrictInput(BaseModel):
    """Inputs refuse unknown fields; Strict* fields never coerce "5" into 5 or "yes" into True."""

    model_config = ConfigDict(extra="forbid")


class OrganizationIn(StrictInput):
    name: StrictStr = Field(description="Display name; unique regardless of case.", min_length=2, max_length=200)
    kind: OrgKind = Field(description="What the organization is in the framework.")
    sector: Sector | None = Field(default=None, description="CISA sector; required for partners, refused otherwise.")


class OrganizationOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: OrgKind
    sector: Sector | None
    created_at: datetime
    member_count: int = Field(description="Number of users in the organization.")

    @classmethod
    def of(cls, view: OrganizationView) -> OrganizationOut:
        return cls(**vars(view))


class UserIn(StrictInput):
    """Add a member: by invitation (e-mail and role only), or, for operators, directly with a password."""

    email: StrictStr = Field(description="Login e-mail address.", max_length=320)
    role: Role = Role.MEMBER
    full_name: StrictStr | None = Field(
        default=None, min_length=2, max_length=200, description="Operators only, with `password`: create the account directly."
    )
    password: StrictStr | None = Field(
        default=None,
        max_length=256,
        description="Operators only, with `full_name`: the initial password (at least 12 characters). "
        "Leave both out to send an invitation; the invited person chooses their own.",
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> UserIn:
        if (self.full_name is None) != (self.password is None):
            missing = "password" if self.password is None else "full_name"
            raise ValueError(
                f"{missing} is missing: full_name and password go together (direct creation by an operator); "
                "leave both out to send an invitation"
            )
        return self


class InvitationOut(BaseModel):
    """An invitation's public view: the same shape whoever the address belongs to."""

    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    role: Role
    invited_by: uuid.UUID | None = Field(description="The inviting user; null when an operator's CLI invited.")
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, view: InvitationView) -> InvitationOut:
        return cls(**vars(view))


class UserPatch(StrictInput):
    role: Role | None = None
    is_active: StrictBool | None = None
    cleared: StrictBool | None = None
    version: StrictInt | None = Field(default=None, description="Expected version, for optimistic concurrency.")


class UserOut(BaseModel):
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

    @classmethod
    def of(cls, view: UserView) -> UserOut:
        return cls(**vars(view))


class TokenIn(StrictInput):
    name: StrictStr = Field(min_length=2, max_length=100, description="What the token is for.")
    expires_in_days: StrictInt | None = Field(default=None, ge=1, le=366, description="Default: FR_TOKEN_DEFAULT_DAYS (90).")


class TokenOut(BaseModel):
    id: uuid.UUID
    name: str
    display: str = Field(description="Recognisable, non-secret form of the token.")
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, view: TokenView) -> TokenOut:
        return cls(
            id=view.id,
            name=view.name,
            display=view.display,
            created_at=view.created_at,
            expires_at=view.expires_at,
            revoked_at=view.revoked_at,
            last_used_at=view.last_used_at,
        )


class TokenCreated(TokenOut):
    token: str = Field(description="The secret token. Shown only in this response; store it now.")
