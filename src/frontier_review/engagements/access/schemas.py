"""API models for gateway tokens, upstreams and usage."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictStr

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
