"""The gateway's load shedder on a real event loop: a stalled loop sheds, a caught-up one admits."""

from __future__ import annotations

import asyncio
import time

from frontier_review.gateway import errors
from frontier_review.gateway.overload import PROBE, LoadShedder


def test_a_stalled_loop_sheds_until_it_has_caught_up() -> None:
    async def scenario() -> None:
        shedder = LoadShedder(50)
        try:
            assert not shedder.overloaded()  # the first call starts the probe
            await asyncio.sleep(PROBE * 3)
            assert not shedder.overloaded()  # an idle loop is on time
            time.sleep(0.3)  # noqa: ASYNC251 - the loop is stalled on purpose: every timer fires late
            await asyncio.sleep(PROBE / 2)
            assert shedder.overloaded()
            wait = shedder.retry_after_ms()
            assert 50 <= wait <= 3 * 1000 * shedder.lag + 1
            await asyncio.sleep(PROBE * 12)  # on time again: the lag falls back
            assert not shedder.overloaded()
        finally:
            await shedder.aclose()

    asyncio.run(scenario())


def test_zero_never_sheds_and_starts_no_probe() -> None:
    async def scenario() -> None:
        shedder = LoadShedder(0)
        time.sleep(0.1)  # noqa: ASYNC251 - a stall that would shed at any positive threshold
        await asyncio.sleep(0)
        assert not shedder.overloaded()
        assert shedder._task is None
        await shedder.aclose()

    asyncio.run(scenario())


def test_the_probe_stops_once_calls_stop_coming() -> None:
    async def scenario() -> None:
        shedder = LoadShedder(50, idle=0.1)
        shedder.overloaded()
        task = shedder._task
        assert task is not None
        await asyncio.wait_for(task, 1)  # ended by itself, not cancelled
        assert not task.cancelled() and shedder.lag == 0.0

    asyncio.run(scenario())


def test_the_503_says_when_to_come_back_in_both_units() -> None:
    busy = errors.overloaded(1500)
    assert (busy.status, busy.type, busy.code) == (503, "service_unavailable", "overloaded")
    assert (busy.retry_after, busy.retry_after_ms) == (2, 1500)  # whole seconds, rounded up
    assert errors.overloaded(80).retry_after == 1
