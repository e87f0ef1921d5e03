"""What patch distribution records in the audit log (``clearinghouse:fix:*``, ``clearinghouse:distribution:*``).

Details carry ids, states and version strings, never a report's title or an operator's note.
"""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag

__all__ = ["PatchTag"]


class PatchTag(AuditTag):
    """Actions on fixes and distribution records."""

    FIX_ADDED = "clearinghouse:fix:added"
    FIX_EDITED = "clearinghouse:fix:edited"
    DISTRIBUTION_CREATED = "clearinghouse:distribution:created"
    DISTRIBUTION_UPDATED = "clearinghouse:distribution:updated"
    DISTRIBUTION_READ = "clearinghouse:distribution:read"
