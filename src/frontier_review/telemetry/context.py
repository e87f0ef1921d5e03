"""The request id: accepted from a sane ``X-Request-ID`` or generated, and known to every log line.

It lives in a context variable so that code far from the request (a service's log line, the
problem document written by the error handler) can name it without being handed the request.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar, Token

__all__ = ["REQUEST_ID_HEADER", "accept_request_id", "bind_request_id", "current_request_id"]

REQUEST_ID_HEADER = b"x-request-id"

# What a proxy or a client may hand us: short, printable, no spaces or quotes. Anything else
# (a 2 KB header, a newline, a JSON fragment) is replaced, never echoed into logs or audit entries.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,63}")

_request_id: ContextVar[str | None] = ContextVar("frontier_review_request_id", default=None)


def accept_request_id(incoming: bytes | None) -> str:
    """The incoming id if it is sane, else a fresh one (32 hex digits)."""
    if incoming:
        try:
            text = incoming.decode("ascii")
        except UnicodeDecodeError:
            text = ""
        if _SANE.fullmatch(text):
            return text
    return uuid.uuid4().hex


def bind_request_id(request_id: str) -> Token[str | None]:
    """Make ``request_id`` the current one in this context (the request's task)."""
    return _request_id.set(request_id)


def current_request_id() -> str | None:
    """The id of the request being served, or ``None`` outside one (jobs, the CLI)."""
    return _request_id.get()
