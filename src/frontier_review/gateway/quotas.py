"""Per-participant quotas: requests per minute and per day, tokens per day (UTC days).

Counters live in Redis when ``FR_REDIS_URL`` is set (shared by every gateway process), else in
this process's memory. Counter keys carry the minute or the day, so windows align to the clock,
and each key expires once its window is over. A refused attempt still counts toward the
request limits. If Redis is unreachable the call is refused (fail closed).

Admission is one Redis round trip (a pipeline: both counters and the day's tokens), on every
call's path; the in-memory store is a dictionary, touched only from the event loop.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Protocol

from frontier_review.config import Settings
from frontier_review.engagements.domain import Quotas
from frontier_review.gateway import errors

DAY = 86_400
MINUTE_TTL = 120  # a minute's counter outlives its minute, so clock skew between processes is harmless
DAY_TTL = DAY + 3600


class CounterStore(Protocol):
    async def admit(self, minute_key: str, day_key: str, tokens_key: str) -> tuple[int, int, int]:
        """Count one request under both keys; return (this minute's, today's, today's tokens)."""

    async def add_tokens(self, tokens_key: str, tokens: int) -> None: ...

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

    def _sweep(self, now: float) -> None:
        if now >= self._next_sweep:  # forget finished windows now and then, not on every call
            self._values = {k: v for k, v in self._values.items() if v[1] > now}
            self._next_sweep = now + 60

    async def admit(self, minute_key: str, day_key: str, tokens_key: str) -> tuple[int, int, int]:
        now = time.monotonic()
        self._sweep(now)
        tokens, expires = self._values.get(tokens_key, (0, 0.0))
        return (
            self._incr(minute_key, MINUTE_TTL, 1, now),
            self._incr(day_key, DAY_TTL, 1, now),
            tokens if expires > now else 0,
        )

    async def add_tokens(self, tokens_key: str, tokens: int) -> None:
        self._incr(tokens_key, DAY_TTL, tokens, time.monotonic())

    async def close(self) -> None:
        return None


class RedisCounters:
    """Counters in Redis, shared by every gateway process."""

    def __init__(self, url: str, prefix: str) -> None:
        from redis.asyncio import Redis

        # redis-py's asyncio pool raises (rather than waits) past its size: size it for every
        # concurrent call one gateway process may hold.
        self._redis = Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1, max_connections=1024)
        self._prefix = prefix

    async def admit(self, minute_key: str, day_key: str, tokens_key: str) -> tuple[int, int, int]:
        p = self._prefix
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.incr(p + minute_key)
            pipe.expire(p + minute_key, MINUTE_TTL, nx=True)
            pipe.incr(p + day_key)
            pipe.expire(p + day_key, DAY_TTL, nx=True)
            pipe.get(p + tokens_key)
            per_minute, _, per_day, _, tokens = await pipe.execute()
        return int(per_minute), int(per_day), int(tokens or 0)

    async def add_tokens(self, tokens_key: str, tokens: int) -> None:
        key = self._prefix + tokens_key
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.incrby(key, tokens)
            pipe.expire(key, DAY_TTL, nx=True)
            await pipe.execute()

    async def close(self) -> None:
        await self._redis.aclose()  # type: ignore[attr-defined]  # redis-py 5+; the stubs predate it


class QuotaCounter:
    def __init__(self, settings: Settings) -> None:
        self._store: CounterStore = (
            RedisCounters(settings.redis_url, f"{settings.queue_name}:gateway:") if settings.redis_url else MemoryCounters()
        )

    async def admit(self, participant: uuid.UUID, quotas: Quotas, now: datetime) -> None:
        """Count one request; raise a 429 when a limit is reached."""
        day, minute = now.strftime("%Y-%m-%d"), now.strftime("%Y-%m-%dT%H:%M")
        try:
            per_minute, per_day, tokens = await self._store.admit(
                f"rpm:{participant}:{minute}", f"rpd:{participant}:{day}", f"tpd:{participant}:{day}"
            )
        except Exception as exc:  # any storage failure: refuse rather than run unmetered
            raise errors.GatewayError(503, "quota counters are unavailable; try again shortly", "service_unavailable") from exc
        if per_minute > quotas.requests_per_minute:
            raise errors.quota(
                f"over your organization's quota of {quotas.requests_per_minute} requests per minute", "rate_limit_exceeded"
            )
        if per_day > quotas.requests_per_day:
            raise errors.quota(
                f"over your organization's quota of {quotas.requests_per_day} requests per day (UTC)", "rate_limit_exceeded"
            )
        if tokens >= quotas.tokens_per_day:
            raise errors.quota(f"your organization used its {quotas.tokens_per_day} tokens for today (UTC)", "insufficient_quota")

    async def charge_tokens(self, participant: uuid.UUID, tokens: int, now: datetime) -> None:
        if tokens > 0:
            try:
                await self._store.add_tokens(f"tpd:{participant}:{now.strftime('%Y-%m-%d')}", tokens)
            except Exception:  # the call is served and recorded; the access log still has the tokens
                return

    async def close(self) -> None:
        await self._store.close()
