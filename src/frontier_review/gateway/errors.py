"""OpenAI-style error bodies: what the ``openai`` SDK expects and shows to its user."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class GatewayError(Exception):
    """A refusal in OpenAI's error format; ``outcome`` is what the access log records."""

    status: int
    message: str
    type: str = "invalid_request_error"
    code: str | None = None
    param: str | None = None

    @property
    def outcome(self) -> str:
        return self.code or self.type

    def body(self) -> bytes:
        return json.dumps(
            {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}
        ).encode()


def unauthenticated(message: str = "a valid engagement gateway token (frg_…) is required") -> GatewayError:
    return GatewayError(401, message, "invalid_request_error", "invalid_api_key")


def forbidden(message: str, code: str) -> GatewayError:
    return GatewayError(403, message, "permission_denied", code)


def bad_request(message: str, param: str | None = None) -> GatewayError:
    return GatewayError(400, message, "invalid_request_error", "invalid_request", param)


def quota(message: str, code: str) -> GatewayError:
    return GatewayError(429, message, "rate_limit_error", code)


def upstream_failed(message: str, status: int = 502) -> GatewayError:
    return GatewayError(status, message, "upstream_error", "upstream_error")
