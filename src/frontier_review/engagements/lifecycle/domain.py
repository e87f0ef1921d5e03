"""Engagement rules (pure): states, windows, terms, invitations and who sees which participants.

Whether access is allowed is computed from the clock at request time (DESIGN §3.4); the stored
state only records transitions for people and notices. Every refusal names its cause. Nothing
here does I/O: services load the facts and ask these functions, and the unit tests call them
directly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from frontier_review.kernel.errors import FieldProblem, InvalidTransition, ValidationFailed
from frontier_review.kernel.principal import OrgKind

MAX_WINDOW = timedelta(days=30)  # G3: extensions included
VARIANT_STANDARD = "standard"
VARIANT_REDUCED = "reduced-safeguard"
VARIANTS = (VARIANT_STANDARD, VARIANT_REDUCED)
MAX_REASON = 2000  # characters of the reason recorded with an ending (revocation, end, designation)


def reason_details(reason: str) -> dict[str, str]:
    """The audit details of the reason given for an ending: ``{"reason": …}``, or none when empty.

    Raises:
        ValidationFailed: The reason is longer than :data:`MAX_REASON` (field ``reason``).
    """
    text = reason.strip()
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"the reason must have at most {MAX_REASON} characters", field="reason")
    return {"reason": text} if text else {}


class EngagementState(StrEnum):
    """The recorded state of an engagement (the clock decides the effective one)."""

    DRAFT = "draft"
    OFFERED = "offered"
    ACTIVE = "active"
    CLOSED = "closed"


class ClosedReason(StrEnum):
    """Why an engagement closed."""

    WINDOW_ELAPSED = "window_elapsed"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"


class Recipients(StrEnum):
    """Who the terms are offered to: agencies only, or agencies and trusted partners."""

    FEDERAL_ONLY = "federal_only"
    FEDERAL_AND_PARTNERS = "federal_and_partners"


class Cohort(StrEnum):
    """Government first; partners from a later date inside the window."""

    GOVERNMENT = "government"
    PARTNER = "partner"


@dataclass(frozen=True)
class Materials:
    """What the developer shares. Weights are off unless the developer says otherwise."""

    api_access: bool = True
    system_card: bool = False
    evaluation_results: bool = False
    reduced_safeguard_variant: bool = False
    weights: bool = False


@dataclass(frozen=True)
class Protections:
    """Trade-secret and weight protections the recipients accept."""

    confidentiality_text: str
    insider_risk_attestation: bool = True
    use_restrictions: str = ""
    materials_retention_days: int = 30
    transcript_retention: bool = False


@dataclass(frozen=True)
class Quotas:
    """Per-participant limits on gateway use."""

    requests_per_day: int = 1000
    tokens_per_day: int = 1_000_000
    requests_per_minute: int = 60

    def check(self) -> None:
        """Refuse a quota that is not a whole number in 1..1e9.

        Raises:
            ValidationFailed: naming every field out of range.
        """
        problems = [
            FieldProblem(name, f"{name.replace('_', ' ')} must be a whole number above 0 and at most 1000000000")
            for name, value in vars(self).items()
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 1_000_000_000
        ]
        if problems:
            raise ValidationFailed(problems[0].message, problems=problems)


@dataclass(frozen=True)
class Window:
    """The review window ``[start, end)``."""

    start: datetime
    end: datetime

    def check(self) -> None:
        """G3: a window ends after it starts and lasts at most 30 days in total.

        Raises:
            ValidationFailed: on field ``window_end``, saying how long the window was.
        """
        if self.end <= self.start:
            raise ValidationFailed("the window must end after it starts", field="window_end")
        if self.end - self.start > MAX_WINDOW:
            raise ValidationFailed(
                f"a window lasts at most 30 days in total, extensions included (this one: {_days(self.end - self.start)})",
                field="window_end",
            )

    def contains(self, now: datetime) -> bool:
        """Open at ``start`` to the second, closed from ``end`` on: [start, end)."""
        return self.start <= now < self.end


def _days(span: timedelta) -> str:
    return f"{span.total_seconds() / 86400:.2f} days"


def check_title(title: str) -> str:
    """The engagement's title, stripped.

    Raises:
        ValidationFailed: unless it has 3 to 200 characters.
    """
    clean = title.strip()
    if not 3 <= len(clean) <= 200:
        raise ValidationFailed("title must have 3 to 200 characters", field="title")
    return clean


def check_terms(materials: Materials, protections: Protections, quotas: Quotas) -> None:
    """Validate one version of the terms before it is stored.

    Raises:
        ValidationFailed: naming the first field out of bounds (quotas, texts, retention, or no
            material shared at all).
    """
    quotas.check()
    if not 20 <= len(protections.confidentiality_text.strip()) <= 20_000:
        raise ValidationFailed(
            "the confidentiality and nondisclosure text must have 20 to 20000 characters", field="confidentiality_text"
        )
    if len(protections.use_restrictions) > 10_000:
        raise ValidationFailed("use restrictions must have at most 10000 characters", field="use_restrictions")
    if not 0 < protections.materials_retention_days <= 365:
        raise ValidationFailed("materials are retained for 1 to 365 days", field="materials_retention_days")
    if not (materials.api_access or materials.system_card or materials.evaluation_results or materials.weights):
        raise ValidationFailed("the terms share at least one material", field="materials")


def check_partners_from(window: Window, recipients: Recipients, partners_from: datetime | None) -> datetime | None:
    """The partner cohort's start: inside the window, and only where the terms include partners.

    Raises:
        ValidationFailed: on ``partners_from`` when it falls outside the window.
    """
    if recipients is Recipients.FEDERAL_ONLY:
        return None
    start = partners_from or window.start
    if not window.start <= start < window.end:
        raise ValidationFailed("partners' access must start inside the window", field="partners_from")
    return start


def check_new_window(window: Window, *, offered: bool, start_moved: bool, now: datetime) -> None:
    """G3 for a changed window: at most 30 days in all; once offered the start is fixed and the end is in the future.

    Raises:
        ValidationFailed: naming ``window_start`` or ``window_end``.
    """
    if start_moved and offered:
        raise ValidationFailed("the window's start is fixed once the engagement is offered", field="window_start")
    window.check()
    if offered and window.end <= now:
        raise ValidationFailed("to end access now, close the engagement instead", field="window_end")


@dataclass(frozen=True)
class Invitee:
    """An organization a developer might invite, as the invitation rule sees it.

    Attributes:
        name: For messages.
        kind: Its organization kind.
        designated_until: Partners only: when its current designation ends (None when it has none).
    """

    name: str
    kind: OrgKind
    designated_until: datetime | None = None


def invite_refusal(invitee: Invitee, recipients: Recipients, now: datetime) -> str | None:
    """Why ``invitee`` cannot be invited to an engagement with these recipients (None when it can).

    The one invitation-eligibility rule, used both by the invitation itself and by the list of
    organizations the developer may still invite: agencies and the program office always; a
    partner only where the terms include partners and while the program office's designation runs.
    """
    if invitee.kind in {OrgKind.AGENCY, OrgKind.PROGRAM_OFFICE}:
        return None
    if invitee.kind is OrgKind.PARTNER:
        if recipients is not Recipients.FEDERAL_AND_PARTNERS:
            return "these terms are federal only; change the recipients to include trusted partners first"
        if invitee.designated_until is None or invitee.designated_until <= now:
            return f"{invitee.name} is not a designated trusted partner; the program office designates partners"
        return None
    return (
        f"{invitee.name} is a {invitee.kind.value.replace('_', ' ')} organization; "
        "invite agencies, trusted partners or the program office"
    )


def invite_cohort(invitee: Invitee, recipients: Recipients, now: datetime) -> Cohort:
    """The cohort an eligible invitee joins.

    The program office takes part like an agency when the developer lets it benchmark the
    candidate through the gateway (gated and audited like every other access).

    Raises:
        ValidationFailed: on ``organization_id`` with :func:`invite_refusal`'s reason.
    """
    refusal = invite_refusal(invitee, recipients, now)
    if refusal is not None:
        raise ValidationFailed(refusal, field="organization_id")
    return Cohort.PARTNER if invitee.kind is OrgKind.PARTNER else Cohort.GOVERNMENT


def sees_all_participants(
    reader_org: uuid.UUID | None, reader_kind: OrgKind | None, developer_org_id: uuid.UUID, *, system: bool = False
) -> bool:
    """Whether a reader sees every participant of an engagement, not only its own (G6).

    The developer, the program office and the platform on the server see them all; a participant
    sees only its own participation and usage.
    """
    return system or reader_org == developer_org_id or reader_kind is OrgKind.PROGRAM_OFFICE


def effective_state(  # noqa: PLR0911 - one early answer per state, in order of precedence
    stored: EngagementState, reason: ClosedReason | None, window: Window, version_status: str, now: datetime
) -> tuple[EngagementState, ClosedReason | None]:
    """The state at ``now``: release and withdrawal close at once (G2); the clock does the rest."""
    if stored is EngagementState.CLOSED:
        return stored, reason
    if version_status == "released":
        return EngagementState.CLOSED, ClosedReason.RELEASED
    if version_status == "withdrawn":
        return EngagementState.CLOSED, ClosedReason.WITHDRAWN
    if stored is EngagementState.DRAFT:
        return stored, None
    if now >= window.end:
        return EngagementState.CLOSED, ClosedReason.WINDOW_ELAPSED
    if now >= window.start:
        return EngagementState.ACTIVE, None
    return EngagementState.OFFERED, None


def next_state(current: EngagementState, target: EngagementState) -> EngagementState:
    """Developer-driven moves: a draft is offered; anything not closed may be closed.

    Raises:
        InvalidTransition: for any other move.
    """
    allowed = {
        EngagementState.DRAFT: {EngagementState.OFFERED, EngagementState.CLOSED},
        EngagementState.OFFERED: {EngagementState.ACTIVE, EngagementState.CLOSED},
        EngagementState.ACTIVE: {EngagementState.CLOSED},
        EngagementState.CLOSED: set(),
    }
    if target not in allowed[current]:
        raise InvalidTransition(f"an engagement that is {current.value} cannot become {target.value}")
    return target


def shared_variants(materials: Materials) -> tuple[str, ...]:
    """The model variants the terms share through the gateway (none without API access)."""
    if not materials.api_access:
        return ()
    return (VARIANT_STANDARD, VARIANT_REDUCED) if materials.reduced_safeguard_variant else (VARIANT_STANDARD,)


def public_model_id(model_name: str, label: str) -> str:
    """The model id reviewers see: the registry's names, never the upstream's."""
    raw = f"{model_name}-{label}".lower()
    return "".join(c if c.isalnum() or c in "-." else "-" for c in raw).strip("-")
