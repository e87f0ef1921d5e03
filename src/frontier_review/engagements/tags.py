"""The audit actions of engagements and of the gateway's access log.

Every action the engagements area writes to the audit log is listed here, so a search of the
log can start from one list and a misspelt action fails the type check. The values are the
strings stored in the log and never change.
"""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag

__all__ = ["EngagementTag", "GatewayTag", "closed_tag"]


class EngagementTag(AuditTag):
    """Actions on engagements, their terms, participants, partners, materials and findings."""

    ENGAGEMENT_OPENED = "engagements:engagement:opened"
    ENGAGEMENT_OFFERED = "engagements:engagement:offered"
    ENGAGEMENT_ACTIVE = "engagements:engagement:active"
    ENGAGEMENT_CLOSED = "engagements:engagement:closed"
    ENGAGEMENT_RELEASED = "engagements:engagement:released"
    ENGAGEMENT_WITHDRAWN = "engagements:engagement:withdrawn"
    ENGAGEMENT_WINDOW_ELAPSED = "engagements:engagement:window_elapsed"
    TERMS_CHANGED = "engagements:terms:changed"
    TERMS_ACCEPTED = "engagements:terms:accepted"
    WINDOW_CHANGED = "engagements:window:changed"
    PARTICIPANT_INVITED = "engagements:participant:invited"
    PARTICIPANT_QUOTAS_SET = "engagements:participant:quotas_set"
    PARTICIPANT_REVOKED = "engagements:participant:revoked"
    USER_REVOKED = "engagements:user:revoked"
    PARTNER_DESIGNATED = "engagements:partner:designated"
    PARTNER_REVOKED = "engagements:partner:revoked"
    UPSTREAM_SET = "engagements:upstream:set"
    UPSTREAM_REMOVED = "engagements:upstream:removed"
    GATEWAY_TOKEN_ISSUED = "engagements:gateway_token:issued"  # noqa: S105 - an audit action, not a secret
    GATEWAY_TOKEN_REVOKED = "engagements:gateway_token:revoked"  # noqa: S105 - an audit action, not a secret
    ARTIFACT_UPLOADED = "engagements:artifact:uploaded"
    ARTIFACT_PURGED = "engagements:artifact:purged"
    ARTIFACT_DOWNLOAD = "engagements:artifact_download"  # chained from the access log
    CHUNKS_SWEPT = "engagements:chunks:swept"
    FINDING_FILED = "engagements:finding:filed"
    FINDING_COMMENTED = "engagements:finding:commented"
    FINDING_STATUS_SET = "engagements:finding:status_set"
    FINDING_RELABELLED = "engagements:finding:relabelled"
    FINDING_REFERRED = "engagements:finding:referred"  # to the clearinghouse (issue 14 item 8)
    FINDING_EVIDENCE_ATTACHED = "engagements:finding:evidence_attached"
    FINDING_EVIDENCE_DOWNLOADED = "engagements:finding:evidence_downloaded"


class GatewayTag(AuditTag):
    """Actions chained from the gateway's access log."""

    CALL = "gateway:call"
    REFUSALS = "gateway:refusals"


_CLOSED = {
    "released": EngagementTag.ENGAGEMENT_RELEASED,
    "withdrawn": EngagementTag.ENGAGEMENT_WITHDRAWN,
    "window_elapsed": EngagementTag.ENGAGEMENT_WINDOW_ELAPSED,
}


def closed_tag(reason: str) -> EngagementTag:
    """The action recorded when an engagement closes for ``reason`` (a ``ClosedReason`` value).

    Raises:
        KeyError: ``reason`` is not a reason an engagement closes for.
    """
    return _CLOSED[reason]
