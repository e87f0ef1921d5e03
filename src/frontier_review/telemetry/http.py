"""The web application's requests: counted by route template and status, and logged."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontier_review.telemetry.context import current_request_id
from frontier_review.telemetry.logs import ACCESS_LOGGER
from frontier_review.telemetry.metrics import METHODS, Metrics

__all__ = ["HttpTelemetryMiddleware", "route_template"]

access_log = logging.getLogger(ACCESS_LOGGER)

UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    """The template of the route that served the request (``/api/v1/engagements/{engagement_id}``).

    Never the raw path: ids (and the tokens some paths carry) must not become label values or
    log fields. A request no route matched is ``unmatched``; a file under a mount is
    ``<mount>/{path}``.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None)
    if not isinstance(template, str) or not template.startswith("/") or ":path}" in template:
        mount = scope.get("root_path")
        if route is None and isinstance(mount, str) and mount.startswith("/") and "endpoint" in scope:
            return mount + "/{path}"
        return UNMATCHED
    # An included router's route knows its own template, not the prefixes it was included under
    # (``/api/v1``): those are static text here, so they are the path's leading segments that the
    # template does not cover.
    parts = str(scope.get("path", "")).split("/")
    prefix = "/".join(parts[: max(len(parts) - template.count("/"), 1)])
    return prefix + template


class HttpTelemetryMiddleware:
    """Counts, times and logs each HTTP request of the web application (not the gateway's calls)."""

    def __init__(self, app: ASGIApp, *, metrics: Callable[[], Metrics]) -> None:
        self.app = app
        self.metrics = metrics  # read per request: the app's container (and its registry) can change

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers if the app raises before starting a response

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            seconds = time.perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else "other"
            route = route_template(scope)
            self.metrics().http_request(method, route, status, seconds)
            access_log.info(
                "%s %s %d",
                method,
                route,
                status,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "request_id": current_request_id() or "-",
                },
            )
