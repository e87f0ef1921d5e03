"""Subscriptions: organizations hear of matching reports in the app, by email and by signed webhook.

The public face: :func:`fan_out` with the :class:`ReportNotice` it takes (the composition root
adapts the reports' ``ReportDisseminated`` event to it), and the subscription use cases.
"""

from frontier_review.clearinghouse.subscriptions.domain import Channel, Criteria, ReportNotice, matches
from frontier_review.clearinghouse.subscriptions.fanout import FanOut, fan_out
from frontier_review.clearinghouse.subscriptions.matching import matching_organizations, organization_criteria
from frontier_review.clearinghouse.subscriptions.service import (
    create_subscription,
    delete_subscription,
    get_subscription,
    list_deliveries,
    list_subscriptions,
    rotate_secret,
    send_test,
    update_subscription,
)
from frontier_review.clearinghouse.subscriptions.views import CreatedSubscription, DeliveryView, SubscriptionView

__all__ = [
    "Channel",
    "CreatedSubscription",
    "Criteria",
    "DeliveryView",
    "FanOut",
    "ReportNotice",
    "SubscriptionView",
    "create_subscription",
    "delete_subscription",
    "fan_out",
    "get_subscription",
    "list_deliveries",
    "list_subscriptions",
    "matches",
    "matching_organizations",
    "organization_criteria",
    "rotate_secret",
    "send_test",
    "update_subscription",
]
