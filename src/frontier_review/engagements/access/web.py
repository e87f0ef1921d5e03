"""Web forms for gateway access: upstreams, personal tokens (shown once) and the chat playground page."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.config import Environment
from frontier_review.engagements.access import playground, reveals, service
from frontier_review.engagements.access.schemas import MyAccessOut
from frontier_review.engagements.forms import PAGE, act
from frontier_review.engagements.lifecycle import service as lifecycle
from frontier_review.kernel.principal import Principal
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.templating import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


@router.post("/engagements/{engagement_id}/upstream", dependencies=[form_page(PAGE)])
def set_upstream(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    base_url: Annotated[str, Form(max_length=500)],
    upstream_model: Annotated[str, Form(max_length=200)],
    api_key: Annotated[str, Form(max_length=4096)] = "",
    variant: Annotated[str, Form(max_length=40)] = "standard",
) -> Response:
    settings = uow.settings
    return act(
        request,
        engagement_id,
        "Upstream connected; its URL and key are sealed and will not be shown again.",
        lambda: service.set_upstream(
            uow,
            principal,
            engagement_id,
            variant=variant,
            base_url=base_url,
            api_key=api_key or None,
            upstream_model=upstream_model,
            require_https=settings.env is Environment.PROD,
            allow_private=settings.gateway_allow_private_upstreams,
        ),
    )


@router.post("/engagements/{engagement_id}/upstream/{variant}/remove", dependencies=[back_to(PAGE)])
def remove_upstream(engagement_id: uuid.UUID, variant: str, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    service.remove_upstream(uow, principal, engagement_id, variant=variant)
    flash(request, f"The {variant} upstream is disconnected; its URL and key were deleted.", "success")
    return RedirectResponse(f"/engagements/{engagement_id}", status_code=303)


@router.post("/engagements/{engagement_id}/tokens", dependencies=[form_page(PAGE)])
def issue_token(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    name: Annotated[str, Form(max_length=100)] = "personal",
) -> Response:
    issued = service.issue_token(uow, principal, engagement_id, name=name)
    stash_token(request, uow, principal, engagement_id, issued.plaintext)
    return RedirectResponse(f"/engagements/{engagement_id}#tokens", status_code=303)


@router.post("/engagements/{engagement_id}/tokens/{token_id}/revoke", dependencies=[back_to(PAGE)])
def revoke_token(engagement_id: uuid.UUID, token_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return act(request, engagement_id, "Token revoked.", lambda: service.revoke_token(uow, principal, token_id))


# A new token is shown once, on the next page. The session cookie is signed but not encrypted, so
# it carries only the id of a sealed server-side record, which that page takes (and deletes).
_REVEAL = "gateway_token_reveal"


def stash_token(request: Request, uow: UoW, principal: Principal, engagement_id: uuid.UUID, plaintext: str) -> None:
    request.session[_REVEAL] = str(reveals.stash(uow, principal, engagement_id, plaintext))


def take_token(request: Request, uow: UoW, principal: Principal, engagement_id: uuid.UUID) -> str | None:
    return reveals.take(uow, principal, engagement_id, request.session.pop(_REVEAL, None))


@router.get("/engagements/{engagement_id}/playground", response_class=HTMLResponse)
def playground_page(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The chat playground: the page carries no token; the tab mints or reuses its own (see playground.js)."""
    view = lifecycle.get_engagement(uow, principal, engagement_id)
    access = MyAccessOut.of(playground.get_my_access(uow, principal, engagement_id))
    return render(
        request,
        "engagements/playground.html",
        principal,
        e=view,
        access=access,
        gateway_url=str(request.base_url).rstrip("/") + "/gateway/v1",
    )
