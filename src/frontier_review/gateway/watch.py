"""Calls in flight do not outlive access (item 9 of issue 10).

Admission is decided when a call arrives, but a stream may run for minutes. Every forwarded
call registers here while it runs:

- the instant the clock alone ends its access (the window's end, a partner designation's
  lapse) is known in advance, so a timer cuts the call exactly then;
- everything else (a revocation, a release, new terms, a revoked token) can happen in any
  process, so one task per gateway process re-reads the callers' contexts from the database
  every ``INTERVAL`` seconds while calls are in flight — one query per distinct token per
  interval, whatever the number of calls, and none at all when nothing is in flight — and
  cuts the calls no longer admitted.

A cut call ends cleanly: a stream gets a final error event, a call still waiting for its
upstream gets the refusal; the upstream connection is closed, which cancels the upstream's work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from frontier_review.engagements.access.domain import CallContext, Refusal, access_ends, admission, api_refusal

log = logging.getLogger(__name__)
INTERVAL = 1.0


class Cuttable(Protocol):
    """A call in flight, as the watch sees it."""

    ctx: CallContext | None
    variant: str | None

    def cut(self, refusal: Refusal) -> None: ...


def still_admitted(ctx: CallContext | None, variant: str | None, now: datetime) -> Refusal | None:
    """Why a call admitted earlier must stop now (None: it may go on)."""
    if ctx is None or ctx.token_revoked:
        return Refusal("token_revoked", "this gateway token was revoked")
    return admission(ctx.access, now) or api_refusal(ctx.access.materials, variant)


class Watch:
    """The calls in flight in this process, and the task that re-checks them."""

    def __init__(
        self, load: Callable[[str], Awaitable[CallContext | None]], now: Callable[[], datetime], interval: float = INTERVAL
    ) -> None:
        self._load = load
        self._now = now
        self._interval = interval
        self._calls: dict[Cuttable, asyncio.TimerHandle | None] = {}
        self._task: asyncio.Task[None] | None = None

    def add(self, call: Cuttable) -> None:
        """Watch ``call`` until :meth:`remove`; its access end is timed now."""
        assert call.ctx is not None
        loop = asyncio.get_running_loop()
        ends = access_ends(call.ctx.access)
        delay = (ends - self._now()).total_seconds()
        timer = loop.call_later(max(delay, 0.0), self._at_end, call) if delay < 86_400 else None
        self._calls[call] = timer
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._run())

    def remove(self, call: Cuttable) -> None:
        timer = self._calls.pop(call, None)
        if timer is not None:
            timer.cancel()

    def _at_end(self, call: Cuttable) -> None:
        if call in self._calls and call.ctx is not None:
            # The clock may lag the event loop's timer by a hair: judge at the end itself.
            refusal = admission(call.ctx.access, max(self._now(), access_ends(call.ctx.access)))
            if refusal is not None:
                call.cut(refusal)

    async def _run(self) -> None:
        while self._calls:
            await asyncio.sleep(self._interval)
            by_token: dict[str, list[Cuttable]] = {}
            for call in list(self._calls):
                if call.ctx is not None:
                    by_token.setdefault(call.ctx.token_digest, []).append(call)
            for digest, calls in by_token.items():
                try:
                    fresh = await self._load(digest)
                except Exception:  # the database is away: keep the calls, try again next interval
                    log.exception("re-checking gateway calls in flight failed")
                    continue
                now = self._now()
                for call in calls:
                    refusal = still_admitted(fresh, call.variant, now)
                    if refusal is not None and call in self._calls:
                        call.cut(refusal)

    async def aclose(self) -> None:
        for timer in self._calls.values():
            if timer is not None:
                timer.cancel()
        self._calls.clear()
        if self._task is not None:
            self._task.cancel()
