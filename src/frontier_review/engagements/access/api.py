"""REST endpoints for gateway tokens, upstreams and usage."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from frontier_review.config import Environment
from frontier_review.engagements.access import service
from frontier_review.engagements.access.schemas import (
    GatewayTokenIn,
    GatewayTokenOut,
    IssuedGatewayTokenOut,
    UpstreamIn,
    UsageOut,
)
from frontier_review.engagements.lifecycle.schemas import EngagementOut
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(tags=["engagements"])


@router.put(
    "/engagements/{engagement_id}/upstream",
    summary="Register the upstream of a variant",
    description="URL and key are sealed at rest and never returned (G4).",
)
def set_upstream(engagement_id: uuid.UUID, body: UpstreamIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    settings = uow.settings
    return EngagementOut.of(
        service.set_upstream(
            uow,
            principal,
            engagement_id,
            variant=body.variant,
            base_url=body.base_url,
            api_key=body.api_key,
            upstream_model=body.upstream_model,
            require_https=settings.env is Environment.PROD,
            allow_private=settings.gateway_allow_private_upstreams,
        )
    )


@router.delete(
    "/engagements/{engagement_id}/upstream/{variant}",
    summary="Disconnect the upstream of a variant",
    description="Its sealed URL and key are deleted; the gateway stops forwarding to it at once.",
)
def remove_upstream(engagement_id: uuid.UUID, variant: str, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    return EngagementOut.of(service.remove_upstream(uow, principal, engagement_id, variant=variant))


@router.get("/engagements/{engagement_id}/usage", summary="Gateway usage per participant per day")
def usage(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[UsageOut]:
    return [UsageOut.of(u) for u in service.list_usage(uow, principal, engagement_id)]


@router.post(
    "/engagements/{engagement_id}/gateway-tokens",
    status_code=status.HTTP_201_CREATED,
    summary="Create a personal gateway token",
    description="Signed-in people only (not with an API token). The token is shown once.",
)
def issue_token(engagement_id: uuid.UUID, body: GatewayTokenIn, uow: UoW, principal: ApiPrincipal) -> IssuedGatewayTokenOut:
    issued = service.issue_token(uow, principal, engagement_id, name=body.name)
    return IssuedGatewayTokenOut(**GatewayTokenOut.of(issued.token).model_dump(), token=issued.plaintext)


@router.get("/gateway-tokens", summary="Your gateway tokens")
def my_tokens(uow: UoW, principal: ApiPrincipal) -> list[GatewayTokenOut]:
    return [GatewayTokenOut.of(t) for t in service.list_my_tokens(uow, principal)]


@router.post("/gateway-tokens/{token_id}/revoke", summary="Revoke one of your gateway tokens")
def revoke_token(token_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> GatewayTokenOut:
    return GatewayTokenOut.of(service.revoke_token(uow, principal, token_id))
