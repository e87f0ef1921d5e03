"""Subscription tables: subscriptions, their deliveries (one per subscription and notice) and each attempt.

A delivery row is written in the transaction that disseminates the report (the outbox), so a
webhook exists only if its cause committed; its unique (subscription, report) pair is what makes
a notice reach a subscription once however often the fan-out runs. The webhook secret is sealed.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class Subscription(Base):
    """What an organization subscribes to and how it is told."""

    __tablename__ = "clearinghouse_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    sectors: Mapped[list[str]] = mapped_column(JSON)
    products: Mapped[list[str]] = mapped_column(JSON)
    min_score: Mapped[float] = mapped_column(Float)
    channels: Mapped[list[str]] = mapped_column(JSON)
    webhook_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    secret_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SubscriptionDelivery(Base):
    """One notice to one subscription: its in-app and email notices, and its webhook's state."""

    __tablename__ = "clearinghouse_subscription_deliveries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clearinghouse_subscriptions.id", ondelete="CASCADE"), index=True
    )
    report_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)  # None for a test delivery
    kind: Mapped[str] = mapped_column(String(16))  # notice | test
    state: Mapped[str] = mapped_column(String(16))  # DeliveryState
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # the webhook body, None without webhook
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    people_notified: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (
        UniqueConstraint("subscription_id", "report_id", name="uq_clearinghouse_subscription_deliveries_subscription_report"),
        Index("ix_clearinghouse_subscription_deliveries_state_next", "state", "next_attempt_at"),
    )


class DeliveryAttempt(Base):
    """One attempt to POST a webhook: when, what came back, how long it took, what happens next."""

    __tablename__ = "clearinghouse_delivery_attempts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    delivery_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clearinghouse_subscription_deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | retry | failed | gave_up
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
