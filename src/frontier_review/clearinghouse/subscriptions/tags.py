"""The audit actions of subscriptions (values are stored in the log and never change)."""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag

__all__ = ["SubscriptionTag"]


class SubscriptionTag(AuditTag):
    """Changes to subscriptions, and webhook deliveries' final outcomes."""

    CREATED = "clearinghouse:subscription:created"
    UPDATED = "clearinghouse:subscription:updated"
    DELETED = "clearinghouse:subscription:deleted"
    SECRET_ROTATED = "clearinghouse:subscription:secret_rotated"  # noqa: S105 - an audit action, not a secret
    TEST_REQUESTED = "clearinghouse:subscription:test_requested"
    NOTIFIED = "clearinghouse:subscription:notified"
    WEBHOOK_DELIVERED = "clearinghouse:webhook:delivered"
    WEBHOOK_FAILED = "clearinghouse:webhook:failed"
