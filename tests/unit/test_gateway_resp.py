"""The gateway's pipelined Redis connection: RESP2 parsing, and behaviour against the real server."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
import redis
import uvloop
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.gateway.quotas import Limits, RedisCounters
from frontier_review.gateway.resp import PipelinedRedis, RedisReplyError, _Incomplete, _Protocol, encode, parse

# -- parsing -----------------------------------------------------------------------------------

replies = st.recursive(
    st.none() | st.integers(-(2**63), 2**63 - 1) | st.binary(max_size=40),
    lambda inner: st.lists(inner, max_size=5),
    max_leaves=20,
)


def wire(reply: Any) -> bytes:
    """How Redis sends ``reply`` (RESP2)."""
    if reply is None:
        return b"$-1\r\n"
    if isinstance(reply, int):
        return b":%d\r\n" % reply
    if isinstance(reply, bytes):
        return b"$%d\r\n%s\r\n" % (len(reply), reply)
    return b"*%d\r\n" % len(reply) + b"".join(wire(item) for item in reply)


@given(st.lists(replies, min_size=1, max_size=6), st.data())
def test_replies_split_anywhere_reach_their_callers_in_order(sent: list[Any], data: st.DataObject) -> None:
    async def scenario() -> list[Any]:
        protocol = _Protocol()
        loop = asyncio.get_running_loop()
        waiters = [loop.create_future() for _ in sent]
        protocol.expect(waiters)
        stream = b"".join(wire(r) for r in sent)
        cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=6)))
        for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
            protocol.data_received(stream[start:end])
        assert not protocol.buffer and not protocol.waiting and not protocol.deadlines
        assert protocol.timer is not None
        protocol.timer.cancel()
        return [w.result() for w in waiters]

    assert asyncio.run(scenario()) == sent


def test_status_error_and_incomplete_replies() -> None:
    assert parse(b"+OK\r\n") == (b"OK", 5)
    error, used = parse(b"-NOSCRIPT No matching script\r\n:1\r\n")
    assert isinstance(error, RedisReplyError) and str(error).startswith("NOSCRIPT") and used == 30
    for partial in (b"", b":12", b"$5\r\nabc", b"*2\r\n:1\r\n", b"*1\r\n$3\r\nab"):
        with pytest.raises(_Incomplete):
            parse(partial)
    assert encode("SET", b"k", 12) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n"


def test_a_reply_out_of_step_fails_every_waiting_command() -> None:
    async def scenario() -> None:
        protocol = _Protocol()
        waiters = [asyncio.get_running_loop().create_future() for _ in range(2)]
        protocol.expect(waiters)
        protocol.data_received(b"?what\r\n")
        assert protocol.closed and protocol.timer is None
        for waiter in waiters:
            with pytest.raises(ConnectionError, match="unexpected reply"):
                waiter.result()

    asyncio.run(scenario())


# -- against the real server -----------------------------------------------------------------------


@pytest.fixture
def prefix(redis_url: str) -> Any:
    name = f"fr-test-resp-{uuid.uuid4().hex[:8]}:"
    yield name
    with redis.Redis.from_url(redis_url) as client:
        for key in client.scan_iter(f"{name}*"):
            client.delete(key)


@pytest.mark.redis
@pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])  # servers run on uvloop
def test_many_concurrent_commands_share_one_connection(run: Any, redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        client = PipelinedRedis(redis_url)
        try:
            counts = await asyncio.gather(*(client.call("INCR", prefix + "n") for _ in range(500)))
            assert sorted(counts) == list(range(1, 501))  # type: ignore[type-var]
            assert await client.pipeline(("SET", prefix + "s", "v"), ("GET", prefix + "s"), ("GET", prefix + "none")) == [
                b"OK",
                b"v",
                None,
            ]
            with pytest.raises(RedisReplyError, match=r"WRONGTYPE|not an integer"):
                await client.call("INCR", prefix + "s")
            assert await client.call("GET", prefix + "n") == b"500"  # the connection is still in step
        finally:
            await client.aclose()

    run(scenario())


class _CountingTransport:
    """A transport's stand-in that counts the writes and passes everything on."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.writes: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.real.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.redis
@pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_commands_issued_in_one_turn_of_the_loop_leave_in_one_write(run: Any, redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        client = PipelinedRedis(redis_url)
        try:
            await client.call("PING")  # connected
            conn = client._conn
            assert conn is not None and conn.transport is not None
            counting = _CountingTransport(conn.transport)
            conn.transport = counting  # type: ignore[assignment]
            writes = counting.writes
            counts = await asyncio.gather(*(client.call("INCR", prefix + "w") for _ in range(50)))
            assert sorted(counts) == list(range(1, 51))  # type: ignore[type-var]
            assert len(writes) == 1, len(writes)
            assert writes[0].count(b"INCR") == 50
            assert await client.call("GET", prefix + "w") == b"50"  # a later turn: its own write
            assert len(writes) == 2
        finally:
            await client.aclose()

    run(scenario())


@pytest.mark.redis
@pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_settlements_of_one_turn_are_summed_per_key_and_survive_a_cancelled_caller(run: Any, redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        counters = RedisCounters(redis_url, prefix, prefix + "access-generation")
        try:
            await counters._redis.call("PING")  # connected
            conn = counters._redis._conn
            assert conn is not None and conn.transport is not None
            counting = _CountingTransport(conn.transport)
            conn.transport = counting  # type: ignore[assignment]
            settling = [asyncio.ensure_future(counters.add_tokens(key, n)) for key, n in [("a", 5), ("b", 7)] * 20]
            settling.append(asyncio.ensure_future(counters.add_tokens("c", 3)))
            settling.append(asyncio.ensure_future(counters.add_tokens("c", -3)))  # sums to nothing: not sent
            await asyncio.sleep(0)  # every settlement has joined this turn's sums
            settling[0].cancel()  # a call cut after settling: its tokens and the others' still land
            results = await asyncio.gather(*settling, return_exceptions=True)
            assert isinstance(results[0], asyncio.CancelledError) and results[1:] == [None] * (len(settling) - 1)
            assert len(counting.writes) == 1
            assert counting.writes[0].count(b"INCRBY") == 2
            with redis.Redis.from_url(redis_url) as admin:
                assert (admin.get(prefix + "a"), admin.get(prefix + "b"), admin.exists(prefix + "c")) == (b"100", b"140", 0)
                assert 0 < admin.ttl(prefix + "a") <= 86_400 + 3600
            await counters.add_tokens("a", -40)  # a later turn: a write of its own
            assert len(counting.writes) == 2
            with redis.Redis.from_url(redis_url) as admin:
                assert admin.get(prefix + "a") == b"60"
        finally:
            await counters.close()

    run(scenario())


@pytest.mark.redis
def test_a_killed_connection_fails_its_commands_and_the_next_one_reconnects(redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        client = PipelinedRedis(redis_url)
        try:
            await client.call("CLIENT", "SETNAME", prefix.rstrip(":"))
            with redis.Redis.from_url(redis_url) as admin:
                killed = [c for c in admin.client_list() if c.get("name") == prefix.rstrip(":")]
                assert len(killed) == 1
                admin.execute_command("CLIENT", "KILL", "ID", killed[0]["id"])
            await asyncio.sleep(0.05)
            assert await client.call("INCR", prefix + "after") == 1  # a new connection
        finally:
            await client.aclose()

    asyncio.run(scenario())


@pytest.mark.redis
def test_admission_loads_its_script_after_the_server_forgot_it(redis_url: str, prefix: str) -> None:
    async def scenario() -> None:
        counters = RedisCounters(redis_url, prefix, prefix + "access-generation")
        limits = Limits(per_minute=10, per_day=100, tokens_per_day=1000, wanted=30, least=1)
        try:
            with redis.Redis.from_url(redis_url) as admin:
                admin.script_flush()
            assert await counters.admit("m", "d", "t", limits, None) == (0, 30, 0)
            with redis.Redis.from_url(redis_url) as admin:
                assert admin.execute_command("SCRIPT", "EXISTS", counters._sha) == [1]  # EVAL kept it for the next EVALSHA
            assert await counters.admit("m", "d", "t", limits, None) == (0, 30, 0)
            await counters.add_tokens("t", -50)
            with redis.Redis.from_url(redis_url) as admin:
                assert int(admin.get(prefix + "t") or 0) == 10
                assert 0 < admin.ttl(prefix + "t") <= 86_400 + 3600
        finally:
            await counters.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("run", [asyncio.run, uvloop.run], ids=["asyncio", "uvloop"])
def test_a_silent_server_fails_every_waiting_command_after_the_timeout_and_the_next_reconnects(run: Any) -> None:
    """A server that takes the connection and never answers: each connection's one timer, armed
    for its oldest command, fails them all; an answered command never trips it."""

    async def scenario() -> None:
        connections: list[asyncio.StreamWriter] = []
        answer = False

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(writer)
            while data := await reader.read(65536):
                if answer:
                    writer.write(b"+PONG\r\n" * data.count(b"PING"))

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = PipelinedRedis(f"redis://127.0.0.1:{port}/0", timeout=0.3)
        try:
            loop = asyncio.get_running_loop()
            began = loop.time()
            first = asyncio.ensure_future(client.call("PING"))
            await asyncio.sleep(0.2)
            second = asyncio.ensure_future(client.call("PING"))  # its own deadline is later, the connection's is not
            for waiting in (first, second):
                with pytest.raises(TimeoutError, match="did not answer in time"):
                    await waiting
            assert 0.25 <= loop.time() - began < 1.0
            answer = True
            for _ in range(3):  # a new connection, answered well within its timeout, again and again
                assert await client.call("PING") == b"PONG"
                await asyncio.sleep(0.2)
            assert len(connections) == 2
        finally:
            await client.aclose()
            server.close()

    run(scenario())


def test_an_unreachable_server_raises_at_once() -> None:
    from tests.live import closed_port

    async def scenario(port: int) -> None:
        client = PipelinedRedis(f"redis://127.0.0.1:{port}/0")
        with pytest.raises(ConnectionRefusedError):
            await client.call("PING")

    with closed_port() as port:
        asyncio.run(scenario(port))
