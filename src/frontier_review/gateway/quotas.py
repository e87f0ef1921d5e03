"""Per-participant quotas: requests per minute and per day, tokens per day (UTC days).

Counters live in Redis when ``FR_REDIS_URL`` is set (shared by every gateway process), else in
this process's memory. Counter keys carry the minute or the day, so windows align to the clock,
and each key expires once its window is over. A refused attempt still counts toward the
request limits. If Redis is unreachable the call is refused (fail closed).

Tokens are *reserved* before a call is forwarded and *settled* after it (item 10 of issue 10):
admission counts the request and, in the same atomic step, takes the call's worst case
(``max_tokens × n`` plus the prompt) out of the day's budget, capped to what is left; the
gateway then tells the upstream to generate no more than the reservation allows, and settles
with the tokens really used (giving back the rest). So neither one large call nor a burst of
concurrent ones can spend more than the day's budget.

Admission is one Redis round trip (a Lua script: both request counters and the reservation),
on every call's path; the in-memory store is a dictionary, touched only from the event loop,
so each of its steps is atomic by construction.

The same script first checks the *access generation* (``db.changes``) when the call's access
context was reused rather than read (``gateway.recent``): if anything that decides access was
committed since that context was read, it answers :data:`STALE` without counting anything, and
the gateway reads the context again. Every answer names the generation it saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, cast

from frontier_review.config import Settings
from frontier_review.engagements.lifecycle.domain import Quotas
from frontier_review.gateway import errors
from frontier_review.gateway.resp import PipelinedRedis, RedisReplyError

DAY = 86_400
MINUTE_TTL = 120  # a minute's counter outlives its minute, so clock skew between processes is harmless
DAY_TTL = DAY + 3600

# What admission answers, besides the counts.
ADMITTED, OVER_MINUTE, OVER_DAY, OUT_OF_TOKENS, STALE = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Limits:
    """One admission's limits and the tokens it asks for."""

    per_minute: int
    per_day: int
    tokens_per_day: int
    wanted: int  # the call's worst case
    least: int  # below this much left, the call cannot be served at all


class CounterStore(Protocol):
    """Where quota counters live: Redis shared by every gateway process, or memory in one process."""

    async def admit(
        self, minute_key: str, day_key: str, tokens_key: str, limits: Limits, expected: int | None
    ) -> tuple[int, int, int | None]:
        """Count one request under both keys and, if within the limits, reserve tokens.

        With ``expected``, first check that the access generation is still that (else STALE,
        nothing counted). Returns (one of ADMITTED, OVER_MINUTE, OVER_DAY, OUT_OF_TOKENS, STALE;
        the tokens reserved; the access generation, or None where there is none).
        """

    async def add_tokens(self, tokens_key: str, tokens: int) -> None:
        """Add (or, when negative, give back) tokens to the day's count."""

    async def close(self) -> None: ...


class MemoryCounters:
    """Counters in this process's memory (one gateway process, or tests)."""

    def __init__(self) -> None:
        self._values: dict[str, tuple[int, float]] = {}
        self._next_sweep = 0.0

    def _incr(self, key: str, ttl: int, amount: int, now: float) -> int:
        value, expires = self._values.get(key, (0, 0.0))
        if expires <= now:
            value, expires = 0, now + ttl
        value += amount
        self._values[key] = (value, expires)
        return value

    def _get(self, key: str, now: float) -> int:
        value, expires = self._values.get(key, (0, 0.0))
        return value if expires > now else 0

    def _sweep(self, now: float) -> None:
        if now >= self._next_sweep:  # forget finished windows now and then, not on every call
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
            self._next_sweep = now + 60

    async def admit(
        self, minute_key: str, day_key: str, tokens_key: str, limits: Limits, expected: int | None
    ) -> tuple[int, int, int | None]:
        # No await from here to the end: on the event loop this whole step is atomic. No process
        # shares this memory, so there is no access generation (and nothing reuses contexts).
        now = time.monotonic()
        self._sweep(now)
        per_minute = self._incr(minute_key, MINUTE_TTL, 1, now)
        per_day = self._incr(day_key, DAY_TTL, 1, now)
        verdict = _verdict(per_minute, per_day, self._get(tokens_key, now), limits)
        if verdict[0] == ADMITTED and verdict[1]:
            self._incr(tokens_key, DAY_TTL, verdict[1], now)
        return (*verdict, None)

    async def add_tokens(self, tokens_key: str, tokens: int) -> None:
        self._incr(tokens_key, DAY_TTL, tokens, time.monotonic())

    async def close(self) -> None:
        return None


def _verdict(per_minute: int, per_day: int, used: int, limits: Limits) -> tuple[int, int]:
    """The same decision as :data:`ADMIT_SCRIPT`, for the in-memory store."""
    if per_minute > limits.per_minute:
        return OVER_MINUTE, 0
    if per_day > limits.per_day:
        return OVER_DAY, 0
    left = limits.tokens_per_day - used
    if left < max(limits.least, 1):
        return OUT_OF_TOKENS, 0
    return ADMITTED, min(limits.wanted, left)


# KEYS: minute, day, tokens, access generation. ARGV: minute ttl, day ttl, per minute, per day,
# tokens per day, wanted, least, expected generation ('' when the context was just read).
# Checking, counting and reserving in one script: no other call or change can slip in between.
ADMIT_SCRIPT = """
local g = tonumber(redis.call('GET', KEYS[4]) or '0')
if ARGV[8] ~= '' and tonumber(ARGV[8]) ~= g then return {4, 0, g} end
local m = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX')
local d = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[2], 'NX')
if m > tonumber(ARGV[3]) then return {1, 0, g} end
if d > tonumber(ARGV[4]) then return {2, 0, g} end
local left = tonumber(ARGV[5]) - tonumber(redis.call('GET', KEYS[3]) or '0')
if left < math.max(tonumber(ARGV[7]), 1) then return {3, 0, g} end
local grant = math.min(tonumber(ARGV[6]), left)
if grant > 0 then
  redis.call('INCRBY', KEYS[3], grant)
  redis.call('EXPIRE', KEYS[3], ARGV[2], 'NX')
end
return {0, grant, g}
"""


class RedisCounters:
    """Counters in Redis, shared by every gateway process, over one pipelined connection (``resp``).

    Settlements made in one turn of the event loop are summed per key and sent together in the
    next turn (:meth:`add_tokens`): at concurrency 64 most of a turn's settlements are one
    participant's, so dozens of calls' two commands each become two.
    """

    def __init__(self, url: str, prefix: str, generation_key: str) -> None:
        self._redis = PipelinedRedis(url)
        self._prefix = prefix
        self._generation_key = generation_key
        self._sha = hashlib.sha1(ADMIT_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis names scripts by SHA-1
        self._settling: tuple[dict[str, int], asyncio.Task[None]] | None = None  # this turn's sums, and their sending

    async def admit(
        self, minute_key: str, day_key: str, tokens_key: str, limits: Limits, expected: int | None
    ) -> tuple[int, int, int | None]:
        p = self._prefix
        keys = (p + minute_key, p + day_key, p + tokens_key, self._generation_key)
        args = (
            *(MINUTE_TTL, DAY_TTL, limits.per_minute, limits.per_day, limits.tokens_per_day, limits.wanted, limits.least),
            "" if expected is None else expected,
        )
        try:
            reply = await self._redis.call("EVALSHA", self._sha, 4, *keys, *args)
        except RedisReplyError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
            # Not loaded yet (a new or restarted server): EVAL sends the script, which Redis then keeps.
            reply = await self._redis.call("EVAL", ADMIT_SCRIPT, 4, *keys, *args)
        assert isinstance(reply, list)
        verdict, granted, generation = reply
        return int(cast(int, verdict)), int(cast(int, granted)), int(cast(int, generation))

    async def add_tokens(self, tokens_key: str, tokens: int) -> None:
        """Add ``tokens`` with every other settlement of this turn of the loop; returns once Redis has them."""
        if self._settling is None:
            # A task, not the first caller, sends the sums: a caller cancelled meanwhile (its call
            # cut) must not take the others' settlements with it.
            self._settling = ({}, asyncio.get_running_loop().create_task(self._send_settlements()))
        sums, sending = self._settling
        key = self._prefix + tokens_key
        sums[key] = sums.get(key, 0) + tokens
        await asyncio.shield(sending)

    async def _send_settlements(self) -> None:
        # A task's first step runs in the loop's next turn: every settlement of this one is in.
        assert self._settling is not None
        sums, self._settling = self._settling[0], None
        commands = [
            command
            for key, tokens in sums.items()
            if tokens
            for command in (("INCRBY", key, tokens), ("EXPIRE", key, DAY_TTL, "NX"))
        ]
        if commands:
            await self._redis.pipeline(*commands)

    async def close(self) -> None:
        if self._settling is not None:
            with contextlib.suppress(Exception):
                await self._settling[1]
        await self._redis.aclose()


@dataclass(frozen=True)
class Reservation:
    """Tokens taken out of a participant's day before a call is forwarded."""

    participant: uuid.UUID
    day: str
    tokens: int
    generation: int | None = None  # the access generation admission saw (None without Redis)


class StaleContext(Exception):
    """The reused access context predates a committed change: read it again (nothing was counted)."""

    def __init__(self, generation: int) -> None:
        super().__init__(generation)
        self.generation = generation


class QuotaCounter:
    """Per-participant quotas: requests per minute and per day, and tokens per day, reserved before a call."""

    def __init__(self, settings: Settings) -> None:
        self._store: CounterStore = (
            RedisCounters(settings.redis_url, f"{settings.queue_name}:gateway:", settings.access_generation_key)
            if settings.redis_url
            else MemoryCounters()
        )
        self.shared = settings.redis_url is not None  # counters, and the access generation, shared by every process

    async def admit(
        self,
        participant: uuid.UUID,
        quotas: Quotas,
        now: datetime,
        *,
        wanted: int = 0,
        least: int = 0,
        generation: int | None = None,
    ) -> Reservation:
        """Count one request and reserve up to ``wanted`` tokens; raise a 429 when a limit is reached.

        Args:
            participant: Whose quotas.
            quotas: The participant's limits.
            now: The call's instant (its minute and UTC day name the counters).
            wanted: The call's worst case in tokens; the reservation is capped to what is left today.
            least: The fewest tokens the call can be served with (its prompt and one token per choice).
            generation: The access generation a reused context was stamped with (``gateway.recent``).

        Returns:
            The reservation, to settle with :meth:`settle` once the call's real usage is known.

        Raises:
            StaleContext: ``generation`` is no longer current; nothing was counted.
        """
        day, minute = now.strftime("%Y-%m-%d"), now.strftime("%Y-%m-%dT%H:%M")
        limits = Limits(quotas.requests_per_minute, quotas.requests_per_day, quotas.tokens_per_day, max(wanted, 0), least)
        try:
            verdict, granted, seen = await self._store.admit(
                f"rpm:{participant}:{minute}", f"rpd:{participant}:{day}", f"tpd:{participant}:{day}", limits, generation
            )
        except Exception as exc:  # any storage failure: refuse rather than run unmetered
            raise errors.GatewayError(503, "quota counters are unavailable; try again shortly", "service_unavailable") from exc
        if verdict == STALE:
            assert seen is not None
            raise StaleContext(seen)
        if verdict == OVER_MINUTE:
            raise errors.quota(
                f"over your organization's quota of {quotas.requests_per_minute} requests per minute",
                "rate_limit_exceeded",
                retry_after=_seconds_to_next_minute(now),
            )
        if verdict == OVER_DAY:
            raise errors.quota(
                f"over your organization's quota of {quotas.requests_per_day} requests per day (UTC)",
                "rate_limit_exceeded",
                retry_after=_seconds_to_next_day(now),
            )
        if verdict == OUT_OF_TOKENS:
            message = f"your organization used its {quotas.tokens_per_day} tokens for today (UTC)"
            if least > 1:
                message += "; what is left today is too little for this request"
            raise errors.quota(message, "insufficient_quota", retry_after=_seconds_to_next_day(now))
        return Reservation(participant, day, granted, seen)

    async def settle(self, reservation: Reservation, used: int) -> None:
        """Replace a reservation by the tokens really used (giving back the difference)."""
        delta = max(used, 0) - reservation.tokens
        if delta:
            try:
                await self._store.add_tokens(f"tpd:{reservation.participant}:{reservation.day}", delta)
            except Exception:  # the call is served and recorded; the access log still has the tokens
                return

    async def charge_tokens(self, participant: uuid.UUID, tokens: int, now: datetime) -> None:
        """Add tokens used outside a reservation to the day's count."""
        if tokens > 0:
            await self.settle(Reservation(participant, now.strftime("%Y-%m-%d"), 0), tokens)

    async def close(self) -> None:
        await self._store.close()


def _seconds_to_next_minute(now: datetime) -> int:
    return max(1, 60 - now.second)


def _seconds_to_next_day(now: datetime) -> int:
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - now).total_seconds()))
