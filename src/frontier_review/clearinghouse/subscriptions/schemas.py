"""API models for subscriptions and their delivery log (the secret appears only in ``SecretOut``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from frontier_review.clearinghouse.subscriptions.views import AttemptView, CreatedSubscription, DeliveryView, SubscriptionView


class SubscriptionIn(BaseModel):
    """What to be told about, and how."""

    model_config = ConfigDict(extra="forbid")

    name: StrictStr = Field(max_length=120, description="What your organization calls this subscription (1 to 120 characters).")
    sectors: list[StrictStr] = Field(
        default_factory=list, max_length=16, description="CISA sectors, e.g. `financial_services`, `energy`."
    )
    products: list[StrictStr] = Field(
        default_factory=list,
        max_length=50,
        description=(
            "Product prefixes: package URLs (`pkg:pypi/django`, `pkg:maven/org.apache`) or CPE 2.3 prefixes "
            "(`cpe:2.3:a:djangoproject:django`); they match at component boundaries."
        ),
    )
    min_priority: StrictStr | float | None = Field(
        default=None, description="The lowest remediation priority notified: a score 0–100 or a band (`low` … `critical`)."
    )
    channels: list[StrictStr] = Field(
        default_factory=lambda: ["in_app"], max_length=3, description="`in_app`, `email` and/or `webhook`."
    )
    webhook_url: StrictStr | None = Field(
        default=None,
        max_length=2000,
        description="Where signed webhooks are POSTed (with the `webhook` channel); private and metadata addresses are refused.",
    )


class SubscriptionUpdateIn(SubscriptionIn):
    """A subscription's new criteria and channels (they replace the old ones)."""

    active: bool = Field(default=True, description="False pauses the subscription.")


class SubscriptionOut(BaseModel):
    """A subscription as its organization sees it; its secret is never read back."""

    id: uuid.UUID = Field(description="The subscription's id.")
    organization: str = Field(description="The subscribing organization.")
    name: str = Field(description="Its name.")
    sectors: list[str] = Field(description="Sectors subscribed to.")
    products: list[str] = Field(description="Product prefixes, normalised.")
    min_score: float = Field(description="The lowest priority score notified.")
    channels: list[str] = Field(description="How the organization is told.")
    webhook_url: str | None = Field(description="Where webhooks go, if anywhere.")
    has_secret: bool = Field(description="Whether a webhook secret exists (it is shown only at creation and rotation).")
    active: bool = Field(description="False when paused.")
    created_at: datetime = Field(description="When it was created.")
    updated_at: datetime = Field(description="When it last changed.")

    @classmethod
    def of(cls, v: SubscriptionView) -> SubscriptionOut:
        return cls(
            id=v.id,
            organization=v.organization_name,
            name=v.name,
            sectors=[s.value for s in v.sectors],
            products=list(v.products),
            min_score=v.min_score,
            channels=[c.value for c in v.channels],
            webhook_url=v.webhook_url,
            has_secret=v.has_secret,
            active=v.active,
            created_at=v.created_at,
            updated_at=v.updated_at,
        )


class SecretOut(BaseModel):
    """A subscription with its webhook secret: shown this once, store it now."""

    subscription: SubscriptionOut = Field(description="The subscription.")
    secret: str | None = Field(
        description="The webhook signing secret (HMAC-SHA256 key), shown only now; null when there is no new one."
    )

    @classmethod
    def of(cls, c: CreatedSubscription) -> SecretOut:
        return cls(subscription=SubscriptionOut.of(c.subscription), secret=c.secret)


class AttemptOut(BaseModel):
    """One webhook attempt."""

    number: int = Field(description="1 for the first attempt.")
    started_at: datetime = Field(description="When it was made.")
    status_code: int | None = Field(description="The receiver's HTTP status, null when it did not answer.")
    latency_ms: int = Field(description="How long it took, in milliseconds.")
    error: str | None = Field(description="What went wrong, in short.")
    outcome: str = Field(description="`delivered`, `retry`, `failed` or `gave_up`.")
    next_attempt_at: datetime | None = Field(description="When the next attempt is due, after a `retry`.")

    @classmethod
    def of(cls, a: AttemptView) -> AttemptOut:
        return cls(**a.__dict__)


class DeliveryOut(BaseModel):
    """One notice to a subscription (reports named by id only) and its webhook attempts."""

    id: uuid.UUID = Field(description="The delivery's id (the `Frontier-Review-Delivery` header).")
    report_id: uuid.UUID | None = Field(description="The report; null for a test delivery.")
    kind: str = Field(description="`notice` or `test`.")
    state: str = Field(description="`notified` (no webhook), `pending`, `sending`, `delivered`, `failed` or `gave_up`.")
    attempts: int = Field(description="Webhook attempts made.")
    next_attempt_at: datetime | None = Field(description="When the next attempt is due.")
    last_status_code: int | None = Field(description="The last HTTP status received.")
    last_error: str | None = Field(description="The last error, in short.")
    people_notified: int = Field(description="Members told in the app (and by email).")
    created_at: datetime = Field(description="When the notice was written.")
    finished_at: datetime | None = Field(description="When it ended.")
    log: list[AttemptOut] = Field(description="Each attempt, first to last.")

    @classmethod
    def of(cls, d: DeliveryView) -> DeliveryOut:
        return cls(
            id=d.id,
            report_id=d.report_id,
            kind=d.kind,
            state=d.state.value,
            attempts=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_status_code=d.last_status_code,
            last_error=d.last_error,
            people_notified=d.people_notified,
            created_at=d.created_at,
            finished_at=d.finished_at,
            log=[AttemptOut.of(a) for a in d.log],
        )
