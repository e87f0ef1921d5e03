"""API models for gateway tokens, upstreams and usage."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from frontier_review.engagements.access.service import GatewayTokenView, UsageRow


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class UpstreamIn(_In):
    variant: StrictStr = Field(default="standard", description="`standard` or `reduced-safeguard`.")
    base_url: StrictStr = Field(max_length=500, description="The OpenAI-compatible base URL, e.g. https://api.example/v1.")
    api_key: StrictStr | None = Field(default=None, max_length=4096, description="Sealed at rest; never shown again.")
    upstream_model: StrictStr = Field(max_length=200, description="The model name on the upstream server.")


class GatewayTokenIn(_In):
    name: StrictStr = Field(min_length=1, max_length=100)


class UsageOut(BaseModel):
    organization: str
    participant_id: uuid.UUID
    day: date
    requests: int
    refused: int
    prompt_tokens: int
    completion_tokens: int

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
    id: uuid.UUID
    engagement_id: uuid.UUID
    name: str
    lookup: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, t: GatewayTokenView) -> GatewayTokenOut:
        return cls(
            id=t.id, engagement_id=t.engagement_id, name=t.name, lookup=t.lookup, created_at=t.created_at, revoked_at=t.revoked_at
        )


class IssuedGatewayTokenOut(GatewayTokenOut):
    token: str = Field(description="Shown once: use it as the API key of the openai SDK.")
