"""Access contexts reused between a caller's calls, for as long as nothing that decides them changed.

On PostgreSQL the context read was the largest part of what the gateway adds to a call at
concurrency 1 (about 1 ms of round trip to a server that had gone idle; docs/performance.md).
With Redis, which every call already visits to count its quota, a context read for a token is
reused by the next calls of that token on three conditions:

* **Nothing that decides access was committed since it was read.** Each context is stamped with
  the *access generation* (a Redis counter that every committed write to the tables the context
  reads increments before its commit returns: ``db.changes``) as last seen *before* its read
  started. A call that reuses it sends that stamp with its quota admission, and the admission
  script refuses to count it when the generation moved (``quotas.STALE``); the call then reads
  the context again and is decided on that. So once a revocation's request has answered, the
  next call in every process reads the database, as it would with no reuse.
* **It is younger than** :data:`REUSE_SECONDS`. This bounds what the generation cannot see: a
  change written outside the application, or an announcement lost to a Redis failure.
* **It admitted the call.** A refusal is only ever decided on a context read for that call: a
  reused context that would refuse is dropped and read again.

A context that a call finds within :data:`REFRESH_SECONDS` of the end of its reuse is read again
in the background, once, while it keeps serving: under steady load a token's calls then never
wait for a read. Before, every call that arrived between the expiry and the new read's answer
read the database itself; at concurrency 64 on two processes those were 2–3% of the calls, and
each waited 10–30 ms for a read queued behind the others (docs/performance.md, "Session 13").
The read ahead is stamped and checked like any other, so it changes nothing of the conditions.

Only gateway calls that reach quota admission reuse a context (``/models`` reads afresh), and the
calls in flight are still re-checked on fresh reads (``watch``). Without Redis, or on SQLite
(whose read is a fraction of a millisecond in-process), nothing is reused.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from frontier_review.engagements.access.context import ContextLoader
from frontier_review.engagements.access.domain import CallContext

log = logging.getLogger(__name__)

REUSE_SECONDS = 1.0
REFRESH_SECONDS = 0.25  # a context this close to the end of its reuse is read again, ahead
LIMIT = 10_000  # tokens remembered at most; past it the oldest half is forgotten


@dataclass(frozen=True)
class Reused:
    """A context read for an earlier call, and the access generation seen before that read."""

    context: CallContext
    generation: int
    until: float  # monotonic seconds


class CallContexts:
    """The gateway's contexts: read by the loader, reused while the access generation holds."""

    def __init__(self, loader: ContextLoader, *, reuse: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self._loader = loader
        self._reuse = reuse
        self._clock = clock
        self._recent: dict[str, Reused] = {}
        self._generation: int | None = None  # as the latest admission's answer saw it
        self._ahead: dict[str, asyncio.Task[None]] = {}  # reads ahead in flight, by digest

    def observe(self, generation: int | None) -> None:
        """Note the access generation an admission saw.

        The answers come back in order on one connection, so the latest is the current value.
        It is taken even when lower: a Redis that lost the counter (restarted without its
        data, or evicted it) starts again from 0, and every context stamped before is dropped.
        """
        if generation is not None:
            self._generation = generation

    def recent(self, digest: str) -> Reused | None:
        """The context reused for this token's next call, if one may be."""
        found = self._recent.get(digest)
        if found is None:
            return None
        left = found.until - self._clock()
        if left <= 0 or found.generation != self._generation:
            del self._recent[digest]  # too old, or already known to predate a change
            return None
        if left <= REFRESH_SECONDS and digest not in self._ahead:
            task = asyncio.get_running_loop().create_task(self._read_ahead(digest))
            self._ahead[digest] = task
            task.add_done_callback(lambda _: self._ahead.pop(digest, None))
        return found

    async def _read_ahead(self, digest: str) -> None:
        try:
            await self.fetch(digest)
        except Exception:  # the first call past the expiry reads it itself, and answers for it
            log.warning("reading a gateway access context ahead failed; the next call reads it")

    def close(self) -> None:
        """Stop the reads ahead in flight (the gateway is shutting down)."""
        for task in list(self._ahead.values()):
            task.cancel()

    def forget(self, digest: str) -> None:
        self._recent.pop(digest, None)

    async def fetch(self, digest: str) -> CallContext | None:
        """Read the context for a token now, and keep it for reuse.

        The stamp is the generation seen before the read started: every change committed after
        that moves the generation past it, so a stamp can only be too old (one read more), never
        too new.
        """
        stamp, started = self._generation, self._clock()
        context = await self._loader.fetch(digest)
        if not self._reuse:
            return context
        self._recent.pop(digest, None)  # an unknown or revoked token's earlier context goes too
        if stamp is not None and context is not None and not context.token_revoked:
            if len(self._recent) >= LIMIT:
                for old in list(self._recent)[: LIMIT // 2]:  # dicts keep insertion order: oldest first
                    del self._recent[old]
            self._recent[digest] = Reused(context, stamp, started + REUSE_SECONDS)
        return context
