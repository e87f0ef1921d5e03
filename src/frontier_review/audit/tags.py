"""What the audit area records in its own log (values never change once entries carry them)."""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag

__all__ = ["AuditLogTag"]


class AuditLogTag(AuditTag):
    """The audit area's actions."""

    CHECKPOINT_CREATED = "audit:checkpoint:created"
    LOG_EXPORTED = "audit:log:exported"
