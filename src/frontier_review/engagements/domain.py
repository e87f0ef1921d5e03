"""Engagement rules (pure): windows, states, terms, and who may call the gateway at an instant.

Whether access is allowed is computed from the clock at request time (DESIGN §3.4); the
stored state only records transitions for people and notices. Every refusal names its cause.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from frontier_review.kernel.errors import FieldProblem, InvalidTransition, ValidationFailed

MAX_WINDOW = timedelta(days=30)  # G3: extensions included


class EngagementState(StrEnum):
    DRAFT = "draft"
    OFFERED = "offered"
    ACTIVE = "active"
    CLOSED = "closed"


class ClosedReason(StrEnum):
    WINDOW_ELAPSED = "window_elapsed"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"


class Recipients(StrEnum):
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
        problems = [
            FieldProblem(name, f"{name.replace('_', ' ')} must be a whole number above 0 and at most 1000000000")
            for name, value in vars(self).items()
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= 1_000_000_000
        ]
        if problems:
            raise ValidationFailed(problems[0].message, problems=problems)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def check(self) -> None:
        """G3: a window ends after it starts and lasts at most 30 days in total."""
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


def check_partners_from(window: Window, recipients: Recipients, partners_from: datetime | None) -> datetime | None:
    """The partner cohort's start: inside the window, and only where the terms include partners."""
    if recipients is Recipients.FEDERAL_ONLY:
        return None
    start = partners_from or window.start
    if not window.start <= start < window.end:
        raise ValidationFailed("partners' access must start inside the window", field="partners_from")
    return start


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
    """Developer-driven moves: a draft is offered; anything not closed may be closed."""
    allowed = {
        EngagementState.DRAFT: {EngagementState.OFFERED, EngagementState.CLOSED},
        EngagementState.OFFERED: {EngagementState.ACTIVE, EngagementState.CLOSED},
        EngagementState.ACTIVE: {EngagementState.CLOSED},
        EngagementState.CLOSED: set(),
    }
    if target not in allowed[current]:
        raise InvalidTransition(f"an engagement that is {current.value} cannot become {target.value}")
    return target


@dataclass(frozen=True)
class AccessContext:
    """Everything the gateway needs to decide one call, loaded in one query."""

    engagement_id: uuid.UUID
    participant_id: uuid.UUID
    user_id: uuid.UUID
    state: EngagementState
    closed_reason: ClosedReason | None
    version_status: str
    window: Window
    cohort: Cohort
    recipients: Recipients
    partners_from: datetime | None
    current_terms: int
    accepted_terms: int | None
    participant_revoked: bool
    user_revoked: bool
    user_active: bool
    partner_designation_until: datetime | None  # partners only: None when not (or no longer) designated
    # What the current terms share (item 8); the gateway checks them, artifact downloads do not.
    materials: Materials = Materials()


@dataclass(frozen=True)
class Refusal:
    """Why a call is not admitted; ``code`` is stable, ``message`` is for the reviewer."""

    code: str
    message: str


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def admission(ctx: AccessContext, now: datetime) -> Refusal | None:  # noqa: PLR0911 - one refusal per G1 rule
    """G1: admitted only inside the active window and cohort, after terms acceptance, not revoked,
    not released. ``None`` means admitted (quotas are checked separately)."""
    state, reason = effective_state(ctx.state, ctx.closed_reason, ctx.window, ctx.version_status, now)
    if state is EngagementState.CLOSED:
        why = {
            ClosedReason.RELEASED: "the developer released the model version",
            ClosedReason.WITHDRAWN: "the developer withdrew the model version",
            ClosedReason.WINDOW_ELAPSED: f"the window ended at {_stamp(ctx.window.end)}",
            None: "the engagement is closed",
        }[reason]
        return Refusal("engagement_closed", f"access has ended: {why}")
    if state is EngagementState.DRAFT:
        return Refusal("engagement_not_offered", "the engagement has not been offered yet")
    if not ctx.user_active or ctx.user_revoked:
        return Refusal("user_revoked", "the developer revoked your access to this engagement")
    if ctx.participant_revoked:
        return Refusal("participant_revoked", "the developer revoked your organization's access to this engagement")
    if now < ctx.window.start:
        return Refusal("window_not_open", f"the window opens at {_stamp(ctx.window.start)}")
    if ctx.cohort is Cohort.PARTNER:
        if ctx.recipients is not Recipients.FEDERAL_AND_PARTNERS:
            return Refusal("partners_excluded", "the terms of this engagement do not include trusted partners")
        if ctx.partner_designation_until is None or now >= ctx.partner_designation_until:
            return Refusal("partner_not_designated", "your organization is not a designated trusted partner")
        if ctx.partners_from is not None and now < ctx.partners_from:
            return Refusal("cohort_not_open", f"trusted partners' access opens at {_stamp(ctx.partners_from)}")
    if ctx.accepted_terms != ctx.current_terms:
        return Refusal(
            "terms_not_accepted",
            f"your organization's admin has not accepted version {ctx.current_terms} of the terms",
        )
    return None


VARIANT_STANDARD = "standard"
VARIANT_REDUCED = "reduced-safeguard"


def shared_variants(materials: Materials) -> tuple[str, ...]:
    """The model variants the terms share through the gateway (none without API access)."""
    if not materials.api_access:
        return ()
    return (VARIANT_STANDARD, VARIANT_REDUCED) if materials.reduced_safeguard_variant else (VARIANT_STANDARD,)


def api_refusal(materials: Materials, variant: str | None) -> Refusal | None:
    """Whether the current terms share gateway access at all, and ``variant`` in particular.

    Args:
        materials: What the engagement's current terms share.
        variant: The variant asked for, or None for a call naming no model (``/models``).

    Returns:
        None when the call may go on; otherwise the refusal naming the term that excludes it.
    """
    if not materials.api_access:
        return Refusal("api_access_not_shared", "the current terms of this engagement do not include API access")
    if variant is not None and variant not in shared_variants(materials):
        return Refusal("variant_not_shared", f"the current terms of this engagement do not share the {variant} variant")
    return None


def access_ends(ctx: AccessContext) -> datetime:
    """The instant the clock alone ends this caller's access: the window's end, or a partner's
    designation lapsing first. A call in flight is cut exactly then (item 9)."""
    end = ctx.window.end
    if ctx.cohort is Cohort.PARTNER and ctx.partner_designation_until is not None:
        end = min(end, ctx.partner_designation_until)
    return end
