"""Every permission in the platform, named ``area:resource:action``.

Audit tags share the same shape, so a denial's audit entry names the permission asked for.
"""

from __future__ import annotations

from enum import StrEnum


class Permission(StrEnum):
    """One permission per guarded action; a permission without a rule is always denied."""

    # identity
    ORGANIZATION_CREATE = "identity:organization:create"
    ORGANIZATION_READ = "identity:organization:read"
    ORGANIZATION_LIST_ALL = "identity:organization:list_all"
    USER_CREATE = "identity:user:create"
    USER_READ = "identity:user:read"
    USER_LIST = "identity:user:list"
    USER_LOOKUP = "identity:user:lookup"
    USER_UPDATE = "identity:user:update"
    USER_SET_CLEARED = "identity:user:set_cleared"
    TOKEN_ISSUE = "identity:token:issue"  # noqa: S105 - a permission name, not a secret
    TOKEN_READ = "identity:token:read"  # noqa: S105 - a permission name, not a secret
    TOKEN_REVOKE = "identity:token:revoke"  # noqa: S105 - a permission name, not a secret
    # audit
    AUDIT_READ_ALL = "audit:log:read_all"
    AUDIT_READ_ORG = "audit:log:read_org"
    AUDIT_VERIFY = "audit:log:verify"
    AUDIT_CHECKPOINT = "audit:checkpoint:create"
    AUDIT_EXPORT = "audit:log:export"
    # security
    KEYS_ROTATE = "security:keys:rotate"
