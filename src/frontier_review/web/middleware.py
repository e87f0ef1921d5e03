"""Pure ASGI middleware: security headers, the request-body size limit and the request id."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontier_review.telemetry.context import (
    REQUEST_ID_HEADER,
    accept_request_id,
    bind_request_id,
    current_request_id,
)
from frontier_review.web.problems import instance_of

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Swagger UI sets inline styles; no inline scripts are allowed anywhere.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]


class SecurityHeadersMiddleware:
    """Adds security headers to every HTTP response (and HSTS when cookies are Secure)."""

    def __init__(self, app: ASGIApp, *, hsts: bool) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                existing = {name.lower() for name, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [h for h in self.headers if h[0] not in existing]
                if b"cache-control" not in existing:
                    message["headers"].append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _BodyTooLarge(Exception):
    pass


def _problem_413(limit: int, path: str) -> tuple[dict[str, Any], bytes]:
    # The same shape as web.problems.problem() (the OpenAPI document's Problem schema).
    body = json.dumps(
        {
            "type": "urn:frontier-review:problem:body_too_large",
            "title": "Request body too large",
            "status": 413,
            "detail": f"the request body exceeds the limit of {limit} bytes",
            **({"request_id": request_id} if (request_id := current_request_id()) else {}),
            "instance": instance_of(path),
        }
    ).encode()
    start = {
        "type": "http.response.start",
        "status": 413,
        "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
    }
    return start, body


UPLOAD_SUFFIXES = ("/artifacts", "/evidence", "/findings/new")  # the filing form carries evidence files
MULTIPART_SLACK = 64 * 1024


class BodySizeLimitMiddleware:
    """Refuses bodies over ``limit`` bytes with 413, whether declared or streamed."""

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int | None = None) -> None:
        self.app = app
        self.default_limit = limit
        self.upload_limit = upload_limit or limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # File uploads (artifacts, evidence) have their own, larger limit; the services enforce
        # the exact file size, this bounds the multipart body around it.
        upload = scope["method"] == "POST" and scope["path"].endswith(UPLOAD_SUFFIXES)
        limit = self.upload_limit + MULTIPART_SLACK if upload else self.default_limit
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await self._refuse(send, limit, scope["path"])
                    return
        received = 0
        exceeded = False
        refused = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            # Frameworks may turn the receive error into their own 400; answer 413 instead.
            nonlocal refused, started
            if exceeded:
                if not refused and not started:
                    refused = True
                    await self._refuse(send, limit, scope["path"])
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        with contextlib.suppress(_BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if exceeded and not refused and not started:
            await self._refuse(send, limit, scope["path"])

    async def _refuse(self, send: Send, limit: int, path: str) -> None:
        start, body = _problem_413(limit, path)
        await send(start)
        await send({"type": "http.response.body", "body": body})


class RequestIdMiddleware:
    """Gives each request an id: a sane incoming ``X-Request-ID`` (from a proxy), or a new one.

    The id is echoed as ``X-Request-ID``, recorded in audit entries (``details.request``), written
    on every log line of the request and named in problem documents (``request_id``), so one id
    ties a user's error report to the logs and the audit log.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((value for name, value in scope.get("headers", []) if name == REQUEST_ID_HEADER), None)
        request_id = accept_request_id(incoming)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
                message["headers"] = [*headers, (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        # Not reset on the way out: Starlette's handler of unexpected errors runs outside every
        # middleware and must still name the id (its log line, its problem document). Each request
        # runs in a task of its own, whose context ends with it.
        bind_request_id(request_id)
        await self.app(scope, receive, send_with_id)
