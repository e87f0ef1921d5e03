"""The audit actions of AI-enabled intrusion reports (values are stored in the log and never change)."""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag

__all__ = ["IncidentTag"]


class IncidentTag(AuditTag):
    """Actions on incidents: reporting, every read of one, triage, labels, referrals, acknowledgements."""

    REPORTED = "clearinghouse:incident:reported"
    VIEWED = "clearinghouse:incident:viewed"
    STATUS_SET = "clearinghouse:incident:status_set"
    RELABELLED = "clearinghouse:incident:relabelled"
    REFERRED = "clearinghouse:incident:referred"
    ACKNOWLEDGED = "clearinghouse:incident:acknowledged"
