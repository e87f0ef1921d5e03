"""What the identity area records in the audit log.

Tests, the documentation and operators search the log for these values, so a value never
changes once entries carry it.
"""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag

__all__ = ["IdentityTag"]


class IdentityTag(AuditTag):
    """The identity area's audit actions."""

    ORGANIZATION_CREATED = "identity:organization:created"
    ORGANIZATION_UPDATED = "identity:organization:updated"
    USER_CREATED = "identity:user:created"
    USER_UPDATED = "identity:user:updated"
    USER_UNLOCKED = "identity:user:unlocked"
    SUPERUSER_CREATED = "identity:superuser:created"
    CLEARED_ADMIN_BOOTSTRAPPED = "identity:cleared_admin:bootstrapped"
    LOGIN_FAILED = "identity:login:failed"
    LOGIN_LOCKED = "identity:login:locked"
    LOGIN_SUCCEEDED = "identity:login:succeeded"
    LOGIN_THROTTLED = "identity:login:throttled"
    SESSIONS_ENDED = "identity:sessions:ended"
    # Two parts, not three: entries, tests and docs/security.md already carry this value.
    LOGOUT = "identity:logout"
    PASSWORD_CHANGED = "identity:password:changed"  # noqa: S105 - an action name, not a secret
    # A refused password change (wrong current password): recorded as a denial.
    PASSWORD_CHANGE = "identity:password:change"  # noqa: S105 - an action name, not a secret
    TOKEN_ISSUED = "identity:token:issued"  # noqa: S105 - an action name, not a secret
    TOKEN_REVOKED = "identity:token:revoked"  # noqa: S105 - an action name, not a secret
    INVITATION_CREATED = "identity:invitation:created"
    INVITATION_SENT = "identity:invitation:sent"
    INVITATION_NOT_APPLICABLE = "identity:invitation:not_applicable"
    INVITATION_REVOKED = "identity:invitation:revoked"
    INVITATION_ACCEPTED = "identity:invitation:accepted"
    # A refused acceptance (expired, revoked, used): recorded as a denial.
    INVITATION_ACCEPT = "identity:invitation:accept"
