"""The gateway's plain-ASGI plumbing: reading a request, writing a JSON answer, quieting uvicorn.

No framework routing on the hot path: these few helpers are all the HTTP the gateway needs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from frontier_review.gateway import errors, validation

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PREFIX = "/gateway/v1"
JSON_HEADERS = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]


def bearer(scope: Scope) -> str | None:
    """The bearer token of the ``Authorization`` header (None without one, or with another scheme)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


async def read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, refused with 413 once it exceeds ``limit`` bytes (before reading more).

    Raises:
        GatewayError: 400 when the client goes away, 413 when the body is too large.
    """
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise errors.bad_request("the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise errors.GatewayError(
                413, f"the request is larger than {limit} bytes", "invalid_request_error", "request_too_large"
            )
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def parse(body: bytes, path: str) -> validation.Checked:
    """The request, validated by the gateway itself (item 12).

    The upstream never sees a request it would reject with a text of its own.
    """
    try:
        request = json.loads(body)
    except ValueError:
        raise errors.bad_request("the request body is not valid JSON") from None
    try:
        return validation.check(request, path)
    except validation.InvalidRequest as exc:
        raise errors.bad_request(exc.message, exc.param) from None


async def send_json(send: Send, status: int, payload: Any, request_id: str) -> None:
    """Answer with ``payload`` as JSON, carrying the request id in ``X-Request-Id``."""
    await send_body(send, status, json.dumps(payload).encode(), [(b"x-request-id", request_id.encode())])


async def send_body(send: Send, status: int, body: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer with a complete JSON body of known length (never cached), plus ``extra`` headers."""
    # With its length known the answer is not chunked: no terminating chunk to write after it.
    headers = [*JSON_HEADERS, (b"content-length", str(len(body)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _SkipGatewayAccessLines(logging.Filter):
    """The gateway keeps its own durable access log; uvicorn's line per call would only cost CPU."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (isinstance(args, tuple) and len(args) > 2 and str(args[2]).startswith(PREFIX + "/"))


_SKIP_ACCESS_LINES = _SkipGatewayAccessLines()


def quiet_uvicorn_access_log() -> None:
    """Drop uvicorn's access-log lines for gateway calls (idempotent)."""
    access = logging.getLogger("uvicorn.access")
    if _SKIP_ACCESS_LINES not in access.filters:
        access.addFilter(_SKIP_ACCESS_LINES)
