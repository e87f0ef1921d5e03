"""Run states, the "within noise" rule and the estimate of a run's remaining time (pure)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
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


# Comparing a run with a reference model -----------------------------------------------------


def combined_stderr(stderr_a: float | None, stderr_b: float | None) -> float | None:
    """The standard error of a difference of two independent scores: sqrt(se_a² + se_b²).

    ``None`` when either standard error is unknown (a result imported without one).
    """
    if stderr_a is None or stderr_b is None:
        return None
    return math.hypot(stderr_a, stderr_b)


def within_noise(score: float, stderr: float | None, reference: float, reference_stderr: float | None) -> bool | None:
    """Whether two scores differ by no more than the combined standard error (the "within noise" rule).

    The rule: |score - reference| <= sqrt(stderr² + reference_stderr²), one standard error of
    the difference of two independent runs. It is deliberately lenient: a difference inside it
    is called noise; one outside it is shown as a difference, not claimed significant (that
    would take about twice the combined standard error). ``None`` when a standard error is
    unknown: then nothing is said either way.
    """
    combined = combined_stderr(stderr, reference_stderr)
    if combined is None:
        return None
    # A tolerance for scores that round-trip through JSON and floats: a difference equal to the
    # combined error counts as within it.
    return abs(score - reference) <= combined + 1e-12


# Elapsed time and the estimate of what remains -----------------------------------------------

MIN_SAMPLES_FOR_ESTIMATE = 3
MIN_SHARE_FOR_ESTIMATE = 0.05


@dataclass(frozen=True)
class RunTiming:
    """How long a run has taken and, while it runs, how long it may still take.

    ``remaining`` is ``None`` while there is not enough progress to estimate from (the page says
    "estimating…"); it is zero when every sample is done and the run is finishing.
    """

    elapsed: timedelta | None
    remaining: timedelta | None
    running: bool


def estimate_remaining(done: int, total: int, elapsed: timedelta) -> timedelta | None:
    """The time left at the pace so far: elapsed / done × (total − done).

    Estimated only once at least three samples and 5 % of the total are done (before that, one
    slow first answer or the runner's start-up would swing the figure widely); ``None`` until then.
    """
    if total <= 0 or done <= 0:
        return None
    if done < MIN_SAMPLES_FOR_ESTIMATE or done < MIN_SHARE_FOR_ESTIMATE * total:
        return None
    if done >= total:
        return timedelta(0)
    return timedelta(seconds=elapsed.total_seconds() / done * (total - done))


def run_timing(
    status: RunStatus,
    *,
    started_at: datetime | None,
    finished_at: datetime | None,
    duration_seconds: float | None,
    samples_done: int,
    samples_total: int,
    now: datetime,
) -> RunTiming:
    """Elapsed time of a run (queued: none yet) and, while it runs, the estimate of what remains."""
    if status is RunStatus.RUNNING and started_at is not None:
        elapsed = max(now - started_at, timedelta(0))
        return RunTiming(elapsed, estimate_remaining(samples_done, samples_total, elapsed), running=True)
    if status.finished:
        if duration_seconds is not None:
            return RunTiming(timedelta(seconds=duration_seconds), None, running=False)
        if started_at is not None and finished_at is not None:
            return RunTiming(max(finished_at - started_at, timedelta(0)), None, running=False)
    return RunTiming(None, None, running=False)


def format_duration(value: timedelta, *, approximate: bool = False) -> str:
    """A duration people read at a glance: "42 s", "3 min 05 s", "1 h 02 min".

    ``approximate`` (for estimates) drops false precision: "under a minute", "about 4 min",
    "about 1 h 20 min".
    """
    seconds = max(0, round(value.total_seconds()))
    if approximate:
        if seconds < 60:
            return "under a minute"
        minutes = math.ceil(seconds / 60)
        hours, minutes = divmod(minutes, 60)
        return f"about {hours} h {minutes:02d} min" if hours else f"about {minutes} min"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"
