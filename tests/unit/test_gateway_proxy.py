"""The gateway's HTTP/1.1 client against hand-written answers from raw loopback servers.

Each upstream here is an ``asyncio`` server on 127.0.0.1 that reads one request at a time and
writes exactly the bytes a test gives it, so framing, keep-alive and failures are exact. The
async tests run on the standard event loop and on uvloop (which the gateway serves on).
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import re
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.engagements.access.domain import UpstreamTarget
from frontier_review.gateway import proxy
from frontier_review.gateway.errors import GatewayError
from frontier_review.gateway.proxy import UpstreamResponse, Upstreams, error_message, scrub, sse_events

KEY = "sk-upstream-secret-123"
BODY = {"model": "atlas-upstream", "messages": [{"role": "user", "content": "hi"}]}

# An answer writes to the connection after a whole request was read; False closes the connection.
Answer = Callable[[asyncio.StreamWriter], Awaitable[bool]]


@pytest.fixture(
    params=[
        pytest.param(("asyncio", {"use_uvloop": False}), id="asyncio"),
        pytest.param(("asyncio", {"use_uvloop": True}), id="uvloop"),
    ]
)
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, bool]]:
    backend: tuple[str, dict[str, bool]] = request.param
    return backend


class Upstream:
    """A raw HTTP/1.1 server on 127.0.0.1 that counts connections and keeps each request."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.connections = 0
        self.requests: list[bytes] = []
        self.port = 0
        self._handlers: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Upstream:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._handlers:  # stalled answers wait forever: end them with the server
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    def target(self, api_key: str | None = KEY) -> UpstreamTarget:
        return UpstreamTarget("standard", f"http://127.0.0.1:{self.port}/v1", api_key, "atlas-upstream")

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return  # the client closed the connection
                length = re.search(rb"(?im)^content-length: *(\d+)\r$", head)
                body = await reader.readexactly(int(length[1])) if length else b""
                self.requests.append(head + body)
                if not await self.answer(writer):
                    return
        except ConnectionError:
            return  # the client gave up on the answer and closed the connection
        except asyncio.CancelledError:
            return  # shutting down; ended normally, as asyncio's stream callback expects on 3.11
        finally:
            writer.close()


def send(*parts: bytes, close: bool = False, pause: float = 0.0) -> Answer:
    """Write ``parts`` (``pause`` seconds apart); keep the connection open unless ``close``."""

    async def answer(writer: asyncio.StreamWriter) -> bool:
        for index, part in enumerate(parts):
            if index and pause:
                await asyncio.sleep(pause)
            writer.write(part)
            await writer.drain()
        return not close

    return answer


def then_stall(*parts: bytes) -> Answer:
    """Write ``parts``, then never another byte (until the test's server shuts down)."""

    async def answer(writer: asyncio.StreamWriter) -> bool:
        await send(*parts)(writer)
        await asyncio.Event().wait()
        return False

    return answer


def response(body: bytes, *headers: str, status: str = "200 OK", version: str = "HTTP/1.1") -> bytes:
    """A content-length answer with ``headers`` added."""
    head = "".join(f"{header}\r\n" for header in headers)
    return f"{version} {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


def chunked(*pieces: bytes, headers: str = "") -> list[bytes]:
    """A chunked answer: the head, then one write per piece, then the last chunk."""
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n{headers}\r\n".encode()
    return [head, *(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces), b"0\r\n\r\n"]


ANSWER = json.dumps({"id": "chatcmpl-1", "choices": [{"message": {"content": "hello"}}]}).encode()


@pytest.fixture
async def upstreams() -> AsyncIterator[Upstreams]:
    pool = Upstreams(allow_private=True, timeout_seconds=5.0)
    yield pool
    await pool.close()


async def ask(pool: Upstreams, server: Upstream) -> UpstreamResponse:
    return await pool.open(server.target(), "/chat/completions", BODY)


async def collect(answer: UpstreamResponse) -> list[bytes]:
    return [data async for data in answer.chunks()]


async def refusal(pool: Upstreams, target: UpstreamTarget) -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        await pool.open(target, "/chat/completions", BODY)
    return caught.value


# framing ---------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_content_length_json_body(upstreams: Upstreams) -> None:
    async with Upstream(send(response(ANSWER))) as server:
        answer = await ask(upstreams, server)
        assert answer.status == 200
        assert await answer.json() == {"id": "chatcmpl-1", "choices": [{"message": {"content": "hello"}}]}
        answer.release()


@pytest.mark.anyio
async def test_chunked_body_is_decoded(upstreams: Upstreams) -> None:
    async with Upstream(send(*chunked(b'data: {"a": 1}\n\n', b"data: [DONE]\n\n"))) as server:
        answer = await ask(upstreams, server)
        assert answer.status == 200
        assert b"".join(await collect(answer)) == b'data: {"a": 1}\n\ndata: [DONE]\n\n'
        answer.release()


@pytest.mark.anyio
async def test_a_stream_is_handed_over_before_it_ends(upstreams: Upstreams) -> None:
    """The second chunk is only sent once the client has the first: nothing waits for the end."""
    first_seen = asyncio.Event()
    head, first, second, last = chunked(b"data: 1\n\n", b"data: 2\n\n")

    async def answer(writer: asyncio.StreamWriter) -> bool:
        writer.write(head + first)
        await first_seen.wait()
        writer.write(second + last)
        return True

    async with Upstream(answer) as server:
        reply = await ask(upstreams, server)
        pieces = reply.chunks()
        assert await anext(pieces) == b"data: 1\n\n"
        first_seen.set()
        assert [data async for data in pieces] == [b"data: 2\n\n"]
        reply.release()


@pytest.mark.anyio
async def test_a_large_body_arrives_whole_and_in_order(upstreams: Upstreams) -> None:
    """Several times the read-pause threshold: reading pauses and resumes without losing bytes."""
    body = bytes(range(256)) * (5 * proxy.HIGH_WATER // 256)
    async with Upstream(send(response(body))) as server:
        answer = await ask(upstreams, server)
        received = bytearray()
        async for data in answer.chunks():
            received += data
            await asyncio.sleep(0)  # a slow reader lets the unread body pile up
        assert bytes(received) == body
        answer.release()
        again = await ask(upstreams, server)
        assert await again.read(len(body)) == body
        again.release()
        assert server.connections == 1


@pytest.mark.anyio
async def test_invalid_http_is_an_unreachable_upstream(upstreams: Upstreams) -> None:
    async with Upstream(send(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")) as server:
        error = await refusal(upstreams, server.target())
    assert (error.status, error.message) == (502, "the model's server could not be reached")


@pytest.mark.anyio
async def test_a_body_delimited_by_connection_close_is_complete(upstreams: Upstreams) -> None:
    async with Upstream(send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n", ANSWER, close=True)) as server:
        answer = await ask(upstreams, server)
        assert await answer.read(1024) == ANSWER
        answer.release()


# keep-alive ------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_keep_alive_connection_is_reused(upstreams: Upstreams) -> None:
    async with Upstream(send(response(ANSWER))) as server:
        for _ in range(3):
            answer = await ask(upstreams, server)
            await answer.json()
            answer.release()
        assert len(server.requests) == 3
        assert server.connections == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(response(ANSWER, "Connection: close"), id="http/1.1 connection-close"),
        pytest.param(response(ANSWER, version="HTTP/1.0"), id="http/1.0"),
    ],
)
async def test_an_answer_that_ends_the_connection_is_not_reused(upstreams: Upstreams, raw: bytes) -> None:
    """The server keeps its socket open regardless: the client decides from the answer alone."""
    async with Upstream(send(raw)) as server:
        for _ in range(2):
            answer = await ask(upstreams, server)
            await answer.json()
            answer.release()
        assert server.connections == 2


@pytest.mark.anyio
async def test_a_connection_the_server_closed_while_idle_is_not_reused(upstreams: Upstreams) -> None:
    async with Upstream(send(response(ANSWER), close=True)) as server:
        first = await ask(upstreams, server)
        await first.json()
        first.release()
        await asyncio.sleep(0.1)  # the server's FIN reaches the idle pooled connection
        second = await ask(upstreams, server)
        assert await second.json() == json.loads(ANSWER)
        second.release()
        assert server.connections == 2


@pytest.mark.anyio
async def test_a_connection_idle_past_keepalive_is_not_reused(upstreams: Upstreams, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(proxy, "KEEPALIVE", 0.0)
    async with Upstream(send(response(ANSWER))) as server:
        for _ in range(2):
            answer = await ask(upstreams, server)
            await answer.json()
            answer.release()
        assert server.connections == 2


@pytest.mark.anyio
async def test_a_connection_released_before_its_body_arrived_is_closed(upstreams: Upstreams) -> None:
    raw = response(ANSWER)
    head, body = raw[: -len(ANSWER)], raw[-len(ANSWER) :]
    async with Upstream(send(head, body, pause=0.2)) as server:
        unread = await ask(upstreams, server)
        unread.release()
        answer = await ask(upstreams, server)
        assert await answer.json() == json.loads(ANSWER)
        answer.release()
        assert server.connections == 2


@pytest.mark.anyio
async def test_concurrent_calls_use_separate_connections_then_share_the_pool(upstreams: Upstreams) -> None:
    async with Upstream(send(response(ANSWER))) as server:

        async def call() -> Any:
            answer = await ask(upstreams, server)
            try:
                return await answer.json()
            finally:
                answer.release()

        for _ in range(2):
            assert list(await asyncio.gather(call(), call())) == [json.loads(ANSWER)] * 2
        assert server.connections == 2
        assert len(server.requests) == 4


# redirects and encodings -----------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary Redirect", "308 Permanent Redirect"])
async def test_a_redirect_is_refused_not_followed(upstreams: Upstreams, status: str) -> None:
    redirect = response(b"", "Location: http://169.254.169.254/latest/meta-data/", status=status)
    async with Upstream(send(redirect)) as server:
        error = await refusal(upstreams, server.target())
        assert error.status == 502
        assert "redirect" in error.message
        assert len(server.requests) == 1


@pytest.mark.anyio
async def test_a_gzip_body_is_decoded(upstreams: Upstreams) -> None:
    async with Upstream(send(response(gzip.compress(ANSWER), "Content-Encoding: gzip"))) as server:
        answer = await ask(upstreams, server)
        assert await answer.json() == json.loads(ANSWER)
        answer.release()


@pytest.mark.anyio
async def test_a_compressed_stream_is_decoded_across_chunks(upstreams: Upstreams) -> None:
    events = b"".join(b'data: {"n": %d}\n\n' % n for n in range(200))
    packed = zlib.compress(events)  # "deflate" in HTTP is the zlib format
    pieces = [packed[i : i + 7] for i in range(0, len(packed), 7)]
    async with Upstream(send(*chunked(*pieces, headers="Content-Encoding: deflate\r\n"))) as server:
        answer = await ask(upstreams, server)
        assert b"".join(await collect(answer)) == events
        answer.release()


@pytest.mark.anyio
async def test_an_encoding_the_gateway_cannot_read_is_refused(upstreams: Upstreams) -> None:
    async with Upstream(send(response(b"\x1b\x00", "Content-Encoding: br"))) as server:
        error = await refusal(upstreams, server.target())
    assert error.status == 502
    assert "'br'" in error.message


# deadlines and broken answers ------------------------------------------------------------


@pytest.mark.anyio
async def test_an_upstream_that_never_answers_times_out_with_504() -> None:
    pool = Upstreams(allow_private=True, timeout_seconds=0.5)
    loop = asyncio.get_running_loop()
    try:
        async with Upstream(then_stall()) as server, asyncio.timeout(5):
            started = loop.time()
            error = await refusal(pool, server.target())
            elapsed = loop.time() - started
    finally:
        await pool.close()
    assert (error.status, error.message) == (504, "the model's server did not answer in time")
    assert elapsed >= 0.45


@pytest.mark.anyio
async def test_the_deadline_covers_the_body() -> None:
    """Headers after 0.3 s, then a stall: the body times out at the call's 0.5 s deadline."""
    pool = Upstreams(allow_private=True, timeout_seconds=0.5)
    loop = asyncio.get_running_loop()

    async def answer(writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(0.3)
        return await then_stall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"0123456789")(writer)

    try:
        async with Upstream(answer) as server, asyncio.timeout(5):
            started = loop.time()
            reply = await ask(pool, server)
            pieces = reply.chunks()
            assert await anext(pieces) == b"0123456789"
            with pytest.raises(TimeoutError):
                await anext(pieces)
            elapsed = loop.time() - started
            reply.release()
    finally:
        await pool.close()
    assert 0.45 <= elapsed < 0.75  # one deadline from the start of the call, not a fresh one for the body


@pytest.mark.anyio
async def test_a_server_that_closes_mid_body_breaks_the_stream(upstreams: Upstreams) -> None:
    async with Upstream(send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", b"0123456789", close=True)) as server:
        answer = await ask(upstreams, server)
        received: list[bytes] = []
        with pytest.raises(OSError, match="broke off"):
            async for data in answer.chunks():
                received.append(data)
        assert received == [b"0123456789"]
        answer.release()


@pytest.mark.anyio
async def test_a_body_over_the_read_limit_is_refused(upstreams: Upstreams) -> None:
    async with Upstream(send(response(b"x" * 11))) as server:
        exact = await ask(upstreams, server)
        assert await exact.read(11) == b"x" * 11
        exact.release()
        over = await ask(upstreams, server)
        with pytest.raises(GatewayError) as caught:
            await over.read(10)
        over.release()
    assert caught.value.status == 502
    assert "more than 10 bytes" in caught.value.message


# what is sent, and where -----------------------------------------------------------------


@pytest.mark.anyio
async def test_the_request_carries_host_and_the_upstream_key_and_nothing_else(upstreams: Upstreams) -> None:
    async with Upstream(send(response(ANSWER))) as server:
        answer = await ask(upstreams, server)
        await answer.json()
        answer.release()
    body = json.dumps(BODY).encode()
    assert server.requests == [
        b"POST /v1/chat/completions HTTP/1.1\r\n"
        b"Host: 127.0.0.1:%d\r\n"
        b"Content-Type: application/json\r\n"
        b"Accept: application/json, text/event-stream\r\n"
        b"Accept-Encoding: identity\r\n"
        b"Content-Length: %d\r\n"
        b"Authorization: Bearer sk-upstream-secret-123\r\n"
        b"\r\n%s" % (server.port, len(body), body)
    ]


@pytest.mark.anyio
async def test_without_a_key_no_authorization_is_sent(upstreams: Upstreams) -> None:
    async with Upstream(send(response(ANSWER))) as server:
        answer = await upstreams.open(server.target(api_key=None), "/chat/completions", BODY)
        await answer.json()
        answer.release()
    (request,) = server.requests
    assert b"authorization" not in request.lower()


@pytest.mark.anyio
@pytest.mark.parametrize(
    "api_key",
    ["sk-good\r\nX-Injected: 1", "sk-good\nX-Injected: 1", "sk-good\r", "sk good", "sk-\x00good", "sk-ключ"],
)
async def test_a_key_http_cannot_carry_is_refused_before_anything_is_sent(upstreams: Upstreams, api_key: str) -> None:
    async with Upstream(send(response(ANSWER))) as server:
        error = await refusal(upstreams, server.target(api_key=api_key))
        await asyncio.sleep(0.05)  # a connection, had one been opened, would be counted by now
    assert error.status == 502
    assert "characters HTTP does not allow" in error.message
    assert (server.connections, server.requests) == (0, [])


@pytest.mark.anyio
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_a_private_upstream_is_refused_at_connect_time(host: str) -> None:
    pool = Upstreams(allow_private=False, timeout_seconds=5.0)
    try:
        async with Upstream(send(response(ANSWER))) as server:
            target = UpstreamTarget("standard", f"http://{host}:{server.port}/v1", KEY, "atlas-upstream")
            error = await refusal(pool, target)
            await asyncio.sleep(0.05)
    finally:
        await pool.close()
    assert (error.status, error.message) == (502, "the model's server could not be reached")
    assert server.connections == 0


@pytest.mark.anyio
async def test_the_metadata_address_is_refused_even_when_private_upstreams_are_allowed() -> None:
    pool = Upstreams(allow_private=True, timeout_seconds=5.0)
    target = UpstreamTarget("standard", "http://169.254.169.254/v1", KEY, "atlas-upstream")
    try:
        error = await refusal(pool, target)
    finally:
        await pool.close()
    assert (error.status, error.message) == (502, "the model's server could not be reached")


# error messages --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_an_upstream_error_message_is_scrubbed_and_the_connection_kept(upstreams: Upstreams) -> None:
    async with Upstream(send(b"")) as server:
        target = server.target()  # the message names the server's own URL, so it is written once the port is known
        leak = {"error": {"message": f"model atlas-upstream at {target.base_url} rejected key {KEY}", "type": "invalid"}}
        server.answer = send(response(json.dumps(leak).encode(), status="400 Bad Request"))
        answer = await ask(upstreams, server)
        assert answer.status == 400
        message = await error_message(answer, target)
        server.answer = send(response(b"not json", status="500 Internal Server Error"))
        plain = await error_message(await ask(upstreams, server), target)
        assert server.connections == 1
    assert message == "the model's server returned HTTP 400: model [redacted] at [redacted] rejected key [redacted]"
    assert plain == "the model's server returned HTTP 500"


TARGET = UpstreamTarget("standard", "https://models.example.com:8443/v1", KEY, "atlas-upstream")


def test_scrub_removes_the_url_host_key_and_upstream_model() -> None:
    message = (
        f"POST {TARGET.base_url}/chat/completions failed: host models.example.com refused key {KEY} for model atlas-upstream"
    )
    scrubbed = scrub(message, TARGET)
    for secret in (TARGET.base_url, "models.example.com", KEY, "atlas-upstream"):
        assert secret not in scrubbed
    assert scrubbed == "POST [redacted]/chat/completions failed: host [redacted] refused key [redacted] for model [redacted]"


def test_scrub_does_not_leak_a_key_cut_at_the_length_limit() -> None:
    key = "sk-" + "a1b2c3d4e5" * 10
    target = UpstreamTarget("standard", "https://models.example.com/v1", key, "atlas-upstream")
    scrubbed = scrub("x" * 450 + key, target)
    assert key[:20] not in scrubbed


# server-sent events ----------------------------------------------------------------------

EVENTS = [b'{"id": 1, "text": "caf\xc3\xa9"}', b'{"id": 2, "text": ""}', b"[DONE]"]
STREAM = (
    b": keep-alive comment\n\n"
    b"event: message\r\n"
    b'data: {"id": 1, "text": "caf\xc3\xa9"}\r\n\r\n'
    b'data:{"id": 2, "text": ""}\n\n'
    b"data: [DONE]\n\n"
)


def feed(pieces: list[bytes]) -> tuple[list[bytes], bytearray]:
    buffer = bytearray()
    events = [event for piece in pieces for event in sse_events(buffer, piece)]
    return events, buffer


def test_sse_events_at_every_split_point() -> None:
    for cut in range(len(STREAM) + 1):
        events, rest = feed([STREAM[:cut], STREAM[cut:]])
        assert events == EVENTS, cut
        assert rest == b""


def test_an_unfinished_line_waits_for_its_end() -> None:
    buffer = bytearray()
    assert sse_events(buffer, b'data: {"id": 1') == []
    assert sse_events(buffer, b"}") == []
    assert sse_events(buffer, b"\n") == [b'{"id": 1}']
    assert buffer == b""


@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=12))
def test_sse_events_across_any_chunk_boundaries(cuts: list[int]) -> None:
    bounds = [0, *sorted(cuts), len(STREAM)]
    pieces = [STREAM[start:end] for start, end in itertools.pairwise(bounds)]
    events, rest = feed(pieces)
    assert events == EVENTS
    assert rest == b""


# a hostile upstream cannot exhaust memory (item 21) -----------------------------------------


@pytest.mark.anyio
async def test_a_gzip_bomb_is_inflated_in_bounded_pieces_and_refused_past_the_limit(upstreams: Upstreams) -> None:
    """64 MiB of zeros in about 64 KiB of gzip: no piece is larger than INFLATE_PIECE, and the
    JSON read stops at its limit instead of inflating the whole bomb."""
    bomb = gzip.compress(b"0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 256 * 1024
    async with Upstream(send(response(bomb, "Content-Encoding: gzip"))) as server:
        answer = await ask(upstreams, server)
        largest = 0
        total = 0
        async for piece in answer.chunks():
            largest = max(largest, len(piece))
            total += len(piece)
            if total > 8 * proxy.INFLATE_PIECE:
                break
        answer.release()
        assert 0 < largest <= proxy.INFLATE_PIECE
        again = await ask(upstreams, server)
        with pytest.raises(GatewayError, match="more than 1048576 bytes"):
            await again.read(1024 * 1024)
        again.release()


@pytest.mark.anyio
async def test_a_corrupt_compressed_body_is_a_broken_answer(upstreams: Upstreams) -> None:
    async with Upstream(send(response(b"\x1f\x8b\x08\x00garbage-not-gzip", "Content-Encoding: gzip"))) as server:
        answer = await ask(upstreams, server)
        with pytest.raises(OSError, match="does not decompress"):
            await collect(answer)
        answer.release()


def test_an_event_line_past_the_limit_is_refused_and_the_buffer_freed() -> None:
    buffer = bytearray()
    assert sse_events(buffer, b"data: " + b"x" * 900, limit=1000) == []
    with pytest.raises(OSError, match="longer than 1000 bytes"):
        sse_events(buffer, b"x" * 200, limit=1000)
    assert buffer == b""
    # Complete lines of any number are fine; only an unfinished one is bounded.
    assert len(sse_events(bytearray(), b"data: 1\n\n" * 500, limit=1000)) == 500
