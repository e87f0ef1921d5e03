"""Per-participant quotas: requests per minute and per day, tokens per day (UTC days).

Counters live in the ``limits`` library's storage: Redis when ``FR_REDIS_URL`` is set (shared by
every gateway process), else this process's memory. Counter keys carry the minute or the day,
so windows align to the clock. A refused attempt still counts toward the request limits. If
the counter store is unreachable the call is refused (fail closed).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from limits.aio.storage import MemoryStorage, RedisStorage, Storage

from frontier_review.config import Settings
from frontier_review.engagements.domain import Quotas
from frontier_review.gateway import errors

DAY = 86_400


class QuotaCounter:
    def __init__(self, settings: Settings) -> None:
        self._storage: Storage
        if settings.redis_url:
            uri = settings.redis_url.replace("redis://", "async+redis://", 1).replace("rediss://", "async+rediss://", 1)
            self._storage = RedisStorage(
                uri,
                implementation="redispy",
                key_prefix=f"{settings.queue_name}:gateway",
                socket_timeout=1,
                socket_connect_timeout=1,
                # redis-py's asyncio pool raises (rather than waits) past its size; size it for
                # every concurrent call one gateway process may hold.
                max_connections=1024,
            )
        else:
            self._storage = MemoryStorage()

    async def admit(self, participant: uuid.UUID, quotas: Quotas, now: datetime) -> None:
        """Count one request; raise a 429 when a limit is reached."""
        day, minute = now.strftime("%Y-%m-%d"), now.strftime("%Y-%m-%dT%H:%M")
        try:
            per_minute = await self._storage.incr(f"rpm:{participant}:{minute}", 120)
            per_day = await self._storage.incr(f"rpd:{participant}:{day}", DAY + 3600)
            tokens = await self._storage.get(f"tpd:{participant}:{day}")
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
                await self._storage.incr(f"tpd:{participant}:{now.strftime('%Y-%m-%d')}", DAY + 3600, tokens)
            except Exception:  # the call is served and recorded; the access log still has the tokens
                return
