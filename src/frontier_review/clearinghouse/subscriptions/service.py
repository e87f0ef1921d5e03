"""Subscriptions: an organization's admins say what it wants to hear about, and how (issue 14 item 9).

Use cases of the subscribing organization (create, change, delete, rotate the webhook secret,
send a test, read the delivery log) and :func:`fan_out`, which the reports slice's
``ReportDisseminated`` event reaches through the composition root. Webhooks are sent by jobs
(:mod:`.delivery`, :mod:`.tasks`); a delivery row written here, in the report's transaction, is
their outbox.

The webhook secret is generated here, sealed at rest and returned once (:class:`CreatedSubscription`);
no read, log line or audit entry carries it. The webhook address passes the platform's address
policy (``security.addresses``) here and again before every attempt.
"""

from __future__ import annotations

import secrets
import uuid
import weakref
from collections.abc import Callable, Iterable

from sqlalchemy import Engine, select

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.subscriptions import webhooks
from frontier_review.clearinghouse.subscriptions.domain import Channel, Criteria, check_criteria
from frontier_review.clearinghouse.subscriptions.orm import DeliveryAttempt, Subscription, SubscriptionDelivery
from frontier_review.clearinghouse.subscriptions.policy import SubscriberRef
from frontier_review.clearinghouse.subscriptions.tags import SubscriptionTag
from frontier_review.clearinghouse.subscriptions.views import (
    CreatedSubscription,
    DeliveryView,
    SubscriptionView,
    delivery_view,
    ref_of,
    subscription_view,
    webhook_host,
)
from frontier_review.clearinghouse.subscriptions.webhooks import DeliveryState
from frontier_review.config import Environment
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.errors import NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, authorize_visible, decide, refuse
from frontier_review.security import addresses
from frontier_review.security import service as security

__all__ = [
    "SECRET_FIELD",
    "TABLE",
    "check_webhook_url",
    "create_subscription",
    "delete_subscription",
    "get_subscription",
    "install_dispatcher",
    "list_deliveries",
    "list_subscriptions",
    "rotate_secret",
    "send_test",
    "update_subscription",
]

TABLE = "clearinghouse_subscriptions"
SECRET_FIELD = "secret_sealed"  # noqa: S105 - a column name
NOT_FOUND = "no such subscription"
SYSTEM = Principal.system("clearinghouse:subscriptions")
SECRET_PREFIX = "frwhsec_"  # noqa: S105 - a prefix, so a leaked secret is recognisable in a scan

Dispatch = Callable[[uuid.UUID], None]
# The job queue of each engine's process, installed by ``tasks.register`` when a process builds its
# queue. Keyed by engine (weakly) so that two containers in one process (the tests) never enqueue
# each other's deliveries. Without one, the sweeper (every minute) sends what is due.
_dispatchers: weakref.WeakKeyDictionary[Engine, Dispatch] = weakref.WeakKeyDictionary()


def install_dispatcher(engine: Engine, dispatch: Dispatch) -> None:
    """Enqueue webhook deliveries of units of work on ``engine`` with ``dispatch`` after they commit."""
    _dispatchers[engine] = dispatch


def dispatch_after_commit(uow: UnitOfWork, delivery_id: uuid.UUID) -> None:
    bind = uow.session.get_bind()
    dispatch = _dispatchers.get(bind) if isinstance(bind, Engine) else None
    if dispatch is not None:
        uow.on_commit(lambda: dispatch(delivery_id))


def check_webhook_url(uow: UnitOfWork, url: str, *, resolve: addresses.Resolver = addresses.system_resolver) -> str:
    """A webhook address the platform may POST to (``FR_WEBHOOK_ALLOW_PRIVATE_TARGETS``); https in prod.

    Raises:
        ValidationFailed: on ``webhook_url``, naming the reason (a private or metadata address …).
    """
    return addresses.check_url(
        url,
        require_https=uow.settings.env is Environment.PROD,
        allow_private=uow.settings.webhook_allow_private_targets,
        field="webhook_url",
        resolve=resolve,
    )


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _seal_secret(uow: UnitOfWork, row: Subscription, secret: str) -> None:
    # Crypto-shred the previous secret: its data key goes, so no copy of it can be opened again.
    security.forget_data_keys(uow, table=TABLE, owner_prefix=str(row.id))
    row.secret_sealed = security.seal_field(uow, secret.encode(), table=TABLE, row_id=str(row.id), field=SECRET_FIELD)


def open_secret(uow: UnitOfWork, row: Subscription) -> str | None:
    """The webhook secret, for the sender only (never returned by a read)."""
    if row.secret_sealed is None:
        return None
    return security.open_field(
        uow.session, uow.keyring, row.secret_sealed, table=TABLE, row_id=str(row.id), field=SECRET_FIELD
    ).decode()


def _view(uow: UnitOfWork, row: Subscription) -> SubscriptionView:
    org = directory.find_organization(uow, row.organization_id)
    return subscription_view(row, org.name if org else "")


def _audit_details(c: Criteria) -> dict[str, object]:
    # The webhook's host only: a receiver's path may carry its own token.
    return {
        "name": c.name,
        "sectors": sorted(s.value for s in c.sectors),
        "products": list(c.products),
        "min_score": c.min_score,
        "channels": sorted(ch.value for ch in c.channels),
        "webhook_host": webhook_host(c.webhook_url),
    }


def _criteria(
    uow: UnitOfWork,
    *,
    name: str,
    sectors: Iterable[str],
    products: Iterable[str],
    min_priority: str | float | None,
    channels: Iterable[str],
    webhook_url: str | None,
) -> Criteria:
    try:
        criteria = check_criteria(
            name=name, sectors=sectors, products=products, min_priority=min_priority, channels=channels, webhook_url=webhook_url
        )
    except ValidationFailed as exc:
        # Every problem at once: a forbidden webhook address is named even when another field is wrong.
        problems = list(exc.problems)
        if webhook_url and not any(p.field == "webhook_url" for p in problems):
            try:
                check_webhook_url(uow, webhook_url.strip())
            except ValidationFailed as bad_url:
                problems += bad_url.problems
        raise ValidationFailed(problems[0].message if problems else str(exc), problems=problems) from None
    if criteria.webhook_url is not None:
        checked = check_webhook_url(uow, criteria.webhook_url)
        criteria = Criteria(**{**criteria.__dict__, "webhook_url": checked})
    return criteria


def _store(row: Subscription, c: Criteria) -> None:
    row.name = c.name
    row.sectors = sorted(s.value for s in c.sectors)
    row.products = list(c.products)
    row.min_score = c.min_score
    row.channels = sorted(ch.value for ch in c.channels)
    row.webhook_url = c.webhook_url


def create_subscription(
    uow: UnitOfWork,
    principal: Principal,
    *,
    name: str,
    sectors: Iterable[str] = (),
    products: Iterable[str] = (),
    min_priority: str | float | None = None,
    channels: Iterable[str] = (Channel.IN_APP.value,),
    webhook_url: str | None = None,
    organization_id: uuid.UUID | None = None,
) -> CreatedSubscription:
    """Subscribe the principal's organization (or ``organization_id``, for the platform).

    Args:
        uow: the unit of work.
        principal: an admin of the subscribing organization.
        name: what the organization calls the subscription.
        sectors: sector values (``identity.domain.Sector``).
        products: package-URL or CPE 2.3 prefixes.
        min_priority: a score from 0 to 100 or a band (``high``); empty is 0.
        channels: ``in_app``, ``email``, ``webhook``.
        webhook_url: where webhooks go (with the webhook channel).
        organization_id: the subscribing organization when the platform acts (the demo).

    Returns:
        The subscription and, with a webhook, its new secret: shown this once.

    Raises:
        PermissionDenied: not an admin of the organization, or a person without one.
        ValidationFailed: naming every bad field; a webhook address the policy refuses names the reason.
    """
    org_id = organization_id if organization_id is not None and principal.is_system else principal.org_id
    if org_id is None and not principal.is_system:
        # A person without an organization (a platform operator) is refused like any non-admin
        # (403, audited), not told its input is wrong: there is nothing it could type instead.
        refuse(uow, principal, Permission.SUBSCRIPTION_CREATE, "subscriptions belong to an organization", ("subscription", "new"))
    if org_id is None:
        raise ValidationFailed("subscriptions belong to an organization", field="organization_id")
    authorize(uow, principal, Permission.SUBSCRIPTION_CREATE, SubscriberRef(org_id))
    directory.get_organization(uow, org_id)
    criteria = _criteria(
        uow, name=name, sectors=sectors, products=products, min_priority=min_priority, channels=channels, webhook_url=webhook_url
    )
    now = uow.clock.now()
    row = Subscription(
        id=new_id(), organization_id=org_id, active=True, created_by=principal.label, created_at=now, updated_at=now
    )
    _store(row, criteria)
    secret = None
    if criteria.webhook_url is not None:
        secret = _new_secret()
        _seal_secret(uow, row, secret)
    uow.session.add(row)
    uow.session.flush()
    audit.record(
        uow, principal, SubscriptionTag.CREATED, target_type="subscription", target_id=row.id, details=_audit_details(criteria)
    )
    return CreatedSubscription(_view(uow, row), secret)


def _get_row(uow: UnitOfWork, principal: Principal, subscription_id: uuid.UUID, permission: Permission) -> Subscription:
    row = uow.session.get(Subscription, subscription_id)
    if row is None:
        raise NotFound(NOT_FOUND)
    read = (
        Permission.SUBSCRIPTION_STATUS_READ if permission is Permission.SUBSCRIPTION_STATUS_READ else Permission.SUBSCRIPTION_READ
    )
    authorize_visible(uow, principal, permission, ref_of(row), not_found=NOT_FOUND, read=read)
    return row


def list_subscriptions(uow: UnitOfWork, principal: Principal) -> list[SubscriptionView]:
    """The principal's organization's subscriptions, oldest first (nobody lists another's)."""
    if principal.org_id is None:
        return []
    rows = uow.session.scalars(
        select(Subscription)
        .where(Subscription.organization_id == principal.org_id)
        .order_by(Subscription.created_at, Subscription.id)
    )
    return [_view(uow, r) for r in rows if decide(uow, principal, Permission.SUBSCRIPTION_READ, ref_of(r)).allowed]


def get_subscription(
    uow: UnitOfWork, principal: Principal, subscription_id: uuid.UUID, *, to_change: bool = False
) -> SubscriptionView:
    """One subscription of the principal's organization.

    Args:
        uow: the unit of work.
        principal: a member of the subscribing organization.
        subscription_id: the subscription.
        to_change: the caller means to change it (the edit form): refused as the change itself
            would be (:func:`update_subscription`), so a form is never shown to whoever may not send it.

    Raises:
        NotFound: no such subscription, or another organization's (the same answer).
        PermissionDenied: with ``to_change``, a member who is not an admin (audited).
    """
    permission = Permission.SUBSCRIPTION_MANAGE if to_change else Permission.SUBSCRIPTION_READ
    return _view(uow, _get_row(uow, principal, subscription_id, permission))


def update_subscription(
    uow: UnitOfWork,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    name: str,
    sectors: Iterable[str] = (),
    products: Iterable[str] = (),
    min_priority: str | float | None = None,
    channels: Iterable[str] = (Channel.IN_APP.value,),
    webhook_url: str | None = None,
    active: bool = True,
) -> CreatedSubscription:
    """Replace a subscription's criteria and channels (admins of its organization).

    Returns:
        The subscription; with a secret only when this change added the webhook channel (a
        subscription that already had one keeps its secret: rotate it to change it).

    Raises:
        NotFound: not the principal's organization's. PermissionDenied: a member, not an admin.
        ValidationFailed: naming every bad field.
    """
    row = _get_row(uow, principal, subscription_id, Permission.SUBSCRIPTION_MANAGE)
    criteria = _criteria(
        uow, name=name, sectors=sectors, products=products, min_priority=min_priority, channels=channels, webhook_url=webhook_url
    )
    _store(row, criteria)
    row.active = active
    row.updated_at = uow.clock.now()
    secret = None
    if criteria.webhook_url is None and row.secret_sealed is not None:
        security.forget_data_keys(uow, table=TABLE, owner_prefix=str(row.id))
        row.secret_sealed = None
    elif criteria.webhook_url is not None and row.secret_sealed is None:
        secret = _new_secret()
        _seal_secret(uow, row, secret)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        SubscriptionTag.UPDATED,
        target_type="subscription",
        target_id=row.id,
        details={**_audit_details(criteria), "active": active},
    )
    return CreatedSubscription(_view(uow, row), secret)


def delete_subscription(uow: UnitOfWork, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Delete a subscription, its delivery log and its secret (admins of its organization)."""
    row = _get_row(uow, principal, subscription_id, Permission.SUBSCRIPTION_MANAGE)
    security.forget_data_keys(uow, table=TABLE, owner_prefix=str(row.id))
    delivery_ids = select(SubscriptionDelivery.id).where(SubscriptionDelivery.subscription_id == row.id)
    for attempt in uow.session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(delivery_ids))):
        uow.session.delete(attempt)
    for delivery in uow.session.scalars(select(SubscriptionDelivery).where(SubscriptionDelivery.subscription_id == row.id)):
        uow.session.delete(delivery)
    uow.session.flush()
    uow.session.delete(row)
    uow.session.flush()
    audit.record(
        uow, principal, SubscriptionTag.DELETED, target_type="subscription", target_id=subscription_id, details={"name": row.name}
    )


def rotate_secret(uow: UnitOfWork, principal: Principal, subscription_id: uuid.UUID) -> CreatedSubscription:
    """A new webhook secret, returned this once; the old one stops working at once.

    Raises:
        ValidationFailed: the subscription has no webhook.
    """
    row = _get_row(uow, principal, subscription_id, Permission.SUBSCRIPTION_MANAGE)
    if row.webhook_url is None:
        raise ValidationFailed("this subscription has no webhook, so no secret", field="webhook_url")
    secret = _new_secret()
    _seal_secret(uow, row, secret)
    row.updated_at = uow.clock.now()
    uow.session.flush()
    audit.record(uow, principal, SubscriptionTag.SECRET_ROTATED, target_type="subscription", target_id=row.id)
    return CreatedSubscription(_view(uow, row), secret)


def send_test(uow: UnitOfWork, principal: Principal, subscription_id: uuid.UUID) -> DeliveryView:
    """Queue a test webhook (no report in it) to check the receiver and its signature check.

    Raises:
        ValidationFailed: the subscription has no webhook.
    """
    row = _get_row(uow, principal, subscription_id, Permission.SUBSCRIPTION_MANAGE)
    if row.webhook_url is None:
        raise ValidationFailed("this subscription has no webhook to test", field="webhook_url")
    now = uow.clock.now()
    delivery_id = new_id()
    delivery = SubscriptionDelivery(
        id=delivery_id,
        subscription_id=row.id,
        report_id=None,
        kind="test",
        state=DeliveryState.PENDING.value,
        payload=webhooks.ping_payload(delivery_id=delivery_id, subscription_id=row.id, created_at=now),
        attempts=0,
        next_attempt_at=now,
        people_notified=0,
        created_at=now,
    )
    uow.session.add(delivery)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        SubscriptionTag.TEST_REQUESTED,
        target_type="subscription",
        target_id=row.id,
        details={"delivery": str(delivery_id)},
    )
    dispatch_after_commit(uow, delivery_id)
    return delivery_view(delivery, [])


def list_deliveries(uow: UnitOfWork, principal: Principal, subscription_id: uuid.UUID, *, limit: int = 50) -> list[DeliveryView]:
    """A subscription's delivery log, newest first: its organization and the clearinghouse read it.

    Deliveries name reports by id only: a report's title may since have been restricted.
    """
    row = _get_row(uow, principal, subscription_id, Permission.SUBSCRIPTION_STATUS_READ)
    deliveries = list(
        uow.session.scalars(
            select(SubscriptionDelivery)
            .where(SubscriptionDelivery.subscription_id == row.id)
            .order_by(SubscriptionDelivery.created_at.desc(), SubscriptionDelivery.id)
            .limit(limit)
        )
    )
    attempts: dict[uuid.UUID, list[DeliveryAttempt]] = {d.id: [] for d in deliveries}
    if deliveries:
        for a in uow.session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(list(attempts)))):
            attempts[a.delivery_id].append(a)
    return [delivery_view(d, attempts[d.id]) for d in deliveries]
