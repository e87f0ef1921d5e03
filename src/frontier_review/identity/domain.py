"""Pure identity rules: kinds, sectors, names, e-mail addresses and login throttling."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email

from frontier_review.kernel.errors import ValidationFailed
from frontier_review.kernel.principal import OrgKind, Role

__all__ = [
    "INVITATION_LIFETIME",
    "InvitationRef",
    "LoginThrottle",
    "OrgKind",
    "OrgRef",
    "Role",
    "Sector",
    "TokenRef",
    "UserRef",
    "check_law_enforcement",
    "check_sector",
    "check_text",
    "invitation_refusal",
    "normalise_email",
    "normalise_name",
]


class Sector(StrEnum):
    """CISA's sixteen critical-infrastructure sectors (PPD-21)."""

    CHEMICAL = "chemical"
    COMMERCIAL_FACILITIES = "commercial_facilities"
    COMMUNICATIONS = "communications"
    CRITICAL_MANUFACTURING = "critical_manufacturing"
    DAMS = "dams"
    DEFENSE_INDUSTRIAL_BASE = "defense_industrial_base"
    EMERGENCY_SERVICES = "emergency_services"
    ENERGY = "energy"
    FINANCIAL_SERVICES = "financial_services"
    FOOD_AND_AGRICULTURE = "food_and_agriculture"
    GOVERNMENT_FACILITIES = "government_facilities"
    HEALTHCARE_AND_PUBLIC_HEALTH = "healthcare_and_public_health"
    INFORMATION_TECHNOLOGY = "information_technology"
    NUCLEAR = "nuclear_reactors_materials_and_waste"
    TRANSPORTATION_SYSTEMS = "transportation_systems"
    WATER_AND_WASTEWATER = "water_and_wastewater_systems"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


ORG_KIND_LABELS: dict[OrgKind, str] = {
    OrgKind.DEVELOPER: "AI developer",
    OrgKind.PROGRAM_OFFICE: "Program office",
    OrgKind.AGENCY: "Agency",
    OrgKind.PARTNER: "Trusted partner",
    OrgKind.CLEARINGHOUSE: "Clearinghouse",
}


@dataclass(frozen=True)
class OrgRef:
    """An organization as an authorization resource."""

    id: uuid.UUID
    kind: OrgKind

    def audit_target(self) -> tuple[str, str]:
        return "organization", str(self.id)


@dataclass(frozen=True)
class UserRef:
    """A user as an authorization resource."""

    id: uuid.UUID
    org_id: uuid.UUID | None
    is_superuser: bool = False
    # A cleared account may see classified content: only cleared program-office admins manage it.
    cleared: bool = False

    def audit_target(self) -> tuple[str, str]:
        return "user", str(self.id)


@dataclass(frozen=True)
class TokenRef:
    """An API token as an authorization resource."""

    id: uuid.UUID
    owner_user_id: uuid.UUID
    owner_org_id: uuid.UUID | None

    def audit_target(self) -> tuple[str, str]:
        return "api_token", str(self.id)


# Long enough for someone away for a week, short enough that a forgotten mail soon stops working.
INVITATION_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class InvitationRef:
    """An invitation as an authorization resource."""

    id: uuid.UUID
    org_id: uuid.UUID
    org_kind: OrgKind

    def audit_target(self) -> tuple[str, str]:
        return "invitation", str(self.id)


def invitation_refusal(
    *,
    accepted_at: datetime | None,
    revoked_at: datetime | None,
    expires_at: datetime,
    now: datetime,
    address_has_account: bool,
) -> str | None:
    """Why an invitation cannot be used now (for the audit log only), or None when it can.

    The invitee is never told which reason applies: every refusal looks like an unknown link.

    Args:
        accepted_at: when it was used, if it was.
        revoked_at: when an admin withdrew it (or a newer invitation replaced it), if so.
        expires_at: the instant it stops working.
        now: the current time.
        address_has_account: whether the invited address has an account (here or elsewhere).
    """
    if accepted_at is not None:
        return "invitation already used"
    if revoked_at is not None:
        return "invitation revoked"
    if now >= expires_at:
        return "invitation expired"
    if address_has_account:
        return "the address already has an account"
    return None


_SPACES = re.compile(r"\s+")


def check_text(value: str, *, field: str) -> str:
    """Refuse text that is not valid Unicode (lone surrogates can arrive as JSON escapes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationFailed(f"{field} contains characters that are not valid text", field=field) from exc
    return value


def normalise_name(value: str, *, field: str, max_length: int = 200) -> str:
    """Trim and collapse whitespace; refuse empty, control characters or over-long names."""
    name = _SPACES.sub(" ", check_text(value, field=field)).strip()
    if len(name) < 2:
        raise ValidationFailed(f"{field} must have at least 2 characters", field=field)
    if len(name) > max_length:
        raise ValidationFailed(f"{field} must have at most {max_length} characters", field=field)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ValidationFailed(f"{field} must not contain control characters", field=field)
    return name


def name_key(name: str) -> str:
    """The case-insensitive uniqueness key of a normalised name."""
    return name.casefold()


def normalise_email(value: str, *, field: str = "email") -> str:
    """Validate syntax (no DNS lookups) and return the lower-cased address."""
    check_text(value, field=field)
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationFailed(f"{field} is not a valid e-mail address: {exc}", field=field) from exc
    return result.normalized.lower()


def check_sector(kind: OrgKind, sector: Sector | None) -> None:
    """A partner has exactly one critical-infrastructure sector; nobody else has one."""
    if kind is OrgKind.PARTNER and sector is None:
        raise ValidationFailed("a partner organization needs its critical-infrastructure sector", field="sector")
    if kind is not OrgKind.PARTNER and sector is not None:
        raise ValidationFailed("only partner organizations have a sector", field="sector")


def check_law_enforcement(kind: OrgKind, *, law_enforcement: bool) -> None:
    """Only an agency enforces the law (incidents are referred to such agencies, EO §4)."""
    if law_enforcement and kind is not OrgKind.AGENCY:
        raise ValidationFailed("only agencies can be law-enforcement organizations", field="law_enforcement")


@dataclass(frozen=True)
class LoginThrottle:
    """Account lockout: ``max_failures`` consecutive failures lock the account for ``lockout``."""

    max_failures: int
    lockout: timedelta

    def is_locked(self, locked_until: datetime | None, now: datetime) -> bool:
        return locked_until is not None and now < locked_until

    def locks_after(self, failures: int) -> bool:
        """Whether ``failures`` consecutive failures (counted atomically in storage) lock the account."""
        return failures >= self.max_failures

    def after_failure(self, failures: int, now: datetime) -> tuple[int, datetime | None]:
        """New (failure count, locked-until) after one more failure."""
        failures += 1
        if failures >= self.max_failures:
            return 0, now + self.lockout
        return failures, None
