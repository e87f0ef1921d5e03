"""REST endpoints for gateway tokens, upstreams and usage."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from frontier_review.config import Environment
from frontier_review.engagements.access import playground, service
from frontier_review.engagements.access.schemas import (
    GatewayTokenIn,
    GatewayTokenOut,
    IssuedGatewayTokenOut,
    MyAccessOut,
    PlaygroundSessionOut,
    UpstreamIn,
    UsageOut,
)
from frontier_review.engagements.lifecycle.schemas import EngagementOut
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(tags=["engagements"])


@router.put("/engagements/{engagement_id}/upstream", summary="Register the upstream of a variant")
def set_upstream(engagement_id: uuid.UUID, body: UpstreamIn, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """Register, or replace, the server the gateway forwards one variant's calls to.

    URL and key are encrypted at rest and never returned by any interface.

    **Who may call:** members of the developer organization (`engagements:engagement:manage`).

    **Returns** the engagement, listing the variant among its `upstreams`.

    **Errors:** 403 for others who may see the engagement (the program office, participants); 404
    when no such engagement exists or you may not see it; 422 for an unknown variant, a variant or
    API access the current terms do not share, an empty `upstream_model`, or a URL the platform
    refuses (malformed, not HTTPS in production, with credentials, a query or a fragment, a host
    that does not resolve, or one that resolves to a private address the operator has not allowed).
    """
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


@router.delete("/engagements/{engagement_id}/upstream/{variant}", summary="Disconnect the upstream of a variant")
def remove_upstream(engagement_id: uuid.UUID, variant: str, uow: UoW, principal: ApiPrincipal) -> EngagementOut:
    """Disconnect one variant's upstream: its URL and key are deleted and the gateway stops forwarding at once.

    Disconnecting a variant without an upstream changes nothing.

    **Who may call:** members of the developer organization (`engagements:engagement:manage`).

    **Returns** the engagement without that upstream.

    **Errors:** 403 for others who may see the engagement (the program office, participants); 404
    when no such engagement exists or you may not see it; 422 when `variant` is neither `standard`
    nor `reduced-safeguard`.
    """
    return EngagementOut.of(service.remove_upstream(uow, principal, engagement_id, variant=variant))


@router.get("/engagements/{engagement_id}/usage", summary="Gateway usage per participant per day")
def usage(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[UsageOut]:
    """Gateway calls and tokens per participant per UTC day, latest day first.

    **Who may call:** whoever may see the engagement (`engagements:usage:read`): the developer and
    the program office get every participant's usage, a participant its own.

    **Errors:** 404 when no such engagement exists or you may not see it (the same answer).
    """
    return [UsageOut.of(u) for u in service.list_usage(uow, principal, engagement_id)]


@router.post(
    "/engagements/{engagement_id}/gateway-tokens", status_code=status.HTTP_201_CREATED, summary="Create a personal gateway token"
)
def issue_token(engagement_id: uuid.UUID, body: GatewayTokenIn, uow: UoW, principal: ApiPrincipal) -> IssuedGatewayTokenOut:
    """Create your personal token for this engagement's gateway; the token is shown only in this answer.

    Use it as the API key of an OpenAI-compatible client. Tokens are issued only once your
    organization's admin has accepted the current terms; calls are admitted while the window is open.

    **Who may call:** people of an organization that takes part and has accepted the current
    terms, signed in to the web interface (with the `X-CSRF-Token` header), never with an API
    token (`engagements:gateway_token:issue`).

    **Returns** the token's metadata and, once, `token`.

    **Errors:** 403 when you call with an API token, may see the engagement but take no part in
    it (the developer, the program office), or your organization has not accepted the current
    terms (the refusal says so and is audited); 404 when no such engagement exists or you may not
    see it; 422 for a name not 1 to 100 characters long, or the playground's own name
    (`playground session`).
    """
    issued = service.issue_token(uow, principal, engagement_id, name=body.name)
    return IssuedGatewayTokenOut(**GatewayTokenOut.of(issued.token).model_dump(), token=issued.plaintext)


@router.get("/gateway-tokens", summary="List your gateway tokens")
def my_tokens(uow: UoW, principal: ApiPrincipal) -> list[GatewayTokenOut]:
    """Your own gateway tokens on every engagement, newest first (never the tokens themselves).

    **Who may call:** any signed-in user or API token; nobody lists another person's tokens.
    """
    return [GatewayTokenOut.of(t) for t in service.list_my_tokens(uow, principal)]


@router.post("/gateway-tokens/{token_id}/revoke", summary="Revoke one of your gateway tokens")
def revoke_token(token_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> GatewayTokenOut:
    """Revoke one of your gateway tokens; the gateway refuses it from its next call.

    Revoking a revoked token changes nothing.

    **Who may call:** the token's owner.

    **Returns** the token with `revoked_at` set.

    **Errors:** 404 when no such token exists or it is someone else's (the same answer).
    """
    return GatewayTokenOut.of(service.revoke_token(uow, principal, token_id))


@router.post(
    "/engagements/{engagement_id}/playground-session",
    status_code=status.HTTP_201_CREATED,
    summary="Start your chat playground session",
)
def start_playground_session(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> PlaygroundSessionOut:
    """Mint the token the chat playground uses in your browser tab; any earlier playground token of yours is revoked.

    You hold one playground token per engagement: the playground keeps it in its browser tab and
    reuses it across messages and reloads, and calls this only when the tab has none that works.
    The token is an ordinary gateway token named `playground session`, stored as a digest only.

    **Who may call:** as for `POST /engagements/{engagement_id}/gateway-tokens`: people of an
    organization that takes part and has accepted the current terms, signed in to the web
    interface (with the `X-CSRF-Token` header), never with an API token.

    **Returns** the token's metadata, once `token`, and in `replaced` the `lookup` of each
    playground token it revoked.

    **Errors:** 403 when you call with an API token, take no part, or your organization has not
    accepted the current terms; 404 when no such engagement exists or you may not see it.
    """
    return PlaygroundSessionOut.of_session(playground.start_playground_session(uow, principal, engagement_id))


@router.get("/engagements/{engagement_id}/my-access", summary="Your gateway access right now")
def my_access(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> MyAccessOut:
    """Whether a gateway call you made now would be admitted, until when, and your organization's quota left today.

    The refusal, when there is one, is the one the gateway would give (window not open or closed,
    terms not accepted, access revoked, released, API access not shared), with its code. Usage is
    counted from the access log of the current UTC day.

    **Who may call:** whoever may see the engagement (`engagements:engagement:read`); for
    someone who takes no part, `refusal` says so and `quota` is null.

    **Errors:** 404 when no such engagement exists or you may not see it (the same answer).
    """
    return MyAccessOut.of(playground.get_my_access(uow, principal, engagement_id))
