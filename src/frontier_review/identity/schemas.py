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
    """A new organization."""

    name: StrictStr = Field(description="Display name; unique regardless of case.", min_length=2, max_length=200)
    kind: OrgKind = Field(description="What the organization is in the framework.")
    sector: Sector | None = Field(default=None, description="CISA sector; required for partners, refused otherwise.")
    law_enforcement: StrictBool = Field(
        default=False, description="An agency that enforces the law (incidents may be referred to it); agencies only."
    )


class OrganizationOut(BaseModel):
    """An organization taking part in the framework."""

    id: uuid.UUID = Field(description="The organization's id.")
    name: str = Field(description="Display name.")
    kind: OrgKind = Field(description="What the organization is in the framework.")
    sector: Sector | None = Field(description="CISA sector of a partner; null for every other kind.")
    created_at: datetime = Field(description="When the organization was added.")
    member_count: int = Field(description="Number of users in the organization.")
    law_enforcement: bool = Field(description="An agency that enforces the law: AI-enabled intrusions may be referred to it.")

    @classmethod
    def of(cls, view: OrganizationView) -> OrganizationOut:
        return cls(**vars(view))


class OrganizationPatch(StrictInput):
    """A change to an organization."""

    law_enforcement: StrictBool = Field(description="Whether the agency enforces the law; agencies only.")


class UserIn(StrictInput):
    """Add a member: by invitation (e-mail and role only), or, for operators, directly with a password."""

    email: StrictStr = Field(description="Login e-mail address.", max_length=320)
    role: Role = Field(default=Role.MEMBER, description="Role in the organization once the account exists.")
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

    id: uuid.UUID = Field(description="The invitation's id.")
    organization_id: uuid.UUID = Field(description="The organization the person is invited into.")
    email: str = Field(description="The invited address.")
    role: Role = Field(description="The role the account gets on acceptance.")
    invited_by: uuid.UUID | None = Field(description="The inviting user; null when an operator's CLI invited.")
    created_at: datetime = Field(description="When the invitation was sent.")
    expires_at: datetime = Field(description="When its link stops working (7 days after sending).")
    accepted_at: datetime | None = Field(description="When the invited person accepted; null until then.")
    revoked_at: datetime | None = Field(description="When it was revoked or replaced by a newer invitation; null otherwise.")

    @classmethod
    def of(cls, view: InvitationView) -> InvitationOut:
        return cls(**vars(view))


class UserPatch(StrictInput):
    """Changes to an account; leave out what stays the same."""

    role: Role | None = Field(default=None, description="New role in the organization.")
    is_active: StrictBool | None = Field(default=None, description="False deactivates the account and signs it out everywhere.")
    cleared: StrictBool | None = Field(default=None, description="Grant (true) or remove (false) the clearance.")
    version: StrictInt | None = Field(default=None, description="Expected version, for optimistic concurrency.")


class UserOut(BaseModel):
    """An account (never its password)."""

    id: uuid.UUID = Field(description="The user's id.")
    email: str = Field(description="Login e-mail address.")
    full_name: str = Field(description="The person's name.")
    organization_id: uuid.UUID | None = Field(description="The user's organization; null for an operator without one.")
    organization_name: str | None = Field(description="That organization's name.")
    organization_kind: OrgKind | None = Field(description="That organization's kind.")
    role: Role = Field(description="Role in the organization.")
    cleared: bool = Field(description="Holds a clearance: may see classified content (program-office staff).")
    is_superuser: bool = Field(description="A platform operator.")
    is_active: bool = Field(description="False when the account is deactivated and cannot sign in.")
    locked_until: datetime | None = Field(
        description="After repeated failed sign-ins, sign-in is refused until this time; null or past when not locked."
    )
    last_login_at: datetime | None = Field(description="The last successful sign-in; null if never.")
    created_at: datetime = Field(description="When the account was created.")
    version: int = Field(description="Raised by every change; send it back in a change to detect concurrent edits.")

    @classmethod
    def of(cls, view: UserView) -> UserOut:
        return cls(**vars(view))


class TokenIn(StrictInput):
    """A new API token."""

    name: StrictStr = Field(min_length=2, max_length=100, description="What the token is for.")
    expires_in_days: StrictInt | None = Field(default=None, ge=1, le=366, description="Default: FR_TOKEN_DEFAULT_DAYS (90).")


class TokenOut(BaseModel):
    """An API token's metadata (never its secret)."""

    id: uuid.UUID = Field(description="The token's id.")
    name: str = Field(description="What the token is for.")
    display: str = Field(description="Recognisable, non-secret form of the token.")
    created_at: datetime = Field(description="When the token was created.")
    expires_at: datetime = Field(description="When it stops working.")
    revoked_at: datetime | None = Field(description="When it was revoked; null while it is not.")
    last_used_at: datetime | None = Field(description="When it was last used; null if never.")

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
    """A token just created, with its secret."""

    token: str = Field(description="The secret token. Shown only in this response; store it now.")
