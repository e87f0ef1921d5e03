"""Request rate limits (the ``limits`` library): in Redis when configured, else in memory.

In memory, each process counts on its own; with ``FR_REDIS_URL`` every web process shares
the counters, which is what a deployment with several processes needs.
"""

from __future__ import annotations

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from frontier_review.config import Settings


class LoginRateLimit:
    """At most N sign-in attempts per client address in a moving window."""

    def __init__(self, settings: Settings) -> None:
        storage: Storage
        if settings.redis_url:
            storage = RedisStorage(settings.redis_url, key_prefix=f"{settings.queue_name}:ratelimit")
        else:
            storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)
        self._item = RateLimitItemPerMinute(settings.login_ip_max_attempts, settings.login_ip_window_minutes)
        self.window_seconds = settings.login_ip_window_minutes * 60

    def hit(self, client: str) -> bool:
        """Count one attempt from ``client``; False when it is over the limit."""
        return self._limiter.hit(self._item, "login", client)
