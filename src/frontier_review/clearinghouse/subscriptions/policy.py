"""Who manages and who sees subscriptions (pure rules).

An organization's admins manage its subscriptions; its members read them (criteria, channels,
webhook address, delivery log). The clearinghouse sees every subscription's delivery status and
log, never its criteria's secret (no one reads a secret after it was shown once). Nobody else
learns that another organization subscribes to anything. The platform acting for an operator
(the CLI, the demo) may do all of it; a superuser signed in as a person is no exception to the
rule above.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal

__all__ = ["RULES", "SubscriberRef", "SubscriptionRef"]

SYSTEM = "the platform, for an operator (CLI, demo)"


@dataclass(frozen=True)
class SubscriberRef:
    """An organization that would subscribe (the resource of creating a subscription)."""

    org_id: uuid.UUID

    def audit_target(self) -> tuple[str, str]:
        return "organization", str(self.org_id)


@dataclass(frozen=True)
class SubscriptionRef:
    """A subscription as an authorization resource: its id and its organization."""

    id: uuid.UUID
    org_id: uuid.UUID

    def audit_target(self) -> tuple[str, str]:
        return "subscription", str(self.id)


def _admin(p: Principal, org_id: uuid.UUID) -> Decision:
    if p.is_system:
        return Allowed(SYSTEM)
    if p.user_id is not None and p.is_admin_of(org_id):
        return Allowed("admin of the subscribing organization")
    if p.is_member_of(org_id):
        return Denied("only your organization's admins manage its subscriptions")
    return Denied("only the subscribing organization's admins manage its subscriptions")


def can_create(p: Principal, r: SubscriberRef, _now: datetime) -> Decision:
    return _admin(p, r.org_id)


def can_manage(p: Principal, r: SubscriptionRef, _now: datetime) -> Decision:
    return _admin(p, r.org_id)


def can_read(p: Principal, r: SubscriptionRef, _now: datetime) -> Decision:
    if p.is_system:
        return Allowed(SYSTEM)
    if p.user_id is not None and p.is_member_of(r.org_id):
        return Allowed("member of the subscribing organization")
    return Denied("only the subscribing organization sees its subscriptions")


def can_read_status(p: Principal, r: SubscriptionRef, now: datetime) -> Decision:
    own = can_read(p, r, now)
    if own.allowed:
        return own
    if p.user_id is not None and p.org_kind is OrgKind.CLEARINGHOUSE:
        return Allowed("the clearinghouse follows every subscriber's deliveries")
    return own


def can_list_all(p: Principal, _r: object, _now: datetime) -> Decision:
    if p.is_system:
        return Allowed(SYSTEM)
    if p.user_id is not None and p.org_kind is OrgKind.CLEARINGHOUSE:
        return Allowed("the clearinghouse follows every subscriber's deliveries")
    return Denied("only the clearinghouse sees every subscriber's delivery status")


RULES: Mapping[Permission, Rule] = {
    Permission.SUBSCRIPTION_CREATE: can_create,
    Permission.SUBSCRIPTION_MANAGE: can_manage,
    Permission.SUBSCRIPTION_READ: can_read,
    Permission.SUBSCRIPTION_STATUS_READ: can_read_status,
    Permission.SUBSCRIPTION_LIST_ALL: can_list_all,
}
