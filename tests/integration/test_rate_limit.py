"""Sign-in rate limits shared between processes through Redis."""

from __future__ import annotations

import uuid

import pytest
import redis

from frontier_review.config import Settings
from frontier_review.security.ratelimit import LoginRateLimit


@pytest.mark.redis
def test_two_processes_share_one_counter(settings: Settings, redis_url: str) -> None:
    shared = settings.model_copy(
        update={"redis_url": redis_url, "login_ip_max_attempts": 4, "queue_name": f"fr-rl-{uuid.uuid4().hex[:8]}"}
    )
    first, second = LoginRateLimit(shared), LoginRateLimit(shared)
    assert [first.hit("203.0.113.7"), second.hit("203.0.113.7"), first.hit("203.0.113.7"), second.hit("203.0.113.7")] == [
        True
    ] * 4
    assert not first.hit("203.0.113.7")
    assert second.hit("198.51.100.2")  # another address has its own budget
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{shared.queue_name}:ratelimit*"))
    assert keys
    client.delete(*keys)


def test_memory_limit_without_redis(settings: Settings) -> None:
    limit = LoginRateLimit(settings.model_copy(update={"login_ip_max_attempts": 2}))
    assert limit.hit("a") and limit.hit("a")
    assert not limit.hit("a")


def test_an_unreachable_counter_store_lets_sign_in_through(settings: Settings) -> None:
    from tests.live import free_port

    dead = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0", "login_ip_max_attempts": 1})
    limit = LoginRateLimit(dead)
    assert limit.hit("a")
    assert limit.hit("a")  # fails open: account lockout still protects each account
