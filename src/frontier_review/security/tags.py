"""What key management and backups record in the audit log (the ``keys`` and ``backup`` CLIs).

Values never change once entries carry them.
"""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag

__all__ = ["SecurityTag"]


class SecurityTag(AuditTag):
    """The security area's audit actions."""

    KEYS_STAGED = "security:keys:staged"
    KEYS_ROTATED = "security:keys:rotated"
    KEYS_RETIRED = "security:keys:retired"
    BACKUP_CREATED = "security:backup:created"
    BACKUP_RESTORED = "security:backup:restored"
