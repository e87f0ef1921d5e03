"""FastAPI dependencies: the unit of work, the acting principal, CSRF.

This is the adapter kit every area's routes use, so it names no area: who a session or token
belongs to, and how many notices are unread, come from :class:`WebHooks`, which the app factory
(``frontier_review.asgi``) puts on ``app.state``.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Protocol

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from frontier_review.db.uow import UnitOfWork, UnitOfWorkFactory
from frontier_review.kernel.errors import NotAuthenticated, PermissionDenied
from frontier_review.kernel.principal import Principal
from frontier_review.web.problems import LoginRequired

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class WebHost(Protocol):
    """What the kit needs of the process's container (``bootstrap.Container``)."""

    @property
    def uow(self) -> UnitOfWorkFactory: ...


@dataclass(frozen=True)
class WebHooks:
    """What the web kit asks of the areas, handed in by the app factory.

    Attributes:
        principal_for_session: The principal of a live server-side session key, or ``None``.
        principal_for_token: The principal of a valid API token, or ``None``.
        unread_count: How many unread notices a principal has (shown in the page header).
        organization_name: The name of an organization, or ``None`` (for pages of areas below
            identity, such as the audit log's "entries of <your organization>").
    """

    principal_for_session: Callable[[UnitOfWork, str], Principal | None]
    principal_for_token: Callable[[UnitOfWork, str], Principal | None]
    unread_count: Callable[[UnitOfWork, Principal], int]
    organization_name: Callable[[UnitOfWork, uuid.UUID], str | None]


def get_container(request: Request) -> WebHost:
    """The process's container, set on the app by :func:`frontier_review.asgi.create_app`."""
    container: WebHost = request.app.state.container
    return container


def web_hooks(request: Request) -> WebHooks:
    """The hooks the app factory installed."""
    hooks: WebHooks = request.app.state.web_hooks
    return hooks


def _request_meta(request: Request) -> dict[str, str]:
    meta = {"request_id": request.state.request_id} if hasattr(request.state, "request_id") else {}
    if request.client is not None:
        meta["ip"] = request.client.host
    return meta


def get_uow(request: Request) -> Iterator[UnitOfWork]:
    """One transaction per request, committed before the response is sent."""
    with get_container(request).uow(request_meta=_request_meta(request)) as uow:
        yield uow


# scope="function": commit (or roll back) as soon as the endpoint returns, so a response
# is never sent for a change that then fails to commit.
UoW = Annotated[UnitOfWork, Depends(get_uow, scope="function")]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (synchroniser-token pattern)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


async def _presented_csrf(request: Request) -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


async def check_csrf(request: Request) -> None:
    """Refuse state-changing requests carried by the session cookie without the CSRF token."""
    if request.method not in UNSAFE_METHODS:
        return
    expected = request.session.get("csrf")
    presented = await _presented_csrf(request)
    if not isinstance(expected, str) or not presented or not hmac.compare_digest(expected, presented):
        raise PermissionDenied("missing or invalid CSRF token; reload the page and try again")


SESSION_KEY = "sid"
"""The session-cookie field holding the key of the server-side session (identity's ``web_sessions``)."""


def current_session_key(request: Request) -> str | None:
    """The key of the browser's server-side session, if its cookie carries one."""
    key = request.session.get(SESSION_KEY)
    return key if isinstance(key, str) else None


def _session_principal(request: Request, uow: UnitOfWork) -> Principal | None:
    # The signed cookie only names a session; whether it is still live is decided by the
    # database row, so signing out ends it in every server process at once.
    key = current_session_key(request)
    if key is None:
        return None
    principal = web_hooks(request).principal_for_session(uow, key)
    if principal is None:
        request.session.clear()
    return principal


# Declares the bearer scheme in the OpenAPI document (Swagger's "Authorize" button); the
# header itself is parsed below so that a malformed one is refused rather than ignored.
_bearer_scheme = HTTPBearer(auto_error=False, bearerFormat="frt_…", description="A personal API token from your account page.")
# Public routes that check credentials when presented name this scheme instead; the OpenAPI
# document (web/openapi.py) turns it into an optional HTTPBearer.
OPTIONAL_BEARER = "OptionalHTTPBearer"
_optional_bearer_scheme = HTTPBearer(auto_error=False, scheme_name=OPTIONAL_BEARER)


async def api_principal(
    request: Request, uow: UoW, _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer_scheme)] = None
) -> Principal:
    """API caller: a bearer token, or the browser session (with CSRF for changes)."""
    # This dependency is async only to read a form's CSRF field. Its database work runs in a
    # worker thread like every sync route's: on the event loop, a token lookup (which writes the
    # token's last use) waiting for a lock held by another request, whose commit itself needs the
    # event loop, would stall every request of the process (until SQLite's busy timeout; for
    # ever on PostgreSQL, where both wait on the token's row).
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise NotAuthenticated("use 'Authorization: Bearer frt_…'")
        principal = await run_in_threadpool(web_hooks(request).principal_for_token, uow, value.strip())
        if principal is None:
            raise NotAuthenticated("the API token is invalid, expired or revoked")
        return principal
    principal = await run_in_threadpool(_session_principal, request, uow)
    if principal is None:
        raise NotAuthenticated("authentication required: send an API token as 'Authorization: Bearer frt_…'")
    await check_csrf(request)
    return principal


async def api_principal_optional(
    request: Request,
    uow: UoW,
    _documented: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer_scheme)] = None,
) -> Principal | None:
    """API caller of a public route, or ``None`` for the public.

    Presented credentials are checked as by :func:`api_principal`: a bad token is refused, never
    taken for the public.
    """
    if request.headers.get("authorization") or current_session_key(request):
        return await api_principal(request, uow)
    return None


def web_principal_optional(request: Request, uow: UoW) -> Principal | None:
    """The signed-in browser user, or ``None`` for pages anyone may see."""
    return _session_principal(request, uow)


def web_principal(request: Request, uow: UoW) -> Principal:
    """A signed-in browser user, or a redirect to the login page."""
    principal = _session_principal(request, uow)
    if principal is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return principal


ApiPrincipal = Annotated[Principal, Depends(api_principal)]
OptionalApiPrincipal = Annotated[Principal | None, Depends(api_principal_optional)]
WebPrincipal = Annotated[Principal, Depends(web_principal)]
OptionalWebPrincipal = Annotated[Principal | None, Depends(web_principal_optional)]
