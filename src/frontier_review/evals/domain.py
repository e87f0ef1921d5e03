"""Run states (pure)."""

from __future__ import annotations

from enum import StrEnum

from frontier_review.kernel.errors import InvalidTransition


class RunStatus(StrEnum):
    """Where a benchmark run stands: queued, running, then succeeded, failed or cancelled."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED}


_ALLOWED = {
    RunStatus.QUEUED: {RunStatus.RUNNING, RunStatus.CANCELLED},
    RunStatus.RUNNING: {RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.QUEUED},
}


def transition(current: RunStatus, target: RunStatus) -> RunStatus:
    """The next state; a finished run never changes again. RUNNING → QUEUED is the re-queue of E2."""
    if target not in _ALLOWED.get(current, set()):
        raise InvalidTransition(f"a {current.value} run cannot become {target.value}")
    return target


def count_limited(error_count: int, limit_count: int, total: int) -> str:
    """Human summary of what did not complete normally (E3: never dropped silently)."""
    parts = []
    if error_count:
        parts.append(f"{error_count} of {total} samples failed")
    if limit_count:
        parts.append(f"{limit_count} hit a limit")
    return "; ".join(parts)
