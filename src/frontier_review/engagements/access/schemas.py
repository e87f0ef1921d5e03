"""API models for gateway tokens, upstreams, usage and a participant's access right now."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from frontier_review.engagements.access.playground import MyAccess, PlaygroundSession, QuotaLeft
from frontier_review.engagements.access.service import GatewayTokenView, UsageRow


class _In(BaseModel):
    """Inputs refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")


class UpstreamIn(_In):
    """Where the gateway forwards one variant's calls: an OpenAI-compatible server."""

    variant: StrictStr = Field(default="standard", description="`standard` or `reduced-safeguard`.")
    base_url: StrictStr = Field(max_length=500, description="The OpenAI-compatible base URL, e.g. https://api.example/v1.")
    api_key: StrictStr | None = Field(default=None, max_length=4096, description="Sealed at rest; never shown again.")
    upstream_model: StrictStr = Field(max_length=200, description="The model name on the upstream server.")


class GatewayTokenIn(_In):
    """A new personal gateway token."""

    name: StrictStr = Field(
        min_length=1, max_length=100, description="What the token is for, e.g. `laptop` (1 to 100 characters)."
    )


class UsageOut(BaseModel):
    """One participant's gateway use on one UTC day."""

    organization: str = Field(description="The participating organization's name.")
    participant_id: uuid.UUID = Field(description="The participant's id.")
    day: date = Field(description="The UTC day.")
    requests: int = Field(description="Calls answered without an error.")
    refused: int = Field(description="Calls answered with an error (refused, over quota, or failed upstream).")
    prompt_tokens: int = Field(description="Prompt tokens the upstream counted.")
    completion_tokens: int = Field(description="Completion tokens the upstream counted.")

    @classmethod
    def of(cls, u: UsageRow) -> UsageOut:
        return cls(
            organization=u.organization_name,
            participant_id=u.participant_id,
            day=u.day,
            requests=u.requests,
            refused=u.refused,
            prompt_tokens=u.prompt_tokens,
            completion_tokens=u.completion_tokens,
        )


class GatewayTokenOut(BaseModel):
    """A personal gateway token's metadata (never the token itself)."""

    id: uuid.UUID = Field(description="The token's id.")
    engagement_id: uuid.UUID = Field(description="The engagement it opens on the gateway.")
    name: str = Field(description="What the token is for.")
    lookup: str = Field(description="The token's public part (`frg_<lookup>_…`), to recognise it.")
    created_at: datetime = Field(description="When it was created.")
    revoked_at: datetime | None = Field(description="When it was revoked, or null.")

    @classmethod
    def of(cls, t: GatewayTokenView) -> GatewayTokenOut:
        return cls(
            id=t.id, engagement_id=t.engagement_id, name=t.name, lookup=t.lookup, created_at=t.created_at, revoked_at=t.revoked_at
        )


class IssuedGatewayTokenOut(GatewayTokenOut):
    """A gateway token just created, with the token itself."""

    token: str = Field(description="Shown once: use it as the API key of the openai SDK.")


class PlaygroundSessionOut(IssuedGatewayTokenOut):
    """The playground's session token just created, with the token itself (shown once)."""

    replaced: list[str] = Field(
        description="The `lookup` part of each earlier playground token of yours on this engagement, now revoked."
    )

    @classmethod
    def of_session(cls, s: PlaygroundSession) -> PlaygroundSessionOut:
        return cls(**GatewayTokenOut.of(s.issued.token).model_dump(), token=s.issued.plaintext, replaced=list(s.replaced))


class RefusalOut(BaseModel):
    """Why the gateway would refuse a call made now."""

    code: str = Field(description="The gateway's stable refusal code, e.g. `terms_not_accepted`, `window_not_open`.")
    message: str = Field(description="The reason, as the gateway words it.")


class QuotaOut(BaseModel):
    """Your organization's quotas on this engagement and its use of them today (UTC)."""

    requests_per_day: int = Field(description="Requests allowed per UTC day.")
    tokens_per_day: int = Field(description="Prompt and completion tokens allowed per UTC day.")
    requests_per_minute: int = Field(description="Requests allowed per minute.")
    requests_today: int = Field(description="Requests that counted against today's quota so far.")
    tokens_today: int = Field(description="Tokens used today so far (calls still in flight count once they end).")
    requests_left: int = Field(description="Requests left today.")
    tokens_left: int = Field(description="Tokens left today.")
    resets_at: datetime = Field(description="The next UTC midnight, when the day's counts start again.")

    @classmethod
    def of(cls, q: QuotaLeft) -> QuotaOut:
        return cls(
            requests_per_day=q.quotas.requests_per_day,
            tokens_per_day=q.quotas.tokens_per_day,
            requests_per_minute=q.quotas.requests_per_minute,
            requests_today=q.requests_today,
            tokens_today=q.tokens_today,
            requests_left=q.requests_left,
            tokens_left=q.tokens_left,
            resets_at=q.resets_at,
        )


class MyAccessOut(BaseModel):
    """Your access to this engagement's gateway right now."""

    engagement_id: uuid.UUID = Field(description="The engagement.")
    now: datetime = Field(description="The server's time this answer is for.")
    admitted: bool = Field(description="Whether a gateway call made now would be admitted (quotas aside).")
    refusal: RefusalOut | None = Field(description="Why a call made now would be refused; null when admitted.")
    window_start: datetime = Field(description="When the engagement's window opens.")
    window_end: datetime = Field(description="When the engagement's window closes.")
    ends_at: datetime = Field(
        description="When the clock alone ends your access: the window's end, or a partner's designation lapsing first."
    )
    seconds_left: int = Field(description="Seconds from `now` to `ends_at` (0 once passed).")
    opens_in: int = Field(description="Seconds from `now` to `window_start` (0 once open).")
    quota: QuotaOut | None = Field(description="Your organization's quota left today; null when you take no part.")
    models: list[str] = Field(description="The model ids you may call: the variants the terms share and the developer connected.")
    may_start_playground: bool = Field(description="Whether you may start a playground session (mint its token) now.")
    start_refusal: str | None = Field(description="Why you may not start a playground session now; null when you may.")
    playground_token: str | None = Field(
        description="The `lookup` part of your current playground token on this engagement, or null (never the token)."
    )

    @classmethod
    def of(cls, a: MyAccess) -> MyAccessOut:
        return cls(
            engagement_id=a.engagement_id,
            now=a.now,
            admitted=a.refusal is None,
            refusal=RefusalOut(code=a.refusal.code, message=a.refusal.message) if a.refusal else None,
            window_start=a.window.start,
            window_end=a.window.end,
            ends_at=a.ends_at,
            seconds_left=max(0, int((a.ends_at - a.now).total_seconds())),
            opens_in=max(0, int((a.window.start - a.now).total_seconds())),
            quota=QuotaOut.of(a.quota) if a.quota else None,
            models=list(a.models),
            may_start_playground=a.start_refusal is None,
            start_refusal=a.start_refusal,
            playground_token=a.playground_token,
        )
