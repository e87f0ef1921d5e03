"""Sending webhooks: one attempt per job, the log of each, and the sweeper that finds what is due.

An attempt claims its delivery in one short transaction (so a scheduled retry and the sweeper
never both send it), posts outside any transaction, then records the outcome in another: the
attempt's row in the log, and the delivery delivered, failed, given up or due again after the
backoff (:func:`.webhooks.next_delay`). Delivery is at least once: a worker that dies between
posting and recording leaves a claim the sweeper releases after :data:`STALE_CLAIM`, and the
receiver deduplicates on ``Frontier-Review-Delivery``.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.subscriptions import sender, webhooks
from frontier_review.clearinghouse.subscriptions.orm import DeliveryAttempt, Subscription, SubscriptionDelivery
from frontier_review.clearinghouse.subscriptions.service import SYSTEM, check_webhook_url, open_secret
from frontier_review.clearinghouse.subscriptions.tags import SubscriptionTag
from frontier_review.clearinghouse.subscriptions.webhooks import Attempt, DeliveryState, Verdict
from frontier_review.db.uow import UnitOfWork, UnitOfWorkFactory
from frontier_review.kernel.clock import utc
from frontier_review.kernel.errors import ValidationFailed
from frontier_review.kernel.ids import new_id

__all__ = ["STALE_CLAIM", "TIMEOUT_SECONDS", "Outcome", "attempt", "due"]

TIMEOUT_SECONDS = 10.0
"""How long a receiver has to connect and answer: a webhook receiver should queue and answer at once."""

STALE_CLAIM = timedelta(minutes=10)
_random = random.SystemRandom()


@dataclass(frozen=True)
class Outcome:
    """What one job did: the delivery's state afterwards, and when to try again (if at all)."""

    state: str
    retry_in: timedelta | None = None


@dataclass(frozen=True)
class _Claimed:
    url: str
    body: bytes
    secret: str
    number: int


def _claim(uow: UnitOfWork, delivery_id: uuid.UUID) -> _Claimed | None:
    now = uow.clock.now()
    claimed = uow.session.execute(
        update(SubscriptionDelivery)
        .where(
            SubscriptionDelivery.id == delivery_id,
            SubscriptionDelivery.state == DeliveryState.PENDING.value,
            SubscriptionDelivery.next_attempt_at <= now,
        )
        .values(state=DeliveryState.SENDING.value, claimed_at=now, attempts=SubscriptionDelivery.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return None
    delivery = uow.session.get(SubscriptionDelivery, delivery_id, populate_existing=True)
    assert delivery is not None
    sub = uow.session.get(Subscription, delivery.subscription_id)
    secret = open_secret(uow, sub) if sub is not None else None
    if sub is None or sub.webhook_url is None or secret is None or delivery.payload is None:
        delivery.state = DeliveryState.FAILED.value
        delivery.last_error = "the subscription no longer has a webhook"
        delivery.finished_at = now
        return None
    return _Claimed(sub.webhook_url, webhooks.body_bytes(delivery.payload), secret, delivery.attempts)


def _send(uow_factory: UnitOfWorkFactory, claimed: _Claimed, delivery_id: uuid.UUID, now: datetime) -> tuple[Attempt, bool]:
    allow_private = uow_factory.settings.webhook_allow_private_targets
    with uow_factory() as uow:
        try:
            check_webhook_url(uow, claimed.url)
        except ValidationFailed as exc:
            return Attempt(None, 0, f"refused by the address policy: {exc.message}"[:280]), True
    timestamp = int(now.timestamp())
    headers = {
        webhooks.SIGNATURE_HEADER: webhooks.signature_header(claimed.secret, timestamp, claimed.body),
        webhooks.DELIVERY_HEADER: str(delivery_id),
    }
    return sender.post(claimed.url, claimed.body, headers, allow_private=allow_private, timeout=TIMEOUT_SECONDS)


def attempt(uow_factory: UnitOfWorkFactory, delivery_id: uuid.UUID) -> Outcome:
    """Make the delivery's next attempt if it is due and nobody else is making it.

    Returns:
        The delivery's state afterwards and, when it is to be retried, after how long.
    """
    with uow_factory() as uow:
        claimed = _claim(uow, delivery_id)
        started = uow.clock.now()
    if claimed is None:
        return Outcome("not-claimed")
    result, refused = _send(uow_factory, claimed, delivery_id, started)
    with uow_factory() as uow:
        return _record(uow, delivery_id, claimed.number, started, result, refused=refused)


def _record(
    uow: UnitOfWork, delivery_id: uuid.UUID, number: int, started: datetime, result: Attempt, *, refused: bool
) -> Outcome:
    delivery = uow.session.get(SubscriptionDelivery, delivery_id)
    if delivery is None:
        return Outcome("deleted")  # the subscription was deleted while its webhook was in flight
    now = uow.clock.now()
    verdict = Verdict.FAILED if refused else webhooks.verdict(result.status_code)
    delay = webhooks.next_delay(number, jitter=_random.random()) if verdict is Verdict.RETRY else None
    if verdict is Verdict.DELIVERED:
        state, outcome = DeliveryState.DELIVERED, "delivered"
    elif verdict is Verdict.FAILED:
        state, outcome = DeliveryState.FAILED, "failed"
    elif delay is None:
        state, outcome = DeliveryState.GAVE_UP, "gave_up"
    else:
        state, outcome = DeliveryState.PENDING, "retry"
    next_at = now + delay if delay is not None and state is DeliveryState.PENDING else None
    uow.session.add(
        DeliveryAttempt(
            id=new_id(),
            delivery_id=delivery.id,
            number=number,
            started_at=started,
            status_code=result.status_code,
            latency_ms=result.latency_ms,
            error=result.error,
            outcome=outcome,
            next_attempt_at=next_at,
        )
    )
    delivery.state = state.value
    delivery.claimed_at = None
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    delivery.next_attempt_at = next_at
    delivery.finished_at = now if state.final else None
    if state.final:
        audit.record(
            uow,
            SYSTEM,
            SubscriptionTag.WEBHOOK_DELIVERED if state is DeliveryState.DELIVERED else SubscriptionTag.WEBHOOK_FAILED,
            target_type="subscription",
            target_id=delivery.subscription_id,
            details={
                "delivery": str(delivery.id),
                "report": str(delivery.report_id) if delivery.report_id else None,
                "kind": delivery.kind,
                "state": state.value,
                "attempts": number,
                "status_code": result.status_code,
            },
        )
    return Outcome(state.value, next_at - now if next_at is not None else None)


def due(uow_factory: UnitOfWorkFactory, *, limit: int = 500) -> list[uuid.UUID]:
    """Deliveries due now (and claims abandoned by a dead worker, released first), oldest first."""
    with uow_factory() as uow:
        now = uow.clock.now()
        stale = list(
            uow.session.scalars(
                select(SubscriptionDelivery).where(
                    SubscriptionDelivery.state == DeliveryState.SENDING.value,
                    SubscriptionDelivery.claimed_at < now - STALE_CLAIM,
                )
            )
        )
        for row in stale:
            row.state = DeliveryState.PENDING.value
            row.claimed_at = None
            row.next_attempt_at = now
            row.last_error = "the worker sending it stopped; sent again"
        uow.session.flush()
        ids = uow.session.scalars(
            select(SubscriptionDelivery.id)
            .where(SubscriptionDelivery.state == DeliveryState.PENDING.value, SubscriptionDelivery.next_attempt_at <= now)
            .order_by(SubscriptionDelivery.next_attempt_at, SubscriptionDelivery.id)
            .limit(limit)
        )
        return list(ids)


def next_due(uow: UnitOfWork) -> datetime | None:
    """When the next pending delivery is due (for the status page)."""
    found = uow.session.scalar(
        select(SubscriptionDelivery.next_attempt_at)
        .where(SubscriptionDelivery.state == DeliveryState.PENDING.value)
        .order_by(SubscriptionDelivery.next_attempt_at)
        .limit(1)
    )
    return utc(found) if found is not None else None
