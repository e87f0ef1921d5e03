"""Who may read, verify, checkpoint and export the audit log (pure rules)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal


def oversight(p: Principal, _resource: object, _now: datetime) -> Decision:
    """Operators and program-office admins oversee the whole log."""
    if p.is_superuser:
        return Allowed("superuser")
    if p.is_program_office_admin:
        return Allowed("program-office admin")
    return Denied("only operators and program-office admins may see the whole audit log")


def own_organization_log(p: Principal, org_id: uuid.UUID | None, _now: datetime) -> Decision:
    """An organization's admin sees what their own organization's people did."""
    if p.is_superuser:
        return Allowed("superuser")
    if p.is_admin_of(org_id):
        return Allowed("admin of the organization")
    return Denied("only admins may see their organization's audit entries")


RULES: Mapping[Permission, Rule] = {
    Permission.AUDIT_READ_ALL: oversight,
    Permission.AUDIT_READ_ORG: own_organization_log,
    Permission.AUDIT_VERIFY: oversight,
    Permission.AUDIT_CHECKPOINT: oversight,
    Permission.AUDIT_EXPORT: oversight,
}
