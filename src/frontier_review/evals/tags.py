"""What the evals area records in the audit log (values never change once entries carry them)."""

from __future__ import annotations

from frontier_review.evals.domain import RunStatus
from frontier_review.kernel.tags import AuditTag

__all__ = ["EvalsTag"]


class EvalsTag(AuditTag):
    """The evals area's audit actions."""

    BENCHMARK_SEALED = "evals:benchmark:sealed"
    BENCHMARK_ITEMS_VIEWED = "evals:benchmark:items_viewed"
    TARGET_CREATED = "evals:target:created"
    TARGET_CLASSIFIED_ALLOWED = "evals:target:classified_allowed"
    TARGET_CLASSIFIED_REVOKED = "evals:target:classified_revoked"
    LEGACY_SEALED = "evals:legacy:sealed"
    RUN_QUEUED = "evals:run:queued"
    RUN_REQUEUED = "evals:run:requeued"
    RUN_CANCEL_REQUESTED = "evals:run:cancel_requested"
    RUN_SUCCEEDED = "evals:run:succeeded"
    RUN_FAILED = "evals:run:failed"
    RUN_CLASSIFIED_SCORE_VIEWED = "evals:run:classified_score_viewed"
    RUN_TRANSCRIPTS_VIEWED = "evals:run:transcripts_viewed"
    RUN_LOG_EXPORTED = "evals:run:log_exported"

    @classmethod
    def for_finished_run(cls, status: RunStatus) -> EvalsTag:
        """The action the runner records when a run ends in ``status`` (succeeded or failed)."""
        return _BY_FINISH[status]


_BY_FINISH: dict[RunStatus, EvalsTag] = {
    RunStatus.SUCCEEDED: EvalsTag.RUN_SUCCEEDED,
    RunStatus.FAILED: EvalsTag.RUN_FAILED,
}
