"""The injectable clock: FrozenClock for tests, SystemClock for real, and ``utc``."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from frontier_review.kernel.clock import FrozenClock, SystemClock, utc

START = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)


def test_frozen_clock_default_start_is_the_order_date() -> None:
    assert FrozenClock().now() == START
    assert FrozenClock().now().tzinfo is UTC


def test_frozen_clock_stays_put_until_advanced() -> None:
    clock = FrozenClock(START)
    assert clock.now() == clock.now() == START
    clock.advance(timedelta(minutes=90))
    assert clock.now() == START + timedelta(minutes=90)
    clock.advance(timedelta(seconds=-30))
    assert clock.now() == START + timedelta(minutes=89, seconds=30)


def test_frozen_clock_normalises_an_aware_start_to_utc() -> None:
    clock = FrozenClock(datetime(2026, 6, 2, 14, 0, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == START
    assert clock.now().tzinfo is UTC


def test_frozen_clock_set() -> None:
    clock = FrozenClock(START)
    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=timezone(timedelta(hours=-5))))
    assert clock.now() == datetime(2027, 1, 1, 14, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2027, 1, 1, 9, 0))
    assert clock.now() == datetime(2027, 1, 1, 14, 0, tzinfo=UTC)


@pytest.fixture
def new_york_local_time() -> Iterator[None]:
    """Run with a local time zone five hours behind UTC (POSIX TZ string: no tzdata needed)."""
    previous = os.environ.get("TZ")
    os.environ["TZ"] = "EST+05"
    time.tzset()
    try:
        yield
    finally:
        if previous is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = previous
        time.tzset()


@pytest.mark.usefixtures("new_york_local_time")
def test_frozen_clock_refuses_a_naive_start_like_set_does() -> None:
    """A naive start is read as the machine's local time, so tests shift with the host's TZ."""
    with pytest.raises(ValueError, match="timezone-aware"):
        FrozenClock(datetime(2026, 6, 2, 12, 0))


def test_system_clock_is_aware_utc_and_current() -> None:
    before = datetime.now(UTC)
    now = SystemClock().now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after


def test_utc_helper() -> None:
    assert utc(datetime(2026, 6, 2, 12, 0)) == START
    assert utc(datetime(2026, 6, 2, 12, 0)).tzinfo is UTC
    assert utc(datetime(2026, 6, 2, 7, 0, tzinfo=timezone(timedelta(hours=-5)))) == START
    assert utc(START) == START
