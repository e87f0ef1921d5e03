"""What subscription reads return: frozen views, never rows (and never a secret, except once)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlparse

from frontier_review.clearinghouse.subscriptions.domain import Channel, Criteria
from frontier_review.clearinghouse.subscriptions.orm import DeliveryAttempt, Subscription, SubscriptionDelivery
from frontier_review.clearinghouse.subscriptions.policy import SubscriptionRef
from frontier_review.clearinghouse.subscriptions.webhooks import DeliveryState
from frontier_review.identity.domain import Sector

__all__ = [
    "AttemptView",
    "CreatedSubscription",
    "DeliveryView",
    "SubscriberStatus",
    "SubscriptionView",
    "attempt_view",
    "criteria_of",
    "delivery_view",
    "ref_of",
    "subscription_view",
]


@dataclass(frozen=True)
class SubscriptionView:
    """A subscription as its organization sees it (no secret: that is shown once, at creation and rotation)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    name: str
    sectors: tuple[Sector, ...]
    products: tuple[str, ...]
    min_score: float
    channels: tuple[Channel, ...]
    webhook_url: str | None
    has_secret: bool
    active: bool
    created_by: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CreatedSubscription:
    """A subscription just created, changed or rotated, with its new webhook secret (shown this once)."""

    subscription: SubscriptionView
    secret: str | None


@dataclass(frozen=True)
class AttemptView:
    """One webhook attempt in the delivery log."""

    number: int
    started_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None
    outcome: str
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class DeliveryView:
    """One notice to one subscription: its state and attempts (the report by id only, never its title)."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    report_id: uuid.UUID | None
    kind: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    people_notified: int
    created_at: datetime
    finished_at: datetime | None
    log: tuple[AttemptView, ...]


@dataclass(frozen=True)
class SubscriberStatus:
    """A row of the clearinghouse's delivery-status table: one subscription and how its deliveries went."""

    subscription_id: uuid.UUID
    organization_name: str
    name: str
    channels: tuple[Channel, ...]
    webhook_host: str | None
    active: bool
    delivered: int
    pending: int
    failed: int
    last_state: DeliveryState | None
    last_at: datetime | None


def ref_of(row: Subscription) -> SubscriptionRef:
    """The subscription as an authorization resource."""
    return SubscriptionRef(row.id, row.organization_id)


def criteria_of(row: Subscription) -> Criteria:
    """The stored criteria, as the matcher reads them."""
    return Criteria(
        name=row.name,
        sectors=frozenset(Sector(s) for s in row.sectors),
        products=tuple(row.products),
        min_score=row.min_score,
        channels=frozenset(Channel(c) for c in row.channels),
        webhook_url=row.webhook_url,
    )


def subscription_view(row: Subscription, organization_name: str) -> SubscriptionView:
    """The subscription as its organization sees it."""
    return SubscriptionView(
        id=row.id,
        organization_id=row.organization_id,
        organization_name=organization_name,
        name=row.name,
        sectors=tuple(sorted((Sector(s) for s in row.sectors), key=lambda s: s.value)),
        products=tuple(row.products),
        min_score=row.min_score,
        channels=tuple(c for c in Channel if c.value in row.channels),
        webhook_url=row.webhook_url,
        has_secret=row.secret_sealed is not None,
        active=row.active,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def attempt_view(row: DeliveryAttempt) -> AttemptView:
    """One attempt of the log."""
    return AttemptView(row.number, row.started_at, row.status_code, row.latency_ms, row.error, row.outcome, row.next_attempt_at)


def delivery_view(row: SubscriptionDelivery, attempts: list[DeliveryAttempt]) -> DeliveryView:
    """One delivery with its attempts, first to last."""
    return DeliveryView(
        id=row.id,
        subscription_id=row.subscription_id,
        report_id=row.report_id,
        kind=row.kind,
        state=DeliveryState(row.state),
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_status_code=row.last_status_code,
        last_error=row.last_error,
        people_notified=row.people_notified,
        created_at=row.created_at,
        finished_at=row.finished_at,
        log=tuple(attempt_view(a) for a in sorted(attempts, key=lambda a: a.number)),
    )


def webhook_host(url: str | None) -> str | None:
    """The host of a webhook URL, for the clearinghouse's table (the path may carry a receiver's token)."""
    return urlparse(url).hostname if url else None
