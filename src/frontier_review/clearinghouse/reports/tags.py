"""The audit actions of the clearinghouse's vulnerability reports (``clearinghouse:report:*``).

The values are the strings stored in the log and never change. Details never carry a report's
title, description or validation notes: only ids, labels, statuses and computed numbers.
"""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag

__all__ = ["ClearinghouseTag"]


class ClearinghouseTag(AuditTag):
    """Actions on vulnerability reports, the KEV catalogue and priorities."""

    REPORT_SUBMITTED = "clearinghouse:report:submitted"
    REPORT_READ = "clearinghouse:report:read"
    REPORT_EDITED = "clearinghouse:report:edited"
    REPORT_STATUS_SET = "clearinghouse:report:status_set"
    REPORT_ADDRESSED = "clearinghouse:report:addressed"
    REPORT_RELABELLED = "clearinghouse:report:relabelled"
    REPORT_VALIDATOR_NAMED = "clearinghouse:report:validator_named"
    REPORT_VALIDATED = "clearinghouse:report:validated"
    REPORT_MERGED = "clearinghouse:report:merged"
    REPORT_DISCLOSED = "clearinghouse:report:disclosed"
    REPORT_REJECTED = "clearinghouse:report:rejected"
    REPORT_REFERRED = "clearinghouse:report:referred"
    REPORT_SHARED = "clearinghouse:report:shared"
    KEV_IMPORTED = "clearinghouse:kev:imported"
    PRIORITIES_RECOMPUTED = "clearinghouse:priority:recomputed"
