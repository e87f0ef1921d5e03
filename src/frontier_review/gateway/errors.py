"""OpenAI-style error bodies: what the ``openai`` SDK expects and shows to its user."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayError(Exception):
    """A refusal in OpenAI's error format; ``outcome`` is what the access log records.

    ``retry_after`` (seconds) becomes a ``retry-after`` header on 429s; ``log_detail`` is kept in
    the access log only (an upstream's own error text), never sent to the client.
    """

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None
    retry_after: int | None = None
    log_detail: str | None = None
    retry_after_ms: int | None = None  # finer than ``retry_after``; the OpenAI SDK reads it first

    @property
    def outcome(self) -> str:
        return self.code or self.type

    def body(self, request_id: str | None = None) -> bytes:
        message = f"{self.message} (request id {request_id})" if request_id else self.message
        return json.dumps({"error": {"message": message, "type": self.type, "param": self.param, "code": self.code}}).encode()


def unauthenticated(message: str = "a valid engagement gateway token (frg_…) is required") -> GatewayError:
    """401: no gateway token, or one the gateway does not know."""
    return GatewayError(401, message, "invalid_request_error", "invalid_api_key")


def forbidden(message: str, code: str) -> GatewayError:
    """403: the caller is known but not admitted; ``code`` is the refusal's stable code."""
    return GatewayError(403, message, "permission_denied", code)


def bad_request(message: str, param: str | None = None) -> GatewayError:
    """400: the request itself is wrong; ``param`` names the offending field when there is one."""
    return GatewayError(400, message, "invalid_request_error", "invalid_request", param)


def quota(message: str, code: str, *, retry_after: int | None = None) -> GatewayError:
    """429: a quota is spent; ``retry_after`` (seconds) becomes the ``Retry-After`` header."""
    return GatewayError(429, message, "rate_limit_error", code, retry_after=retry_after)


def overloaded(retry_after_ms: int) -> GatewayError:
    """503: this gateway process is past saturation and sheds new calls (``gateway.overload``)."""
    return GatewayError(
        503,
        "the gateway is busy; try again shortly",
        "service_unavailable",
        "overloaded",
        retry_after=max(1, -(-retry_after_ms // 1000)),
        retry_after_ms=retry_after_ms,
    )


def upstream_failed(message: str, status: int = 502) -> GatewayError:
    """5xx: the upstream could not be reached or did not answer usably."""
    return GatewayError(status, message, "upstream_error", "upstream_error")


def upstream_refused(status: int, detail: str, retry_after: int | None = None) -> GatewayError:
    """The upstream answered with an error: the client gets a generic message.

    The request id is added when the body is written; the upstream's own text stays in the
    access log (item 12).
    """
    if status == 429:
        return GatewayError(
            429,
            "the model's server is busy; try again shortly",
            "rate_limit_error",
            "upstream_busy",
            retry_after=retry_after or 1,
            log_detail=detail,
        )
    return GatewayError(502, "the model's server failed to answer", "upstream_error", "upstream_error", log_detail=detail)
