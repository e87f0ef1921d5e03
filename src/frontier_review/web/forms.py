"""Forms that keep what was typed: a refused submission shows its page again, filled in.

A route that handles a form declares the page the form lives on, as a route dependency next to
(in place of) :func:`~frontier_review.web.problems.back_to`::

    @router.post("/engagements/{engagement_id}/findings/new",
                 dependencies=[form_page("/engagements/{engagement_id}/findings/new")])

When a service then refuses the submission, the unit of work rolls back first, as on every error;
only then does the web error handler (``problems.py``) ask :func:`show_again` for the page: a
fresh GET of it, dispatched inside this process with its own unit of work, with a
:class:`FormState` on ``request.state`` that the page's template reads through the macros in
``templates/_forms.html`` — the values the user typed, each problem next to its field and a
summary at the top of the form. The answer carries the error's status (422 for invalid input).

What was typed lives only in this one request. It never goes into the session (the cookie is
signed, not encrypted, and small), and passwords, tokens, keys, the CSRF token and files are never
kept at all. If the page cannot be shown again (it answers anything but 200, or its template does
not render the refused form), the handler falls back to flashing the message and redirecting, as
for a button that has nothing to keep.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile
from starlette.types import Message

from frontier_review.kernel.errors import FieldProblem

__all__ = [
    "FORM_STATE",
    "BoundForm",
    "Declared",
    "FormState",
    "declared_page",
    "form_page",
    "human_message",
    "is_secret",
    "keep",
    "refused",
    "safe_path",
    "show_again",
]

log = logging.getLogger(__name__)

FORM_STATE = "form"
"""The ``request.state`` attribute the form macros read."""

BACK_STATE = "error_back"
"""Where a refused request is redirected when its page cannot be shown again (also set by ``back_to``)."""

BACK_FIELD = "back"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_DECLARED = "form_page"
_SECRET_PARTS = ("password", "secret", "csrf")
_SECRET_NAMES = frozenset({"token", "key", "api_key", "plaintext"})
# Keys of the POST's scope that belong to its route, not to the page shown instead.
_ROUTE_SCOPE_KEYS = frozenset(
    {"route", "endpoint", "path_params", "fastapi_inner_astack", "fastapi_function_astack", "fastapi_middleware_astack"}
)
_DROPPED_HEADERS = frozenset({b"content-type", b"content-length", b"x-csrf-token"})


def safe_path(value: str | None) -> str | None:
    """``value`` if it is a same-site path, else ``None``: redirects never leave the site.

    A same-site path starts with ``/`` (not ``//host``) and has no backslash or control character.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return None
    if "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    return value


def is_secret(name: str) -> bool:
    """A field whose value is never kept: passwords, tokens, keys, secrets, the CSRF token."""
    lowered = name.lower()
    return any(part in lowered for part in _SECRET_PARTS) or lowered in _SECRET_NAMES or lowered.endswith(("_key", "_token"))


@dataclass
class Declared:
    """What a form route declared, and what its request carried (kept on ``request.state``)."""

    page: str
    aliases: Mapping[str, str]
    values: dict[str, list[str]] = field(default_factory=dict)
    files: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class BoundForm:
    """The refused form as its template shows it again.

    Attributes:
        values: What the user typed, by field name (every value, for multiple selects and checkboxes).
        errors: The problems of each field, by field name.
        summary: Every problem in order, as (field or None, message), for the summary at the top.
        files: File fields that carried a file: the browser cannot fill them in again.
    """

    values: Mapping[str, Sequence[str]]
    errors: Mapping[str, Sequence[str]]
    summary: Sequence[tuple[str | None, str]]
    files: frozenset[str]


@dataclass
class FormState:
    """A refused submission, handed to the page shown again (``request.state.form``).

    Attributes:
        action: The path the refused form posted to; only the form with this action is filled in.
        form: The values, problems and summary its template shows.
        claimed: Set when a template rendered the form (:meth:`bind`); unclaimed, the handler
            falls back to a flashed message.
    """

    action: str
    form: BoundForm
    claimed: bool = False

    def bind(self, action: str) -> BoundForm | None:
        """The refused form if ``action`` is the one that was posted (the macros call this)."""
        if action != self.action:
            return None
        self.claimed = True
        return self.form


def form_page(default: str, *, aliases: Mapping[str, str] | None = None) -> Any:
    """Declare, as a route dependency, the page a refused form is shown again on.

    Args:
        default: The page's path; it may name the route's path parameters
            (``/engagements/{engagement_id}``). A form may send its own ``back`` field instead
            (only a same-site path is used), for forms shown on more than one page.
        aliases: Service field names mapped to the form's (``{"expires_at": "expires_on"}``);
            ``"*"`` maps every other field name.

    Returns:
        The dependency (``dependencies=[form_page(...)]``).
    """

    async def declare(request: Request) -> None:
        declared = Declared(page="/", aliases=dict(aliases or {}))
        back = None
        if request.headers.get("content-type", "").startswith(FORM_TYPES):
            for name, value in (await request.form()).multi_items():
                if isinstance(value, UploadFile):
                    if value.filename:
                        declared.files.add(name)
                elif name == BACK_FIELD:
                    back = safe_path(value)
                elif not is_secret(name):
                    declared.values.setdefault(name, []).append(value)
        declared.page = back or safe_path(default.format(**request.path_params)) or "/"
        setattr(request.state, BACK_STATE, declared.page)
        setattr(request.state, _DECLARED, declared)

    return Depends(declare)


def keep(request: Request, **values: str) -> None:
    """Keep values the route worked out itself (the text of an uploaded policy file, say).

    Does nothing on a route that declared no :func:`form_page`.
    """
    declared = declared_page(request)
    if declared is not None:
        for name, value in values.items():
            if not is_secret(name):
                declared.values[name] = [value]


def declared_page(request: Request) -> Declared | None:
    """What the route declared with :func:`form_page`, if it did."""
    declared = getattr(request.state, _DECLARED, None)
    return declared if isinstance(declared, Declared) else None


def refused(request: Request, declared: Declared, problems: Sequence[FieldProblem], message: str) -> FormState:
    """The state of a refused submission: problems under the form's names, a summary, the values."""
    errors: dict[str, list[str]] = {}
    summary: list[tuple[str | None, str]] = []
    for problem in problems:
        name = declared.aliases.get(problem.field, declared.aliases.get("*", problem.field))
        errors.setdefault(name, []).append(problem.message)
        summary.append((name, problem.message))
    if not summary:
        summary.append((None, message))
    bound = BoundForm(values=declared.values, errors=errors, summary=summary, files=frozenset(declared.files))
    return FormState(action=request.url.path, form=bound)


_MESSAGES = {
    "missing": "{name} is required",
    "uuid_parsing": "choose a {name} from the list",
    "uuid_type": "choose a {name} from the list",
    "int_parsing": "{name} must be a whole number",
    "int_type": "{name} must be a whole number",
    "float_parsing": "{name} must be a number",
    "bool_parsing": "{name} must be yes or no",
    "enum": "choose a {name} from the list",
}


def human_message(field_name: str, error: Mapping[str, Any]) -> str:
    """A sentence for one of FastAPI's request-validation errors on a web form."""
    name = field_name.replace("_", " ")
    template = _MESSAGES.get(str(error.get("type", "")))
    if template is not None:
        return template.format(name=name)
    return f"{name}: {str(error.get('msg', 'invalid value')).lower()}"


class _Collected:
    """An ASGI ``send`` that keeps the response in memory."""

    def __init__(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.headers = [(bytes(k), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def show_again(request: Request, declared: Declared, state: FormState, status: int) -> Response | None:
    """The declared page rendered again with ``state``, or ``None`` if it cannot be.

    The page is requested from the app's router inside this request (below the middleware, so the
    session and the security headers stay the outer request's), as the same person with the same
    cookies; it opens its own unit of work. Nothing of the refused form's route goes with it.
    """
    path, _, query = declared.page.partition("#")[0].partition("?")
    outer = request.scope
    inner_state = {k: v for k, v in outer.get("state", {}).items() if k not in {BACK_STATE, _DECLARED}}
    inner_state[FORM_STATE] = state
    scope = {k: v for k, v in outer.items() if k not in _ROUTE_SCOPE_KEYS}
    scope.update(
        method="GET",
        path=outer.get("root_path", "") + path,
        raw_path=path.encode(),
        query_string=query.encode(),
        state=inner_state,
        headers=[(k, v) for k, v in outer["headers"] if k.lower() not in _DROPPED_HEADERS],
    )
    sent = _Collected()
    async with AsyncExitStack() as stack:
        scope["fastapi_middleware_astack"] = stack
        await request.app.router(scope, _no_body, sent)
    if sent.status != 200 or not state.claimed:
        log.info("form page %s not shown again (status %s, form rendered: %s)", path, sent.status, state.claimed)
        return None
    response = Response(content=bytes(sent.body), status_code=status)
    response.raw_headers.extend((k, v) for k, v in sent.headers if k.lower() != b"content-length")
    return response
