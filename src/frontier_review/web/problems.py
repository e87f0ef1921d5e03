"""Error mapping in one place: RFC 9457 problem+json for the API, HTML pages for the web UI.

The web UI has one error path. A service error raises through the unit of work, which rolls
back, and only then reaches the handler here:

- a form route that declared its page (:func:`frontier_review.web.forms.form_page`) has that page
  shown again, in a fresh unit of work, with what was typed and each problem next to its field
  (request-validation errors of web forms too);
- a route that declared where to go back to (:func:`back_to`), or a form page that cannot be
  shown again, has the message flashed and the browser redirected (303) there;
- any other page shows the error page with the status.

Web modules never catch service errors.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from frontier_review.kernel.errors import (
    Conflict,
    DomainError,
    FieldProblem,
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from frontier_review.kernel.keys import UnknownMasterKey
from frontier_review.telemetry.context import current_request_id
from frontier_review.telemetry.http import route_template
from frontier_review.web import forms
from frontier_review.web.forms import safe_path

__all__ = [
    "LoginRequired",
    "back_to",
    "flash",
    "install",
    "instance_of",
    "is_api",
    "problem",
    "safe_path",
    "status_for",
    "validation_errors",
]

log = logging.getLogger(__name__)

STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    PermissionDenied: 403,
    NotAuthenticated: 401,
    Conflict: 409,
    InvalidTransition: 409,
    ValidationFailed: 422,
    TooManyAttempts: 429,
}

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


_BACK = forms.BACK_STATE
_BACK_FIELD = forms.BACK_FIELD
_FORMS = forms.FORM_TYPES


def flash(request: Request, message: str, kind: str = "info") -> None:
    """Queue a one-time message for the next page."""
    request.session.setdefault("flash", []).append({"kind": kind, "message": message})


def back_to(default: str) -> Any:
    """Declare, as a route dependency, the page a refused request goes back to.

    ``default`` may name the route's path parameters (``/engagements/{engagement_id}``). A
    form may send its own ``back`` field instead; either way only a same-site path is used.
    When a service then raises, the web error handler flashes the message and redirects there
    (after the unit of work rolled back). A form with something to keep declares
    :func:`frontier_review.web.forms.form_page` instead.
    """

    async def declare(request: Request) -> None:
        back = None
        if request.headers.get("content-type", "").startswith(_FORMS):
            value = (await request.form()).get(_BACK_FIELD)
            back = safe_path(value) if isinstance(value, str) else None
        request.state.error_back = back or safe_path(default.format(**request.path_params)) or "/"

    return Depends(declare)


class LoginRequired(Exception):
    """A web page needs a signed-in user; the handler redirects to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def _path(request: Request) -> str:
    # The path as received: ``request.url`` is re-parsed, which drops tabs and line breaks.
    path: str = request.scope["path"]
    return path


def status_for(exc: DomainError) -> int:
    """The HTTP status of a domain error (the nearest mapped class; 400 for any other)."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def is_api(request: Request) -> bool:
    """True for API, well-known and health-probe requests, which get problem documents instead of HTML pages."""
    path = request.url.path
    return path.startswith(("/api/", "/.well-known/")) or path in {"/healthz", "/readyz"}


_PATH_SAFE = "/:@!$&'()*+,;=-._~"  # RFC 3986 pchar and "/": everything else is percent-encoded


def instance_of(path: str) -> str:
    """A problem's ``instance``: the request's path, percent-encoded so it is a URI reference."""
    return quote(path, safe=_PATH_SAFE)


def problem(status: int, *, code: str, detail: str, instance: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem document; ``instance`` is the request's path (see :func:`instance_of`).

    The request's id rides along as an extension member (§3.2). Its shape is documented as
    ``Problem`` in the OpenAPI document (``web/openapi.py``): a new field must be added there too.
    """
    body = {
        "type": f"urn:frontier-review:problem:{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": instance_of(instance),
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _loc_to_field(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "facts", 0, "value")`` → ``facts[0].value``, the same paths services use."""
    field = ""
    for part in loc:
        if part in ("body", "query", "path", "header", "cookie"):
            continue
        if isinstance(part, int):
            field += f"[{part}]"
        else:
            field += f".{part}" if field else str(part)
    return field or "body"


def validation_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    """Each pydantic error as {field, message}, with a readable message for broken JSON."""
    out = []
    for err in exc.errors():
        field = _loc_to_field(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            ctx = err.get("ctx") or {}
            message = f"malformed JSON: {ctx.get('error', 'cannot be parsed')}"
            field = "body"
        else:
            message = str(err.get("msg", "invalid value"))
        out.append({"field": field, "message": message})
    return out


def _field_problems(exc: DomainError) -> list[FieldProblem]:
    if isinstance(exc, ValidationFailed):
        return list(exc.problems)
    if isinstance(exc, Conflict) and exc.field:
        return [FieldProblem(exc.field, exc.message)]
    return []


async def _show_form_again(request: Request, problems: list[FieldProblem], message: str, status: int) -> Response | None:
    """The refused form's page again, filled in, if the route declared one and it can be shown."""
    declared = forms.declared_page(request)
    if declared is None:
        return None
    return await forms.show_again(request, declared, forms.refused(request, declared, problems, message), status)


def install(app: FastAPI, render_error: Callable[[Request, int, str], Response]) -> None:
    """Register the exception handlers; ``render_error`` renders the web error page."""

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        status = status_for(exc)
        if not is_api(request):
            if isinstance(exc, NotAuthenticated):
                return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
            # The unit of work has already rolled back: nothing of the refused change remains.
            shown = await _show_form_again(request, _field_problems(exc), exc.message, status)
            if shown is not None:
                return shown
            back = getattr(request.state, _BACK, None)
            if isinstance(back, str):
                flash(request, exc.message, "error")
                return RedirectResponse(back, status_code=303)
            return render_error(request, status, exc.message)
        errors = None
        if isinstance(exc, ValidationFailed) and exc.problems:
            errors = [{"field": p.field, "message": p.message} for p in exc.problems]
        field = exc.field if isinstance(exc, Conflict) else None
        response = problem(status, code=exc.code, detail=exc.message, instance=_path(request), errors=errors, field=field)
        if isinstance(exc, NotAuthenticated):
            response.headers["WWW-Authenticate"] = 'Bearer realm="frontier-review"'
        if isinstance(exc, TooManyAttempts):
            response.headers["Retry-After"] = str(exc.retry_after_seconds)
        return response

    @app.exception_handler(RequestValidationError)
    async def request_validation(request: Request, exc: RequestValidationError) -> Response:
        errors = validation_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        if not is_api(request):
            # A web form missing a field, or with a number that is not one: its page again, filled in.
            problems = [
                FieldProblem(field, forms.human_message(field, err))
                for field, err in ((_loc_to_field(err.get("loc", ())), err) for err in exc.errors())
            ]
            shown = await _show_form_again(request, problems, detail, 422)
            return shown if shown is not None else render_error(request, 422, detail)
        return problem(422, code="validation_failed", detail=detail, instance=_path(request), errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if not is_api(request):
            return render_error(request, exc.status_code, str(exc.detail))
        if exc.status_code == 400:
            # Invalid input like malformed JSON (request_validation): one 422 for every unreadable body.
            detail = f"body: {exc.detail}"
            errors = [{"field": "body", "message": str(exc.detail)}]
            return problem(422, code="validation_failed", detail=detail, instance=_path(request), errors=errors)
        return problem(exc.status_code, code=f"http_{exc.status_code}", detail=str(exc.detail), instance=_path(request))

    @app.exception_handler(UnknownMasterKey)
    async def keys_unavailable(request: Request, exc: UnknownMasterKey) -> Response:
        # The route's template, never the path: some paths carry a token (an invitation's).
        log.error("master key unavailable on %s: %s", route_template(request.scope), exc)
        detail = "the server cannot open its encryption keys; an operator must check its master key configuration"
        if not is_api(request):
            return render_error(request, 503, detail)
        return problem(503, code="keys_unavailable", detail=detail, instance=_path(request))

    @app.exception_handler(LoginRequired)
    async def login_required(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={exc.next_path}", status_code=303)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, route_template(request.scope), exc_info=exc)
        if not is_api(request):
            return render_error(request, 500, "Something went wrong on our side; the error was logged.")
        return problem(500, code="internal", detail="internal error; it was logged", instance=_path(request))
