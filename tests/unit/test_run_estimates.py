"""Pure rules behind the run pages: the "within noise" rule and the estimate of the time left."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.evals.domain import (
    RunStatus,
    combined_stderr,
    estimate_remaining,
    format_duration,
    run_timing,
    within_noise,
)

NOW = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
scores = st.floats(min_value=0, max_value=1, allow_nan=False)
errors = st.floats(min_value=0, max_value=0.5, allow_nan=False)


# Within noise: |a - b| <= sqrt(se_a² + se_b²) ------------------------------------------------


@pytest.mark.parametrize(
    ("a", "se_a", "b", "se_b", "expected"),
    [
        (0.71, 0.06, 0.55, 0.06, False),  # 0.16 > 0.0849
        (0.60, 0.06, 0.55, 0.06, True),  # 0.05 <= 0.0849
        (0.55, 0.03, 0.59, 0.04, True),  # exactly the combined error (0.05): within
        (0.50, 0.0, 0.50, 0.0, True),  # identical, no error
        (0.51, 0.0, 0.50, 0.0, False),  # any difference with no error at all
        (0.71, None, 0.55, 0.06, None),  # a stderr unknown: not judged
        (0.71, 0.06, 0.55, None, None),
    ],
)
def test_within_noise(a: float, se_a: float | None, b: float, se_b: float | None, expected: bool | None) -> None:
    assert within_noise(a, se_a, b, se_b) is expected


def test_the_combined_stderr_is_the_stderr_of_a_difference() -> None:
    assert combined_stderr(0.03, 0.04) == pytest.approx(0.05)
    assert combined_stderr(None, 0.04) is None


@given(scores, errors, scores, errors)
def test_within_noise_is_symmetric_and_matches_the_rule(a: float, se_a: float, b: float, se_b: float) -> None:
    verdict = within_noise(a, se_a, b, se_b)
    assert verdict is within_noise(b, se_b, a, se_a)
    limit = math.sqrt(se_a**2 + se_b**2)
    if abs(a - b) < limit * (1 - 1e-9):
        assert verdict is True
    if abs(a - b) > limit * (1 + 1e-9) + 1e-9:
        assert verdict is False


# The estimate of the time left ---------------------------------------------------------------


def test_estimating_until_three_samples_and_five_percent_are_done() -> None:
    elapsed = timedelta(minutes=2)
    assert estimate_remaining(0, 60, elapsed) is None
    assert estimate_remaining(2, 60, elapsed) is None  # fewer than three
    assert estimate_remaining(3, 60, elapsed) == timedelta(seconds=120 / 3 * 57)
    assert estimate_remaining(20, 1000, elapsed) is None  # 2 % of the total
    assert estimate_remaining(50, 1000, elapsed) == timedelta(seconds=120 / 50 * 950)
    assert estimate_remaining(5, 0, elapsed) is None


def test_nothing_left_once_every_sample_is_done() -> None:
    assert estimate_remaining(60, 60, timedelta(minutes=5)) == timedelta(0)


@given(st.integers(min_value=3, max_value=10_000), st.integers(min_value=0, max_value=10_000), st.integers(1, 86_400))
def test_the_estimate_is_the_pace_so_far(done: int, extra: int, seconds: int) -> None:
    total = done + extra
    remaining = estimate_remaining(done, total, timedelta(seconds=seconds))
    if done < 0.05 * total:
        assert remaining is None
    else:
        assert remaining is not None
        assert remaining.total_seconds() == pytest.approx(seconds / done * extra, rel=1e-6, abs=1e-3)


def test_run_timing_by_state() -> None:
    started = NOW - timedelta(minutes=2)
    common = {"finished_at": None, "duration_seconds": None, "now": NOW}
    queued = run_timing(RunStatus.QUEUED, started_at=None, samples_done=0, samples_total=60, **common)  # type: ignore[arg-type]
    assert (queued.elapsed, queued.remaining, queued.running) == (None, None, False)
    early = run_timing(RunStatus.RUNNING, started_at=started, samples_done=1, samples_total=60, **common)  # type: ignore[arg-type]
    assert (early.elapsed, early.remaining, early.running) == (timedelta(minutes=2), None, True)
    going = run_timing(RunStatus.RUNNING, started_at=started, samples_done=12, samples_total=60, **common)  # type: ignore[arg-type]
    assert going.remaining == timedelta(minutes=8)
    done = run_timing(
        RunStatus.SUCCEEDED,
        started_at=started,
        finished_at=NOW,
        duration_seconds=95.5,
        samples_done=60,
        samples_total=60,
        now=NOW + timedelta(hours=1),
    )
    assert (done.elapsed, done.remaining, done.running) == (timedelta(seconds=95.5), None, False)
    no_duration = run_timing(
        RunStatus.CANCELLED, started_at=started, finished_at=NOW, duration_seconds=None, samples_done=3, samples_total=60, now=NOW
    )
    assert no_duration.elapsed == timedelta(minutes=2)


@pytest.mark.parametrize(
    ("seconds", "exact", "approximate"),
    [
        (0, "0 s", "under a minute"),
        (42, "42 s", "under a minute"),
        (185, "3 min 05 s", "about 4 min"),
        (3600, "1 h 00 min", "about 1 h 00 min"),
        (3725, "1 h 02 min", "about 1 h 03 min"),
    ],
)
def test_durations_read_at_a_glance(seconds: int, exact: str, approximate: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == exact
    assert format_duration(timedelta(seconds=seconds), approximate=True) == approximate
