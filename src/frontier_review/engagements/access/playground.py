"""The chat playground's session token, and what a participant's access is right now.

The playground calls the gateway from the browser with an ordinary gateway token, kept in that
browser tab only; the server stores its digest, as for every gateway token, so the token can
never be handed out a second time. A person holds at most one playground token per engagement:
the browser reuses it across sends and reloads, and only starting a new session (from a tab that
lost it, or after it was revoked) mints another, revoking the one before. Both steps are audited
like every token issued or revoked.

:func:`get_my_access` answers what the playground shows beside the chat: whether a call made now
would be admitted and, if not, why (the gateway's own rules, G1); when the clock ends access; and
what is left of the organization's quota today, counted from the access log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import func, or_, select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access.context import get_access_context
from frontier_review.engagements.access.domain import (
    VARIANT_STANDARD,
    Refusal,
    access_ends,
    admission,
    api_refusal,
    shared_variants,
)
from frontier_review.engagements.access.orm import AccessLog, GatewayToken
from frontier_review.engagements.access.recorder import GATEWAY_KIND
from frontier_review.engagements.access.service import (
    PLAYGROUND_TOKEN_NAME,
    IssuedGatewayToken,
    mint,
    revoke,
)
from frontier_review.engagements.lifecycle.domain import Quotas, Window
from frontier_review.engagements.lifecycle.views import engagement_view, get_ref, get_row_for
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide

__all__ = ["MyAccess", "PlaygroundSession", "QuotaLeft", "get_my_access", "start_playground_session"]

REPLACED = "replaced by a new playground session"
# Calls refused before the quota counter saw them: they use none of the day's requests. Every
# other call the access log holds did (served, failed upstream, cut, or still in flight).
NOT_METERED = frozenset(
    {
        # admission (G1) and the terms' materials: engagements/access/domain.py
        "engagement_closed",
        "engagement_not_offered",
        "user_revoked",
        "participant_revoked",
        "window_not_open",
        "partners_excluded",
        "partner_not_designated",
        "cohort_not_open",
        "terms_not_accepted",
        "api_access_not_shared",
        "variant_not_shared",
        # the request itself, the variant's upstream, the quota counters: gateway/
        "invalid_request",
        "request_too_large",
        "model_not_found",
        "upstream_missing",
        "service_unavailable",
        "rate_limit_exceeded",
        "insufficient_quota",
    }
)


@dataclass(frozen=True)
class PlaygroundSession:
    """A playground token just minted: its plaintext goes to the browser tab, once.

    Attributes:
        issued: The token's metadata and plaintext.
        replaced: The public ``lookup`` part of each earlier playground token it revoked.
    """

    issued: IssuedGatewayToken
    replaced: tuple[str, ...]


@dataclass(frozen=True)
class QuotaLeft:
    """The participant's quotas and its use of them today (UTC), from the access log.

    Attributes:
        quotas: The participant's limits.
        requests_today: Calls that counted against today's requests.
        tokens_today: Prompt and completion tokens of today's calls.
        resets_at: The next UTC midnight, when the day's counts start again.
    """

    quotas: Quotas
    requests_today: int
    tokens_today: int
    resets_at: datetime

    @property
    def requests_left(self) -> int:
        """Requests left today (never below zero)."""
        return max(0, self.quotas.requests_per_day - self.requests_today)

    @property
    def tokens_left(self) -> int:
        """Tokens left today (never below zero)."""
        return max(0, self.quotas.tokens_per_day - self.tokens_today)


@dataclass(frozen=True)
class MyAccess:
    """One person's access to an engagement's gateway, right now.

    Attributes:
        engagement_id: The engagement.
        now: The instant this answers for.
        refusal: Why a call made now would be refused, or None when it would be admitted.
        window: The engagement's window.
        ends_at: When the clock alone ends this person's access (the window's end, or a
            partner's designation lapsing first).
        quota: The organization's quota left today; None for someone who takes no part.
        models: The model ids the playground may call (the variants the terms share and the
            developer connected).
        start_refusal: Why a playground session may not be started now, or None when it may.
        playground_token: The public ``lookup`` part of the person's current playground token,
            or None when there is none.
    """

    engagement_id: uuid.UUID
    now: datetime
    refusal: Refusal | None
    window: Window
    ends_at: datetime
    quota: QuotaLeft | None
    models: tuple[str, ...]
    start_refusal: str | None
    playground_token: str | None


def _current_tokens(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[GatewayToken]:
    return list(
        uow.session.scalars(
            select(GatewayToken)
            .where(
                GatewayToken.user_id == principal.user_id,
                GatewayToken.engagement_id == engagement_id,
                GatewayToken.name == PLAYGROUND_TOKEN_NAME,
                GatewayToken.revoked_at.is_(None),
            )
            .order_by(GatewayToken.created_at.desc())
        )
    )


def start_playground_session(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> PlaygroundSession:
    """Mint the person's playground token for an engagement, revoking any earlier one.

    The browser asks only when it holds no working token (a new tab, or the token was revoked),
    so this is the one place playground tokens are made: never one per click or reload.

    Args:
        uow: The unit of work.
        principal: The signed-in participant.
        engagement_id: The engagement.

    Returns:
        The new token (its plaintext shown this once) and the tokens it replaced.

    Raises:
        NotFound: The engagement does not exist, or the principal may not see it.
        PermissionDenied: As for any gateway token: an API token, no part in the engagement, or
            terms its organization has not accepted (audited).
    """
    row = get_row_for(uow, principal, engagement_id, Permission.GATEWAY_TOKEN_ISSUE)
    earlier = _current_tokens(uow, principal, row.id)
    for token in earlier:
        revoke(uow, principal, token, reason=REPLACED)
    issued = mint(
        uow,
        principal,
        row.id,
        name=PLAYGROUND_TOKEN_NAME,
        details={"playground": True, "replaces": [t.lookup for t in earlier]},
    )
    return PlaygroundSession(issued, tuple(t.lookup for t in earlier))


def get_my_access(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> MyAccess:
    """Whether a gateway call made now would be admitted, until when, and the quota left today.

    Args:
        uow: The unit of work.
        principal: Whoever may see the engagement; the answer is about them.
        engagement_id: The engagement.

    Returns:
        The person's access right now.

    Raises:
        NotFound: The engagement does not exist, or the principal may not see it.
    """
    row = get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_READ)
    now = uow.clock.now()
    ref = get_ref(uow, row)
    ctx = get_access_context(uow, principal, row.id)
    party = ref.party_refusal(principal.user_id, principal.org_id, now)
    refusal = Refusal("not_a_participant", party) if party else admission(ctx, now) or api_refusal(ctx.materials, None)
    start = decide(uow, principal, Permission.GATEWAY_TOKEN_ISSUE, ref, now)
    view = engagement_view(uow, row, principal)
    mine = next((p for p in view.participants if p.organization_id == principal.org_id), None)
    quota = _quota_left(uow, mine.id, mine.quotas, now) if party is None and mine is not None else None
    shared = set(shared_variants(ctx.materials))
    current = _current_tokens(uow, principal, row.id) if principal.user_id is not None else []
    return MyAccess(
        engagement_id=row.id,
        now=now,
        refusal=refusal,
        window=ctx.window,
        ends_at=access_ends(ctx),
        quota=quota,
        models=tuple(variant_model_id(view.model_id, v) for v in view.variants if v in shared),
        start_refusal=None if start.allowed else start.reason,
        playground_token=current[0].lookup if current else None,
    )


def variant_model_id(model_id: str, variant: str) -> str:
    """The model id a client names to call ``variant`` (the gateway's ``…:reduced-safeguard``)."""
    return model_id if variant == VARIANT_STANDARD else f"{model_id}:{variant}"


def _quota_left(uow: UnitOfWork, participant_id: uuid.UUID, quotas: Quotas, now: datetime) -> QuotaLeft:
    day = now.date()
    metered = or_(AccessLog.outcome.not_in(NOT_METERED), AccessLog.status < 400)
    requests, tokens = uow.session.execute(
        select(
            func.count().filter(metered),
            func.coalesce(func.sum(AccessLog.prompt_tokens + AccessLog.completion_tokens), 0),
        ).where(AccessLog.participant_id == participant_id, AccessLog.day == day, AccessLog.kind == GATEWAY_KIND)
    ).one()
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=now.tzinfo)
    return QuotaLeft(quotas, int(requests), int(tokens), midnight)
