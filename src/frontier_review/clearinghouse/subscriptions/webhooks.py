"""Webhooks (pure): the body, its signature, what an answer means, and when to try again.

The format is documented for receivers in ``docs/clearinghouse-subscriptions.md``:

* The body is JSON (UTF-8), sent with ``POST`` and ``Content-Type: application/json``.
* ``Frontier-Review-Signature: t=<unix seconds>,v1=<hex>``, where ``<hex>`` is
  HMAC-SHA256, keyed with the subscription's secret (its UTF-8 bytes), over
  ``f"{t}.{body}"`` — the timestamp, a full stop and the raw body bytes.
* ``Frontier-Review-Delivery: <uuid>`` is the same on every retry of one delivery: receivers
  deduplicate on it (delivery is at least once).
* Receivers should refuse a timestamp more than :data:`REPLAY_WINDOW_SECONDS` from their clock.

Retries: network errors, timeouts, 5xx and 429 are retried on :data:`BACKOFF_SECONDS` with
bounded jitter; any other answer outside 2xx (a redirect, 400, 404, 410 …) ends the delivery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from frontier_review.clearinghouse.subscriptions.domain import ReportNotice

__all__ = [
    "BACKOFF_SECONDS",
    "DELIVERY_HEADER",
    "JITTER_FRACTION",
    "MAX_ATTEMPTS",
    "REPLAY_WINDOW_SECONDS",
    "SIGNATURE_HEADER",
    "DeliveryState",
    "Verdict",
    "body_bytes",
    "next_delay",
    "notice_payload",
    "ping_payload",
    "sign",
    "signature_header",
    "verdict",
    "verify",
]

SIGNATURE_HEADER = "Frontier-Review-Signature"
DELIVERY_HEADER = "Frontier-Review-Delivery"
REPLAY_WINDOW_SECONDS = 300
"""How far from its own clock a receiver should accept a signature's timestamp (five minutes)."""

BACKOFF_SECONDS: tuple[int, ...] = (30, 120, 480, 1920, 7200)
"""The wait before each retry: 30 s, 2 min, 8 min, 32 min, 2 h (before jitter)."""

MAX_ATTEMPTS = len(BACKOFF_SECONDS) + 1
"""The first attempt and one retry per step of the schedule; then the delivery gives up."""

JITTER_FRACTION = 0.1
"""Each wait is moved by at most this fraction either way, so that many deliveries that failed
together (a receiver's outage) do not all come back at the same second."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1`` signature: hex HMAC-SHA256 over ``f"{timestamp}.{body}"`` keyed with ``secret``."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Frontier-Review-Signature`` header value: ``t=<unix>,v1=<hex>``."""
    return f"t={timestamp},v1={sign(secret, timestamp, body)}"


def verify(header: str, body: bytes, secret: str, *, now: int, tolerance: int = REPLAY_WINDOW_SECONDS) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of ``now``.

    The receiver's side, for the demo's receiver and for anyone who prefers Python to the snippet
    in the docs. Compares in constant time; several ``v1`` values (a rotation) may be present.
    """
    fields: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields.get("t", [""])[0])
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))


def next_delay(attempts: int, *, jitter: float) -> timedelta | None:
    """How long to wait after ``attempts`` failed attempts, or None to give up.

    Args:
        attempts: attempts made so far (1 after the first).
        jitter: a number in [0, 1) from the caller's random source (0.5 is no jitter).

    Returns:
        ``BACKOFF_SECONDS[attempts - 1]`` moved by at most ``JITTER_FRACTION`` either way, or
        None once ``MAX_ATTEMPTS`` attempts were made.
    """
    if attempts < 1:
        raise ValueError("attempts counts the attempts made, from 1")
    if attempts >= MAX_ATTEMPTS:
        return None
    if not 0.0 <= jitter < 1.0:
        raise ValueError("jitter is in [0, 1)")
    base = BACKOFF_SECONDS[attempts - 1]
    return timedelta(seconds=base * (1 + JITTER_FRACTION * (2 * jitter - 1)))


class Verdict(StrEnum):
    """What one attempt's outcome means for the delivery."""

    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"  # the receiver refused it for good (4xx other than 429, a redirect)


def verdict(status_code: int | None) -> Verdict:
    """Delivered on 2xx; retried on no answer (network error, timeout), 5xx and 429; failed otherwise.

    Redirects are not followed: a receiver's address is checked against the address policy, and a
    redirect could point anywhere.
    """
    if status_code is None or status_code >= 500 or status_code == 429:
        return Verdict.RETRY
    if 200 <= status_code < 300:
        return Verdict.DELIVERED
    return Verdict.FAILED


def notice_payload(
    notice: ReportNotice, *, delivery_id: uuid.UUID, subscription_id: uuid.UUID, created_at: datetime, site: str
) -> dict[str, Any]:
    """The webhook body of a report notice (stored with the delivery, sent as is on every retry)."""
    return {
        "type": "clearinghouse.report.disseminated",
        "delivery_id": str(delivery_id),
        "subscription_id": str(subscription_id),
        "created_at": created_at.isoformat(),
        "report": {
            "id": str(notice.report_id),
            "title": notice.title,
            "tlp": notice.label,
            "validated": notice.validated,
            "priority": {"score": notice.priority_score, "band": notice.priority_band.value},
            "sectors": sorted(s.value for s in notice.sectors),
            "purls": list(notice.purls),
            "cpes": list(notice.cpes),
            "url": f"{site.rstrip('/')}{notice.url_path}",
        },
    }


def ping_payload(*, delivery_id: uuid.UUID, subscription_id: uuid.UUID, created_at: datetime) -> dict[str, Any]:
    """The body of a test delivery: no report, so that a test never carries anything confidential."""
    return {
        "type": "clearinghouse.subscription.test",
        "delivery_id": str(delivery_id),
        "subscription_id": str(subscription_id),
        "created_at": created_at.isoformat(),
    }


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed (compact, keys sorted, UTF-8)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


@dataclass(frozen=True)
class Attempt:
    """One attempt's outcome, as the sender saw it."""

    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryState(StrEnum):
    """Where a delivery stands."""

    NOTIFIED = "notified"  # no webhook: the in-app and email notices were written, nothing to send
    PENDING = "pending"  # a webhook waits for its next attempt
    SENDING = "sending"  # claimed by a worker
    DELIVERED = "delivered"
    FAILED = "failed"  # refused by the receiver or by the address policy: not retried
    GAVE_UP = "gave_up"  # every attempt of the schedule failed

    @property
    def final(self) -> bool:
        return self not in {DeliveryState.PENDING, DeliveryState.SENDING}
