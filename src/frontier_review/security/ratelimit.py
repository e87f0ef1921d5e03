"""Request rate limits (the ``limits`` library): in Redis when configured, else in memory.

In memory, each process counts on its own; with ``FR_REDIS_URL`` every web process shares
the counters, which is what a deployment with several processes needs.
"""

from __future__ import annotations

import logging

from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from frontier_review.config import Settings

__all__ = ["LoginRateLimit"]

log = logging.getLogger(__name__)


class LoginRateLimit:
    """At most N sign-in attempts per client address in a moving window."""

    def __init__(self, settings: Settings) -> None:
        storage: Storage
        if settings.redis_url:
            storage = RedisStorage(
                settings.redis_url,
                key_prefix=f"{settings.queue_name}:ratelimit",
                # A sign-in must not hang on an unreachable Redis: give up fast and fail open.
                socket_timeout=1,
                socket_connect_timeout=1,
            )
        else:
            storage = MemoryStorage()
        self._limiter = MovingWindowRateLimiter(storage)
        self._item = RateLimitItemPerMinute(settings.login_ip_max_attempts, settings.login_ip_window_minutes)
        self._report = RateLimitItemPerMinute(1, settings.login_ip_window_minutes)
        self.window_seconds = settings.login_ip_window_minutes * 60

    def hit(self, client: str) -> bool:
        """Count one attempt from ``client``; False when it is over the limit.

        If the counter store is unreachable the attempt is let through (and logged): account
        lockout still applies, and sign-in must not fail because Redis did.
        """
        try:
            return self._limiter.hit(self._item, "login", client)
        except Exception:  # any storage failure: fail open, loudly
            log.exception("login rate limit unavailable; letting the attempt through")
            return True

    def first_refusal(self, client: str) -> bool:
        """True once per window for a throttled ``client``: the refusal worth an audit entry.

        A flood of refused attempts would otherwise write an entry each, under the chain lock.
        """
        try:
            return self._limiter.hit(self._report, "login-throttled", client)
        except Exception:
            log.exception("login rate limit unavailable")
            return True
