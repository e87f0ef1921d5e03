"""What the coverage area records in the audit log (values never change once entries carry them)."""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag

__all__ = ["CoverageTag"]


class CoverageTag(AuditTag):
    """The coverage area's audit actions."""

    POLICY_PUBLISHED = "coverage:policy:published"
    POLICY_CLASSIFIED_VIEWED = "coverage:policy:classified_viewed"
    POLICY_REASSESSED = "coverage:policy:reassessed"
    BENCHMARK_REGISTERED = "coverage:benchmark:registered"
    RESULT_RECORDED = "coverage:result:recorded"
    RESULT_CLASSIFIED_VIEWED = "coverage:result:classified_viewed"
    DETERMINATION_RECORDED = "coverage:determination:recorded"
    DETERMINATION_CLASSIFIED_VIEWED = "coverage:determination:classified_viewed"
    # A decision previewed with a classified policy's thresholds or scores shown (nothing recorded).
    DETERMINATION_CLASSIFIED_PREVIEWED = "coverage:determination:classified_previewed"
    # One per inquiry event; the part after the last colon is the event's kind.
    INQUIRY_FILED = "coverage:inquiry:filed"
    INQUIRY_ASSIGNED = "coverage:inquiry:assigned"
    INQUIRY_INFORMATION_REQUESTED = "coverage:inquiry:information_requested"
    INQUIRY_RESPONDED = "coverage:inquiry:responded"
    INQUIRY_RESULTS_ATTACHED = "coverage:inquiry:results_attached"
    INQUIRY_DECIDED = "coverage:inquiry:decided"
    INQUIRY_WITHDRAWN = "coverage:inquiry:withdrawn"

    @property
    def inquiry_event_kind(self) -> str:
        """The inquiry event kind stored with this action (``filed``, ``assigned``, …)."""
        area, thing, verb = self.value.split(":")
        if (area, thing) != ("coverage", "inquiry"):
            raise ValueError(f"{self.value} is not an inquiry event")
        return verb
