"""Access contexts reused between calls (``gateway.recent``) and the changes that end the reuse (``db.changes``).

With Redis configured, every committed write to a table the gateway's access context reads
moves the access generation before the commit returns; a gateway process on PostgreSQL reuses
a token's context only while the generation has not moved. Over real HTTP with the openai SDK,
on both databases (SQLite never reuses: its read costs less than the check).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
import redis
import sqlalchemy as sa

from frontier_review import engagements as service
from frontier_review.bootstrap import Container
from frontier_review.composition import build_container
from frontier_review.engagements.access import service as access
from frontier_review.engagements.access.context import ACCESS_TABLES, ContextLoader
from frontier_review.engagements.access.orm import AccessLog
from frontier_review.gateway import recent
from frontier_review.kernel.clock import FrozenClock
from frontier_review.mockllm import serve_fake
from tests.factories.engagements import Setup, gateway_token, make_engagement, settled
from tests.live import serve

ANSWER = "The vulnerable line is 7."


@pytest.fixture
def shared(container: Container, clock: FrozenClock, redis_url: str) -> Iterator[Container]:
    """The same database as ``container``, with Redis: its commits are announced."""
    settings = container.settings.model_copy(update={"redis_url": redis_url})
    with_redis = build_container(settings, clock=clock)
    try:
        yield with_redis
    finally:
        with_redis.close()
        with redis.Redis.from_url(redis_url) as client:  # the test's own keys, nothing else
            for key in client.scan_iter(f"{settings.queue_name}:gateway*"):
                client.delete(key)


@pytest.fixture
def setup(shared: Container) -> Iterator[Setup]:
    with serve_fake(text=ANSWER) as upstream:
        yield make_engagement(shared, upstream_url=upstream)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every context the gateway reads from the database (the server runs in this process)."""
    seen: list[str] = []
    original = ContextLoader.fetch

    async def counted(self: ContextLoader, digest: str) -> Any:
        seen.append(digest)
        return await original(self, digest)

    monkeypatch.setattr(ContextLoader, "fetch", counted)
    return seen


def generation(shared: Container) -> int:
    assert shared.settings.redis_url is not None
    with redis.Redis.from_url(shared.settings.redis_url) as client:
        return int(client.get(shared.settings.access_generation_key) or 0)


def ask(url: str, token: str, setup: Setup) -> str:
    sdk = openai.OpenAI(base_url=f"{url}/gateway/v1", api_key=token, max_retries=0, timeout=30)
    reply = sdk.chat.completions.create(model=setup.engagement.model_id, messages=[{"role": "user", "content": "Which line?"}])
    return reply.choices[0].message.content or ""


def test_only_committed_writes_to_the_access_tables_move_the_generation(shared: Container, setup: Setup) -> None:
    assert {"gateway_tokens", "engagement_participants", "engagement_revoked_users", "users"} <= ACCESS_TABLES
    assert "access_log" not in ACCESS_TABLES and "audit_log" not in ACCESS_TABLES
    token = gateway_token(shared, setup.reviewer, setup)
    before = generation(shared)
    assert before > 0  # the setup's own writes were announced
    with shared.uow() as uow:  # a read changes nothing
        access.list_my_tokens(uow, setup.reviewer.principal)
    assert generation(shared) == before
    with pytest.raises(RuntimeError), shared.uow() as uow:  # a write that rolls back is not announced
        mine = access.list_my_tokens(uow, setup.reviewer.principal)[0]
        access.revoke_token(uow, setup.reviewer.principal, mine.id)
        raise RuntimeError("refused after the write")
    assert generation(shared) == before
    with shared.uow() as uow:  # a committed one is, once, before the unit of work returns
        mine = access.list_my_tokens(uow, setup.reviewer.principal)[0]
        access.revoke_token(uow, setup.reviewer.principal, mine.id)
    assert generation(shared) == before + 1
    with shared.engine.begin() as conn:  # hand-written SQL through the platform's engine too
        conn.execute(sa.text("UPDATE users SET full_name = full_name WHERE email = :email"), {"email": setup.reviewer.email})
    assert generation(shared) == before + 2
    # The gateway's own writes (its access log, the chainer's audit entries) announce nothing.
    with serve(shared) as url:
        fresh = gateway_token(shared, setup.agency_admin, setup)
        during = generation(shared)
        for _ in range(3):
            assert ask(url, fresh, setup) == ANSWER
        with pytest.raises(openai.AuthenticationError):
            ask(url, token, setup)
    settled(shared)
    with shared.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(AccessLog)) == 3
    assert generation(shared) == during


def test_a_reused_context_saves_the_read_and_every_change_holds_on_the_next_call(
    shared: Container, setup: Setup, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recent, "REUSE_SECONDS", 60.0)  # the counts below, however slow the machine
    reviewer = gateway_token(shared, setup.reviewer, setup)
    colleague = gateway_token(shared, setup.agency_admin, setup)
    reuses = shared.engine.dialect.name != "sqlite"
    with serve(shared) as url:
        for _ in range(4):
            assert ask(url, reviewer, setup) == ANSWER
        # The first call learns the generation, the second read is stamped with it, the rest reuse it.
        assert len(reads) == (2 if reuses else 4)
        reads.clear()
        with shared.uow() as uow:
            service.revoke_user(uow, setup.developer.principal, setup.engagement.id, setup.reviewer.user.id)
        with pytest.raises(openai.PermissionDeniedError, match="revoked your access"):
            ask(url, reviewer, setup)
        assert len(reads) == 1  # the admission saw the generation move, and the call was decided on a read
        assert ask(url, colleague, setup) == ANSWER
        assert ask(url, colleague, setup) == ANSWER
        participant = next(p for p in setup.engagement.participants if p.organization_id == setup.agency.id)
        with shared.uow() as uow:
            service.revoke_participant(uow, setup.developer.principal, setup.engagement.id, participant.id)
        with pytest.raises(openai.PermissionDeniedError, match="revoked your organization's access"):
            ask(url, colleague, setup)


def test_a_change_made_behind_the_platforms_back_holds_within_the_reuse_bound(
    container: Container, shared: Container, setup: Setup, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``container`` has no Redis: its commits are not announced, like an operator's ``psql``."""
    monkeypatch.setattr(recent, "REUSE_SECONDS", 0.5)
    reviewer = gateway_token(shared, setup.reviewer, setup)
    with serve(shared) as url:
        for _ in range(3):
            assert ask(url, reviewer, setup) == ANSWER
        with container.uow() as uow:
            mine = access.list_my_tokens(uow, setup.reviewer.principal)[0]
            access.revoke_token(uow, setup.reviewer.principal, mine.id)
        time.sleep(0.6)
        with pytest.raises(openai.AuthenticationError, match="unknown or revoked"):
            ask(url, reviewer, setup)
