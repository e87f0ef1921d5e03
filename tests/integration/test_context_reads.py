"""The gateway's context read on the event loop: the same context as the pooled read, fresh every time.

On PostgreSQL the read goes through ``db.async_reads`` (psycopg's async connections, autocommit);
on SQLite it runs inline on a connection of the loader's own. Both must see a revocation on the
very next read, and the PostgreSQL pool must survive its connections being killed by the server.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from frontier_review import engagements as service
from frontier_review.bootstrap import Container
from frontier_review.db.async_reads import AsyncReads
from frontier_review.db.prepared import PreparedSelect
from frontier_review.engagements.access.context import QUERY, ContextLoader
from frontier_review.security.tokens import digest_token
from tests.factories.engagements import gateway_token, make_engagement


def test_fetch_returns_what_load_returns_and_sees_a_revocation_at_once(container: Container) -> None:
    setup = make_engagement(container)
    token = gateway_token(container, setup.reviewer, setup)
    digest = digest_token(token)
    loader = ContextLoader(container.engine)

    async def scenario() -> None:
        try:
            first = await loader.fetch(digest)
            assert first is not None
            assert first == loader.load(digest)
            assert not first.access.user_revoked
            assert await loader.fetch(digest_token("frg_nothing_here")) is None
            with container.uow() as uow:  # between two reads of the same connection
                service.revoke_user(uow, setup.developer.principal, setup.engagement.id, setup.reviewer.user.id)
            after = await loader.fetch(digest)
            assert after is not None and after.access.user_revoked
            assert after == loader.load(digest)
        finally:
            await loader.aclose()

    asyncio.run(scenario())


def test_calls_of_one_turn_are_read_together_each_getting_its_own_context(container: Container) -> None:
    """On PostgreSQL the fetches of one turn of the event loop share one statement (``BATCH_QUERY``);
    each call still gets exactly the context its own read would give, unknown and revoked tokens
    included, and a revocation committed between two turns holds for the second."""
    setup = make_engagement(container)
    tokens = [gateway_token(container, setup.reviewer, setup) for _ in range(3)]
    with container.uow() as uow:
        partner = service.issue_token(uow, setup.agency_admin.principal, setup.engagement.id, name="admin").plaintext
    digests = [digest_token(t) for t in [*tokens, partner]] + [digest_token("frg_nothing_here")]
    loader = ContextLoader(container.engine)
    statements: list[int] = []

    async def scenario() -> None:
        try:
            if not container.settings.is_sqlite:
                assert loader._batch is not None
                original = AsyncReads.rows

                async def counted(self: AsyncReads, statement: Any, params: Any) -> Any:
                    statements.append(len(params["digests"]))
                    return await original(self, statement, params)

                AsyncReads.rows = counted  # type: ignore[method-assign]
            try:
                asked = [*digests, digests[0], digests[3]]  # a digest asked twice gets its context twice
                got = await asyncio.gather(*(loader.fetch(d) for d in asked))
                assert got == [loader.load(d) for d in asked]
                assert got[4] is None and got[0] is not None and got[3] is not None
                assert got[0].access.user_id == setup.reviewer.user.id
                assert got[3].access.user_id == setup.agency_admin.user.id
                second = got[1]
                assert second is not None
                with container.uow() as uow:
                    service.revoke_token(uow, setup.reviewer.principal, second.token_id)
                again = await asyncio.gather(*(loader.fetch(d) for d in digests[:3]))
                assert [c.token_revoked if c else None for c in again] == [False, True, False]
            finally:
                if not container.settings.is_sqlite:
                    AsyncReads.rows = original  # type: ignore[method-assign]
        finally:
            await loader.aclose()

    asyncio.run(scenario())
    if not container.settings.is_sqlite:
        assert statements == [len(digests), 3]  # one statement per turn, each digest once


def _postgres(container: Container) -> None:
    if container.settings.is_sqlite:
        pytest.fail("this test is parametrized to PostgreSQL only")


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_the_read_pool_survives_its_connections_being_killed(container: Container) -> None:
    _postgres(container)
    setup = make_engagement(container)
    digest = digest_token(gateway_token(container, setup.reviewer, setup))
    prepared = PreparedSelect(container.engine, QUERY)
    expected = prepared.first({"digest": digest})
    reads = AsyncReads(container.engine, size=2)

    def kill_reads() -> int:
        with container.engine.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    " AND state = 'idle' AND backend_type = 'client backend'"
                )
            ).scalar_one()
        return int(killed)

    async def scenario() -> None:
        try:
            rows = await asyncio.gather(*(reads.first(prepared, {"digest": digest}) for _ in range(6)))
            assert rows == [expected] * 6  # six reads through two connections: four waited their turn
            await asyncio.to_thread(container.engine.dispose)  # only the pool's two remain to kill
            assert await asyncio.to_thread(kill_reads) == 2
            # Both idle connections are dead: the first read fails, drops them, and retries on a new one.
            assert await reads.first(prepared, {"digest": digest}) == expected
        finally:
            await reads.aclose()

    asyncio.run(scenario())


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_closed_pool_refuses_and_a_cancelled_read_frees_its_connection(container: Container) -> None:
    _postgres(container)
    prepared = PreparedSelect(container.engine, QUERY)
    reads = AsyncReads(container.engine, size=1)

    async def scenario() -> None:
        slow: Any = PreparedSelect(container.engine, QUERY)
        slow._sql = "SELECT pg_sleep(5)"  # a read that is still running when it is cancelled
        task = asyncio.create_task(reads.first(slow, {"digest": "x"}))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The pool's one slot is free again: the next read gets a connection at once.
        assert await asyncio.wait_for(reads.first(prepared, {"digest": "none"}), 2) is None
        await reads.aclose()
        with pytest.raises(RuntimeError, match="closed"):
            await reads.first(prepared, {"digest": "none"})

    asyncio.run(scenario())
