"""Gateway admission (pure): who may call at an instant, what the terms share, when access ends.

These rules decide every gateway call (G1) and every artifact download, from one typed record
(:class:`AccessContext`) that :mod:`~frontier_review.engagements.access.context` loads in one
query. No I/O here: the unit tests check G1 directly, with Hypothesis.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from frontier_review.engagements.lifecycle.domain import (
    VARIANT_REDUCED,
    VARIANT_STANDARD,
    ClosedReason,
    Cohort,
    EngagementState,
    Materials,
    Quotas,
    Recipients,
    Window,
    effective_state,
    shared_variants,
)

__all__ = [
    "VARIANT_REDUCED",
    "VARIANT_STANDARD",
    "AccessContext",
    "CallContext",
    "Refusal",
    "UpstreamTarget",
    "access_ends",
    "admission",
    "api_refusal",
    "current_state",
    "shared_variants",
]


@dataclass(frozen=True)
class AccessContext:
    """Everything that decides one call or download, loaded in one query."""

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
    # What the current terms share (item 8); the gateway checks them, artifact downloads check the kind.
    materials: Materials = Materials()  # noqa: RUF009 - frozen, so one shared default is safe


@dataclass(frozen=True)
class CallContext:
    """The caller of one gateway call and its engagement, as of this request (a typed record).

    Attributes:
        access: What admission decides on.
        token_id: The gateway token's id.
        user_label: The caller's address, for the access log.
        organization_id: The caller's organization.
        quotas: The participant's quotas; None when the caller's organization does not take part.
        access_epoch: Bumped by every change to the engagement's upstreams (the upstream cache key).
        model_id: The public model id of the engagement's version.
        transcripts: Whether this call's transcript is kept (never for the program office, E1).
        token_digest: The token's digest (the watch re-reads the context by it).
        token_revoked: The token itself was revoked.
        program_office: The caller belongs to the program office (its calls carry classified items, E1).
    """

    access: AccessContext
    token_id: uuid.UUID
    user_label: str
    organization_id: uuid.UUID | None
    quotas: Quotas | None
    access_epoch: int
    model_id: str
    transcripts: bool
    token_digest: str = ""
    token_revoked: bool = False
    program_office: bool = False

    @property
    def participant_id(self) -> uuid.UUID | None:
        """The participant the call is metered against (None when the caller takes no part)."""
        return self.access.participant_id if self.quotas is not None else None


@dataclass(frozen=True)
class UpstreamTarget:
    """Where one variant's calls go: opened from its sealed record, for the gateway only (G4)."""

    variant: str
    base_url: str
    api_key: str | None
    upstream_model: str


@dataclass(frozen=True)
class Refusal:
    """Why a call is not admitted; ``code`` is stable, ``message`` is for the reviewer."""

    code: str
    message: str


def _stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def current_state(ctx: AccessContext, now: datetime) -> tuple[EngagementState, ClosedReason | None]:
    """The engagement's effective state at ``now`` (release, withdrawal and the clock included)."""
    return effective_state(ctx.state, ctx.closed_reason, ctx.window, ctx.version_status, now)


def admission(ctx: AccessContext, now: datetime) -> Refusal | None:  # noqa: PLR0911 - one refusal per G1 rule
    """G1: whether a call (or download) starting at ``now`` is admitted.

    Admitted only inside the active window and cohort, after terms acceptance, not revoked,
    not released. Quotas and the terms' materials are checked separately.

    Returns:
        None when admitted; otherwise the first refusal, in a fixed order of precedence.
    """
    state, reason = current_state(ctx, now)
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
    """The instant the clock alone ends this caller's access.

    That is the window's end, or a partner's designation lapsing first. A call in flight is cut
    exactly then (item 9).
    """
    end = ctx.window.end
    if ctx.cohort is Cohort.PARTNER and ctx.partner_designation_until is not None:
        end = min(end, ctx.partner_designation_until)
    return end
