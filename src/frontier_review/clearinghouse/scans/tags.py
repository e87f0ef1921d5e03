"""What scan deconfliction records in the audit log (``clearinghouse:scan:*``)."""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag


class ClearinghouseScanTag(AuditTag):
    """Actions on planned scans and their overlaps; entries name ids, never ranges' owners' secrets."""

    SCAN_REGISTERED = "clearinghouse:scan:registered"
    SCAN_CHANGED = "clearinghouse:scan:changed"
    SCAN_CANCELLED = "clearinghouse:scan:cancelled"
    SCAN_OBJECTED = "clearinghouse:scan:objected"
    SCAN_OBJECTION_WITHDRAWN = "clearinghouse:scan:objection_withdrawn"
    OVERLAP_FLAGGED = "clearinghouse:scan:overlap_flagged"
    OVERLAP_CLEARED = "clearinghouse:scan:overlap_cleared"
    OVERLAP_RESOLVED = "clearinghouse:scan:overlap_resolved"
