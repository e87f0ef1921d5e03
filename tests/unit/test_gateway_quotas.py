"""Gateway quotas: requests per minute and per day, tokens per day, in memory and in real Redis.

The behaviour tests run on both stores; the Redis ones use a queue name of their own (the key
prefix) and delete only their own keys afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from frontier_review.config import Settings
from frontier_review.engagements.lifecycle.domain import Quotas
from frontier_review.gateway import quotas
from frontier_review.gateway.errors import GatewayError
from frontier_review.gateway.quotas import (
    ADMITTED,
    DAY_TTL,
    MINUTE_TTL,
    OUT_OF_TOKENS,
    OVER_DAY,
    Limits,
    MemoryCounters,
    QuotaCounter,
    RedisCounters,
    StaleContext,
)

NOW = datetime(2026, 6, 2, 12, 0, 30, tzinfo=UTC)
ALICE = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
BOB = uuid.UUID("00000000-0000-4000-8000-0000000000b0")
MANY = 1_000_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def bare_settings(tmp_path: Path) -> Settings:
    """Settings without a database or Redis (the counters touch neither unless told)."""
    return Settings(data_dir=tmp_path / "data", queue_name=f"fr-quota-{uuid.uuid4().hex[:8]}")


def own_keys(settings: Settings) -> list[bytes]:
    assert settings.redis_url is not None
    with redis.Redis.from_url(settings.redis_url) as client:
        return sorted(client.scan_iter(f"{settings.queue_name}:gateway:*"))


@pytest.fixture
def redis_settings(bare_settings: Settings, redis_url: str) -> Iterator[Settings]:
    settings = bare_settings.model_copy(update={"redis_url": redis_url})
    yield settings
    keys = own_keys(settings)
    if keys:
        with redis.Redis.from_url(redis_url) as client:
            client.delete(*keys)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def counter(request: pytest.FixtureRequest, bare_settings: Settings) -> AsyncIterator[QuotaCounter]:
    settings = request.getfixturevalue("redis_settings") if request.param == "redis" else bare_settings
    quota = QuotaCounter(settings)
    yield quota
    await quota.close()


async def attempt(counter: QuotaCounter, limits: Quotas, now: datetime = NOW, participant: uuid.UUID = ALICE) -> str:
    """``ok``, or the status, type and code of the refusal."""
    try:
        await counter.admit(participant, limits, now)
    except GatewayError as refused:
        return f"{refused.status} {refused.type} {refused.code}"
    return "ok"


async def attempts(counter: QuotaCounter, limits: Quotas, count: int, now: datetime = NOW) -> list[str]:
    return [await attempt(counter, limits, now) for _ in range(count)]


OK, RATE, QUOTA = "ok", "429 rate_limit_error rate_limit_exceeded", "429 rate_limit_error insufficient_quota"


# limits on both stores -------------------------------------------------------------------


@pytest.mark.anyio
async def test_requests_per_minute(counter: QuotaCounter) -> None:
    limits = Quotas(requests_per_day=MANY, tokens_per_day=MANY, requests_per_minute=3)
    assert await attempts(counter, limits, 4) == [OK, OK, OK, RATE]
    with pytest.raises(GatewayError, match="quota of 3 requests per minute"):
        await counter.admit(ALICE, limits, NOW + timedelta(seconds=29))
    assert await attempt(counter, limits, participant=BOB) == OK  # each participant has its own count
    assert await attempts(counter, limits, 3, NOW + timedelta(seconds=30)) == [OK, OK, OK]  # 12:01 starts fresh


@pytest.mark.anyio
async def test_requests_per_day(counter: QuotaCounter) -> None:
    limits = Quotas(requests_per_day=3, tokens_per_day=MANY, requests_per_minute=MANY)
    late = datetime(2026, 6, 2, 23, 59, 59, tzinfo=UTC)
    assert await attempts(counter, limits, 2, NOW) == [OK, OK]
    assert await attempts(counter, limits, 2, late) == [OK, RATE]  # other minutes, the same UTC day
    with pytest.raises(GatewayError, match=r"quota of 3 requests per day \(UTC\)"):
        await counter.admit(ALICE, limits, late)
    assert await attempts(counter, limits, 4, late + timedelta(seconds=1)) == [OK, OK, OK, RATE]  # a new UTC day


@pytest.mark.anyio
async def test_a_refused_attempt_still_counts(counter: QuotaCounter) -> None:
    limits = Quotas(requests_per_day=3, tokens_per_day=MANY, requests_per_minute=2)
    assert await attempts(counter, limits, 3) == [OK, OK, RATE]
    # Two admitted and one refused make three today: the next minute's first attempt is the fourth.
    assert await attempt(counter, limits, NOW + timedelta(minutes=1)) == RATE


@pytest.mark.anyio
async def test_tokens_per_day(counter: QuotaCounter) -> None:
    limits = Quotas(requests_per_day=MANY, tokens_per_day=100, requests_per_minute=MANY)
    assert await attempt(counter, limits) == OK
    await counter.charge_tokens(ALICE, 60, NOW)
    await counter.charge_tokens(ALICE, 39, NOW)
    assert await attempt(counter, limits) == OK  # 99 of 100 used
    await counter.charge_tokens(ALICE, 1, NOW)
    assert await attempt(counter, limits) == QUOTA
    with pytest.raises(GatewayError, match="used its 100 tokens for today"):
        await counter.admit(ALICE, limits, NOW)
    assert await attempt(counter, limits, participant=BOB) == OK
    assert await attempt(counter, limits, NOW + timedelta(days=1)) == OK


@pytest.mark.anyio
async def test_nothing_to_charge_is_not_charged(counter: QuotaCounter) -> None:
    limits = Quotas(requests_per_day=MANY, tokens_per_day=1, requests_per_minute=MANY)
    await counter.charge_tokens(ALICE, 0, NOW)
    await counter.charge_tokens(ALICE, -5, NOW)
    assert await attempt(counter, limits) == OK


# memory ----------------------------------------------------------------------------------


class FakeTime:
    """Stands in for the ``time`` module inside ``quotas`` only (the event loop keeps its clock)."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(quotas, "time", fake)
    return fake


LOOSE = Limits(per_minute=MANY, per_day=MANY, tokens_per_day=MANY, wanted=0, least=0)


@pytest.mark.anyio
async def test_memory_entries_past_their_expiry_are_forgotten(fake_time: FakeTime) -> None:
    store = MemoryCounters()
    assert await store.admit("m", "d", "t", LOOSE, None) == (ADMITTED, 0, None)
    await store.add_tokens("t", 50)
    tight = Limits(per_minute=2, per_day=2, tokens_per_day=50, wanted=0, least=0)
    assert await store.admit("m", "d", "t", tight, None) == (OUT_OF_TOKENS, 0, None)  # two this minute, 50 of 50 tokens used
    fake_time.now += MINUTE_TTL
    assert await store.admit("m", "d", "t", tight, None) == (OVER_DAY, 0, None)  # the minute's counter expired, the day's did not
    fake_time.now += DAY_TTL
    assert await store.admit("m", "d", "t", tight, None) == (ADMITTED, 0, None)  # the day's counters and tokens expired too


@pytest.mark.anyio
async def test_memory_forgets_finished_windows(fake_time: FakeTime) -> None:
    """Counters of past minutes and days do not pile up in a long-running process."""
    store = MemoryCounters()
    await store.admit("m1", "d1", "t1", LOOSE, None)
    await store.add_tokens("t1", 5)
    fake_time.now += DAY_TTL
    await store.admit("m2", "d2", "t2", LOOSE, None)
    assert sorted(store._values) == ["d2", "m2"]


# the access generation (reused contexts, ``gateway.recent``) -------------------------------------


@pytest.mark.redis
@pytest.mark.anyio
async def test_a_stale_access_generation_is_refused_and_nothing_is_counted(redis_settings: Settings) -> None:
    counter = QuotaCounter(redis_settings)
    limits = Quotas(requests_per_day=3, tokens_per_day=MANY, requests_per_minute=MANY)
    try:
        assert (await counter.admit(ALICE, limits, NOW)).generation == 0  # never moved yet
        assert (await counter.admit(ALICE, limits, NOW, generation=0)).generation == 0
        with redis.Redis.from_url(str(redis_settings.redis_url)) as client:
            client.incr(redis_settings.access_generation_key)  # a change was committed meanwhile
        with pytest.raises(StaleContext) as stale:
            await counter.admit(ALICE, limits, NOW, generation=0)
        assert stale.value.generation == 1
        assert (await counter.admit(ALICE, limits, NOW, generation=1)).generation == 1  # the third of the day
        assert await attempt(counter, limits) == RATE  # the fourth: the stale attempt was not counted
    finally:
        await counter.close()


@pytest.mark.anyio
async def test_without_redis_there_is_no_access_generation(bare_settings: Settings) -> None:
    counter = QuotaCounter(bare_settings)
    assert not counter.shared
    assert (await counter.admit(ALICE, Quotas(MANY, MANY, MANY), NOW)).generation is None


# reservations (item 10) on both stores --------------------------------------------------------


@pytest.mark.anyio
async def test_a_reservation_is_capped_to_what_is_left_and_settled_to_what_was_used(counter: QuotaCounter) -> None:
    limits = Quotas(requests_per_day=MANY, tokens_per_day=1000, requests_per_minute=MANY)
    first = await counter.admit(ALICE, limits, NOW, wanted=700, least=10)
    assert first.tokens == 700
    second = await counter.admit(ALICE, limits, NOW, wanted=700, least=10)
    assert second.tokens == 300  # capped: only 300 were left while the first call was in flight
    with pytest.raises(GatewayError, match="too little for this request"):
        await counter.admit(ALICE, limits, NOW, wanted=700, least=10)
    await counter.settle(first, 100)  # the first call used 100 of its 700: 600 come back
    third = await counter.admit(ALICE, limits, NOW, wanted=5000, least=10)
    assert third.tokens == 600
    await counter.settle(second, 0)  # a failed call gives back all of it
    await counter.settle(third, 600)
    assert (await counter.admit(ALICE, limits, NOW, wanted=5000, least=1)).tokens == 300


@pytest.mark.anyio
async def test_concurrent_reservations_never_exceed_the_day(counter: QuotaCounter) -> None:
    """A burst of concurrent calls: the reservations together never pass the budget."""
    import asyncio

    limits = Quotas(requests_per_day=MANY, tokens_per_day=10_000, requests_per_minute=MANY)

    async def one() -> int:
        try:
            return (await counter.admit(BOB, limits, NOW, wanted=1_500, least=50)).tokens
        except GatewayError:
            return 0

    granted = await asyncio.gather(*(one() for _ in range(40)))
    assert sum(granted) == 10_000
    assert sum(1 for g in granted if g) == 7  # six whole reservations and the 1000 left


@pytest.mark.anyio
async def test_quota_refusals_say_when_to_retry(counter: QuotaCounter) -> None:
    limits = Quotas(requests_per_day=MANY, tokens_per_day=MANY, requests_per_minute=1)
    await counter.admit(ALICE, limits, NOW)
    with pytest.raises(GatewayError) as caught:
        await counter.admit(ALICE, limits, NOW)
    assert caught.value.retry_after == 30  # NOW is 12:00:30
    daily = Quotas(requests_per_day=MANY, tokens_per_day=10, requests_per_minute=MANY)
    await counter.charge_tokens(BOB, 10, NOW)
    with pytest.raises(GatewayError) as out:
        await counter.admit(BOB, daily, NOW)
    assert out.value.retry_after == 12 * 3600 - 30  # to the next UTC midnight


# Redis -----------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.redis
async def test_redis_keys_carry_the_window_and_expire(redis_settings: Settings) -> None:
    counter = QuotaCounter(redis_settings)
    limits = Quotas(requests_per_day=MANY, tokens_per_day=MANY, requests_per_minute=MANY)
    try:
        await counter.admit(ALICE, limits, NOW)
        await counter.charge_tokens(ALICE, 7, NOW)
    finally:
        await counter.close()
    prefix = f"{redis_settings.queue_name}:gateway:"
    rpm, rpd, tpd = (
        f"{prefix}rpm:{ALICE}:2026-06-02T12:00",
        f"{prefix}rpd:{ALICE}:2026-06-02",
        f"{prefix}tpd:{ALICE}:2026-06-02",
    )
    assert own_keys(redis_settings) == sorted(key.encode() for key in (rpm, rpd, tpd))
    assert redis_settings.redis_url is not None
    with redis.Redis.from_url(redis_settings.redis_url) as client:
        assert 0 < client.ttl(rpm) <= MINUTE_TTL
        assert 0 < client.ttl(rpd) <= DAY_TTL
        assert 0 < client.ttl(tpd) <= DAY_TTL
        assert int(client.get(tpd) or 0) == 7


@pytest.mark.anyio
@pytest.mark.redis
async def test_redis_counting_keeps_the_first_expiry(redis_settings: Settings) -> None:
    """Each window expires from its first use: later calls do not push the expiry back."""
    counter = QuotaCounter(redis_settings)
    limits = Quotas(requests_per_day=MANY, tokens_per_day=MANY, requests_per_minute=MANY)
    key = f"{redis_settings.queue_name}:gateway:rpm:{ALICE}:2026-06-02T12:00"
    assert redis_settings.redis_url is not None
    try:
        await counter.admit(ALICE, limits, NOW)
        with redis.Redis.from_url(redis_settings.redis_url) as client:
            client.expire(key, 5)
            await counter.admit(ALICE, limits, NOW)
            assert 0 < client.ttl(key) <= 5
            assert int(client.get(key) or 0) == 2
    finally:
        await counter.close()


@pytest.mark.anyio
@pytest.mark.redis
async def test_two_gateway_processes_share_the_counts(redis_settings: Settings) -> None:
    first, second = QuotaCounter(redis_settings), QuotaCounter(redis_settings)
    limits = Quotas(requests_per_day=MANY, tokens_per_day=10, requests_per_minute=3)
    try:
        assert [await attempt(c, limits) for c in (first, second, first, second)] == [OK, OK, OK, RATE]
        await first.charge_tokens(BOB, 10, NOW)
        assert await attempt(second, limits, participant=BOB) == QUOTA
    finally:
        await first.close()
        await second.close()


@pytest.mark.anyio
async def test_unreachable_redis_refuses_the_call(bare_settings: Settings) -> None:
    from tests.live import free_port

    dead = bare_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    counter = QuotaCounter(dead)
    limits = Quotas()
    try:
        with pytest.raises(GatewayError) as caught:
            await counter.admit(ALICE, limits, NOW)
        await counter.charge_tokens(ALICE, 10, NOW)  # the call was served and logged: charging fails quietly
    finally:
        await counter.close()
    assert (caught.value.status, caught.value.outcome) == (503, "service_unavailable")
    assert isinstance(caught.value.__cause__, ConnectionRefusedError)  # failed closed on the connection itself


def test_the_store_follows_the_settings(bare_settings: Settings) -> None:
    assert isinstance(QuotaCounter(bare_settings)._store, MemoryCounters)
    with_redis = bare_settings.model_copy(update={"redis_url": "redis://127.0.0.1:6379/0"})
    assert isinstance(QuotaCounter(with_redis)._store, RedisCounters)  # connects lazily: no server needed here
