"""Fan-out: a report reached more people, and the subscriptions it matches hear of it, once each.

:func:`fan_out` runs in the transaction of the reports slice's ``ReportDisseminated`` (the
composition root adapts the event to a :class:`.domain.ReportNotice` and the reports' TLP audience
to ``may_receive``). It writes the deliveries (the webhooks' outbox), the in-app notices and the
emails; the webhooks are posted by jobs after commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.subscriptions import webhooks
from frontier_review.clearinghouse.subscriptions.domain import Channel, ReportNotice, matches
from frontier_review.clearinghouse.subscriptions.orm import Subscription, SubscriptionDelivery
from frontier_review.clearinghouse.subscriptions.service import SYSTEM, dispatch_after_commit
from frontier_review.clearinghouse.subscriptions.tags import SubscriptionTag
from frontier_review.clearinghouse.subscriptions.views import criteria_of
from frontier_review.clearinghouse.subscriptions.webhooks import DeliveryState
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.ids import new_id
from frontier_review.notifications.service import notify

__all__ = ["FanOut", "fan_out"]


@dataclass(frozen=True)
class FanOut:
    """What one fan-out did: deliveries written, subscriptions already served, and those held back."""

    deliveries: tuple[uuid.UUID, ...]
    already: int
    withheld: int


def _site(uow: UnitOfWork) -> str:
    s = uow.settings
    return s.public_url or f"http://{s.host}:{s.port}"


def fan_out(uow: UnitOfWork, notice: ReportNotice, *, may_receive: Callable[[uuid.UUID], bool]) -> FanOut:
    """Tell every matching subscription's organization of a report it may now see, once per subscription.

    Runs in the transaction that made the report visible to more people (validated, relabelled,
    readdressed). For each active subscription that matches (:func:`.domain.matches`) and whose
    organization may see the whole report (``may_receive(org_id)``: never under TLP:RED, where only
    named people see it), it writes one delivery, the in-app notices and emails of the
    organization's members (by the channels chosen) and, with a webhook, the body to send, which a
    job posts after commit. A subscription already served for this report is skipped, so the
    fan-out may run again (a second relabelling) without telling anyone twice; an organization held
    back now (``may_receive`` false) is told when a later fan-out finds it may.

    Returns:
        The deliveries written, how many subscriptions were already served, how many were withheld.
    """
    now = uow.clock.now()
    written: list[uuid.UUID] = []
    already = withheld = 0
    rows = uow.session.scalars(
        select(Subscription).where(Subscription.active.is_(True)).order_by(Subscription.created_at, Subscription.id)
    )
    allowed: dict[uuid.UUID, bool] = {}
    for row in list(rows):
        criteria = criteria_of(row)
        if not matches(criteria, notice):
            continue
        if row.organization_id not in allowed:
            allowed[row.organization_id] = bool(may_receive(row.organization_id))
        if not allowed[row.organization_id]:
            withheld += 1
            continue
        served = uow.session.scalar(
            select(SubscriptionDelivery.id).where(
                SubscriptionDelivery.subscription_id == row.id, SubscriptionDelivery.report_id == notice.report_id
            )
        )
        if served is not None:
            already += 1
            continue
        delivery_id = new_id()
        webhook = Channel.WEBHOOK in criteria.channels and row.webhook_url is not None
        delivery = SubscriptionDelivery(
            id=delivery_id,
            subscription_id=row.id,
            report_id=notice.report_id,
            kind="notice",
            state=(DeliveryState.PENDING if webhook else DeliveryState.NOTIFIED).value,
            payload=webhooks.notice_payload(
                notice, delivery_id=delivery_id, subscription_id=row.id, created_at=now, site=_site(uow)
            )
            if webhook
            else None,
            attempts=0,
            next_attempt_at=now if webhook else None,
            people_notified=0,
            created_at=now,
            finished_at=None if webhook else now,
        )
        uow.session.add(delivery)
        try:
            with uow.session.begin_nested():
                uow.session.flush()
        except IntegrityError:
            already += 1  # a concurrent fan-out served it first
            continue
        if criteria.channels & {Channel.IN_APP, Channel.EMAIL}:
            marker = "" if notice.validated else " (unvalidated)"
            delivery.people_notified = notify(
                uow,
                directory.list_members(uow, row.organization_id),
                kind="clearinghouse_report",
                title=f"{notice.priority_band.value.capitalize()} priority report{marker} for “{row.name}”: {notice.title}",
                link=notice.url_path,
                mail_key=f"subscription:{row.id}:{notice.report_id}" if Channel.EMAIL in criteria.channels else None,
            )
        audit.record(
            uow,
            SYSTEM,
            SubscriptionTag.NOTIFIED,
            target_type="subscription",
            target_id=row.id,
            details={
                "report": str(notice.report_id),
                "delivery": str(delivery_id),
                "channels": sorted(c.value for c in criteria.channels),
                "tlp": notice.label,
            },
        )
        if webhook:
            dispatch_after_commit(uow, delivery_id)
        written.append(delivery_id)
    uow.session.flush()
    return FanOut(tuple(written), already, withheld)
