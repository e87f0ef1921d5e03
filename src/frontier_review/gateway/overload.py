"""Shedding load past saturation (issue 13 item 7).

A gateway process that takes every call offered to it, past what its share of the CPU can
serve, slows every call down together: each one's work waits behind everyone else's on the
event loop, and the process spends more and more of its time on the calls' bookkeeping rather
than on serving them. Throughput falls as concurrency rises.

Instead the process measures how late its event loop runs (a probe timer, only while calls
come in), and while the loop lags more than ``FR_GATEWAY_SHED_LAG_MS`` it answers new calls at
once with 503 ``overloaded`` and a ``retry-after`` (seconds, rounded up) and ``retry-after-ms``
that the OpenAI SDK honours, before any database, quota or upstream work. Calls already
admitted go on undisturbed. Each shed call is tallied like any other refusal that names no
caller, so the audit log still says how many were turned away and when.

The lag is a moving average of the probes (each counts for ``WEIGHT``): one long pause (a
garbage collection, a slow disk) does not shed anything, a lag that lasts does within a few
probes, and one quick loop iteration in the middle of an overload does not open the door to a
new rush.
"""

from __future__ import annotations

import asyncio
import contextlib
import random

# How often the probe measures the loop's lag while calls keep coming.
PROBE = 0.025
# With no call for this long the probe stops (an idle gateway wakes for nothing).
IDLE = 5.0
# Each probe's share of the moving average.
WEIGHT = 0.3


class LoadShedder:
    """Event-loop lag, sampled while calls come in; past ``limit_ms`` new calls are shed."""

    def __init__(self, limit_ms: float, *, idle: float = IDLE) -> None:
        self.limit = limit_ms / 1000
        self._idle = idle
        self.lag = 0.0  # seconds the probe timer fired late, smoothed
        self._task: asyncio.Task[None] | None = None
        self._last_call = 0.0

    def overloaded(self) -> bool:
        """Whether a call arriving now should be shed (and keep the probe running)."""
        if self.limit <= 0:
            return False
        loop = asyncio.get_running_loop()
        self._last_call = loop.time()
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._probe())
        return self.lag > self.limit

    def retry_after_ms(self) -> int:
        """When a shed caller should come back, in milliseconds.

        About twice the current lag, spread out so the shed calls do not all return together.
        """
        return max(50, round(random.uniform(1.0, 3.0) * self.lag * 1000))  # noqa: S311 - jitter, not a secret

    async def _probe(self) -> None:
        loop = asyncio.get_running_loop()
        while loop.time() - self._last_call < self._idle:
            start = loop.time()
            await asyncio.sleep(PROBE)
            lag = max(0.0, loop.time() - start - PROBE)
            self.lag += (lag - self.lag) * WEIGHT
        self.lag = 0.0

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
