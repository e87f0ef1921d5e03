"""REST endpoints for subscriptions: create, list, change, delete, rotate the secret, test, read the delivery log."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from frontier_review.clearinghouse.subscriptions import service
from frontier_review.clearinghouse.subscriptions.schemas import (
    DeliveryOut,
    SecretOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionUpdateIn,
)
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(prefix="/clearinghouse/subscriptions", tags=["clearinghouse"])

_ERRORS_BY_ID = "404 when no such subscription exists or it is another organization's (the same answer)"


def _fields(body: SubscriptionIn) -> dict[str, object]:
    return {
        "name": body.name,
        "sectors": body.sectors,
        "products": body.products,
        "min_priority": body.min_priority,
        "channels": body.channels,
        "webhook_url": body.webhook_url,
    }


@router.post("", status_code=status.HTTP_201_CREATED, summary="Subscribe your organization")
def create(body: SubscriptionIn, uow: UoW, principal: ApiPrincipal) -> SecretOut:
    """Subscribe to reports by sector and/or product, above a minimum priority.

    With the `webhook` channel the answer carries the signing secret, **shown only now**.

    **Who may call:** your organization's admins (`clearinghouse:subscription:create`).

    **Errors:** 403 for members who are not admins; 422 naming every bad field — an unknown sector,
    a malformed package URL or CPE, a priority out of range, a webhook URL whose host resolves to a
    private, loopback, link-local or metadata address (with the reason).
    """
    return SecretOut.of(service.create_subscription(uow, principal, **_fields(body)))  # type: ignore[arg-type]


@router.get("", summary="List your organization's subscriptions")
def list_mine(uow: UoW, principal: ApiPrincipal) -> list[SubscriptionOut]:
    """Your organization's subscriptions, oldest first; never another organization's, never a secret.

    **Who may call:** any member (`clearinghouse:subscription:read`).
    """
    return [SubscriptionOut.of(s) for s in service.list_subscriptions(uow, principal)]


@router.get("/{subscription_id}", summary="Get a subscription")
def get(subscription_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> SubscriptionOut:
    """One of your organization's subscriptions (no secret).

    **Who may call:** its organization's members (`clearinghouse:subscription:read`).

    **Errors:** 404 when no such subscription exists or it is another organization's (the same answer).
    """
    return SubscriptionOut.of(service.get_subscription(uow, principal, subscription_id))


@router.put("/{subscription_id}", summary="Change a subscription")
def update(subscription_id: uuid.UUID, body: SubscriptionUpdateIn, uow: UoW, principal: ApiPrincipal) -> SecretOut:
    """Replace a subscription's criteria and channels; `secret` is set only when this adds a webhook.

    **Who may call:** its organization's admins (`clearinghouse:subscription:manage`).

    **Errors:** 403 for members; 404 when no such subscription exists or it is another
    organization's (the same answer); 422 naming every bad field.
    """
    return SecretOut.of(
        service.update_subscription(uow, principal, subscription_id, active=body.active, **_fields(body))  # type: ignore[arg-type]
    )


@router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a subscription")
def delete(subscription_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> Response:
    """Delete a subscription with its delivery log; its secret is destroyed.

    **Who may call:** its organization's admins (`clearinghouse:subscription:manage`).

    **Errors:** 403 for members; 404 when no such subscription exists or it is another organization's.
    """
    service.delete_subscription(uow, principal, subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{subscription_id}/secret", summary="Rotate the webhook secret")
def rotate(subscription_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> SecretOut:
    """A new signing secret, **shown only now**; the old one stops signing at once.

    **Who may call:** its organization's admins (`clearinghouse:subscription:manage`).

    **Errors:** 403 for members; 404 when no such subscription exists or it is another
    organization's; 422 when the subscription has no webhook.
    """
    return SecretOut.of(service.rotate_secret(uow, principal, subscription_id))


@router.post("/{subscription_id}/test", status_code=status.HTTP_202_ACCEPTED, summary="Send a test webhook")
def send_test(subscription_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> DeliveryOut:
    """Queue a signed test webhook (`type: clearinghouse.subscription.test`, no report in it).

    Its outcome appears in the delivery log.

    **Who may call:** its organization's admins (`clearinghouse:subscription:manage`).

    **Errors:** 403 for members; 404 when no such subscription exists or it is another
    organization's; 422 when the subscription has no webhook.
    """
    return DeliveryOut.of(service.send_test(uow, principal, subscription_id))


@router.get("/{subscription_id}/deliveries", summary="Read a subscription's delivery log")
def deliveries(subscription_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[DeliveryOut]:
    """The last 50 deliveries, newest first, each with its attempts (reports by id only).

    **Who may call:** its organization's members and the clearinghouse (`clearinghouse:subscription:read_status`).

    **Errors:** 404 when no such subscription exists or you may not see it (the same answer).
    """
    return [DeliveryOut.of(d) for d in service.list_deliveries(uow, principal, subscription_id)]
