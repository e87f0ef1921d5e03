"""Who is acting: a user (through a session or an API token) or the system itself."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


class OrgKind(StrEnum):
    """The kinds of organization that take part in the framework."""

    DEVELOPER = "developer"
    PROGRAM_OFFICE = "program_office"
    AGENCY = "agency"
    PARTNER = "partner"
    CLEARINGHOUSE = "clearinghouse"


class Role(StrEnum):
    """A user's role inside their organization."""

    ADMIN = "admin"
    MEMBER = "member"


class AuthMethod(StrEnum):
    """How the principal authenticated."""

    SESSION = "session"
    TOKEN = "token"  # noqa: S105 - an auth method name
    SYSTEM = "system"


@dataclass(frozen=True)
class Principal:
    """The acting party, as authorization and audit see it.

    Attributes:
        user_id: the user, or None for the system (CLI operator, scheduled jobs).
        org_id: the user's organization; None for superusers without one and the system.
        org_kind: kind of that organization.
        role: role within that organization.
        cleared: may see classified benchmark content (only meaningful in the program office).
        is_superuser: platform operator.
        label: human-readable name for audit entries (an email, or ``system:<what>``).
        method: how the principal authenticated.
        token_id: the API token used, when ``method`` is ``token``.
    """

    user_id: uuid.UUID | None
    org_id: uuid.UUID | None
    org_kind: OrgKind | None
    role: Role | None
    cleared: bool
    is_superuser: bool
    label: str
    method: AuthMethod
    token_id: uuid.UUID | None = None

    @classmethod
    def system(cls, what: str) -> Principal:
        """The platform itself acting for an operator command or a scheduled job."""
        return cls(
            user_id=None,
            org_id=None,
            org_kind=None,
            role=None,
            cleared=False,
            is_superuser=True,
            label=f"system:{what}",
            method=AuthMethod.SYSTEM,
        )

    @property
    def is_system(self) -> bool:
        return self.method is AuthMethod.SYSTEM

    def is_admin_of(self, org_id: uuid.UUID | None) -> bool:
        """True when the principal is an admin of ``org_id``."""
        return org_id is not None and self.org_id == org_id and self.role is Role.ADMIN

    def is_member_of(self, org_id: uuid.UUID | None) -> bool:
        """True when the principal belongs to ``org_id`` (any role)."""
        return org_id is not None and self.org_id == org_id

    @property
    def is_program_office_admin(self) -> bool:
        return self.org_kind is OrgKind.PROGRAM_OFFICE and self.role is Role.ADMIN
