"""The clearinghouse's delivery-status table: every subscription, how its deliveries went (sorted and paged in SQL)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, case, func, select

from frontier_review.clearinghouse.subscriptions.domain import Channel
from frontier_review.clearinghouse.subscriptions.orm import Subscription, SubscriptionDelivery
from frontier_review.clearinghouse.subscriptions.views import SubscriberStatus, webhook_host
from frontier_review.clearinghouse.subscriptions.webhooks import DeliveryState
from frontier_review.db.listing import by_position, fetch_page
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.domain import OrgKind
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize

__all__ = ["DEFAULT_SORT", "page_subscribers"]

DEFAULT_SORT = Sort("organization")
_FAILED = (DeliveryState.FAILED.value, DeliveryState.GAVE_UP.value)
_PENDING = (DeliveryState.PENDING.value, DeliveryState.SENDING.value)


def _count(states: tuple[str, ...]) -> ColumnElement[int]:
    return func.sum(case((SubscriptionDelivery.state.in_(states), 1), else_=0))


def page_subscribers(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[SubscriberStatus]:
    """Every subscription with its delivery counts and last delivery (the clearinghouse only).

    Filters: ``state`` (``failing``: some delivery failed or gave up; ``pending``). Search: the
    subscription's name. Secrets and webhook paths never appear; the webhook's host does.
    """
    authorize(uow, principal, Permission.SUBSCRIPTION_LIST_ALL, None)
    cards = directory.list_organizations(uow, kinds=list(OrgKind))
    names = {c.id: c.name for c in cards}
    delivered = func.sum(case((SubscriptionDelivery.state == DeliveryState.DELIVERED.value, 1), else_=0)).label("delivered")
    pending = _count(_PENDING).label("pending")
    failed = _count(_FAILED).label("failed")
    last_at = func.max(SubscriptionDelivery.created_at).label("last_at")
    stmt = (
        select(Subscription, delivered, pending, failed, last_at)
        .outerjoin(SubscriptionDelivery, SubscriptionDelivery.subscription_id == Subscription.id)
        .group_by(Subscription.id)
    )
    if query.search:
        stmt = stmt.where(Subscription.name.icontains(query.search, autoescape=True))
    state = query.filter("state")
    if state == "failing":
        stmt = stmt.having(_count(_FAILED) > 0)
    elif state == "pending":
        stmt = stmt.having(_count(_PENDING) > 0)
    page = fetch_page(
        uow.session,
        stmt,
        query,
        sorts={
            "organization": [by_position(Subscription.organization_id, [c.id for c in cards]), Subscription.name],
            "failed": [failed],
            "last": [last_at],
        },
        default=DEFAULT_SORT,
        unique=Subscription.id,
    )
    last_states = _last_states(uow, [row[0].id for row in page.items])
    items = [
        SubscriberStatus(
            subscription_id=sub.id,
            organization_name=names.get(sub.organization_id, ""),
            name=sub.name,
            channels=tuple(c for c in Channel if c.value in sub.channels),
            webhook_host=webhook_host(sub.webhook_url),
            active=sub.active,
            delivered=int(d or 0),
            pending=int(p or 0),
            failed=int(f or 0),
            last_state=last_states.get(sub.id),
            last_at=at,
        )
        for sub, d, p, f, at in page.items
    ]
    return Page(items, page.total, page.page, page.per_page, page.sort)


def _last_states(uow: UnitOfWork, ids: list[object]) -> dict[object, DeliveryState]:
    if not ids:
        return {}
    newest = (
        select(SubscriptionDelivery.subscription_id, func.max(SubscriptionDelivery.created_at).label("at"))
        .where(SubscriptionDelivery.subscription_id.in_(ids))
        .group_by(SubscriptionDelivery.subscription_id)
        .subquery()
    )
    rows = uow.session.execute(
        select(SubscriptionDelivery.subscription_id, SubscriptionDelivery.state).join(
            newest,
            and_(
                SubscriptionDelivery.subscription_id == newest.c.subscription_id, SubscriptionDelivery.created_at == newest.c.at
            ),
        )
    )
    return {sub_id: DeliveryState(state) for sub_id, state in rows}
