"""A response's head leaves with the start of its body (``frontier_review.http_protocol``).

The transport wrapper is driven on a real event loop over a recording transport; the protocol
itself serves every live-server test (``tests/live.py`` uses it, as ``serve`` does), and below
over a real socket.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any, cast

import uvicorn

from frontier_review.http_protocol import HttpProtocol, _HeadWaitsForBody

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"


class Recording:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"extra:{name}"


def wrapped() -> tuple[_HeadWaitsForBody, Recording, asyncio.AbstractEventLoop]:
    loop = asyncio.get_running_loop()
    real = Recording()
    return _HeadWaitsForBody(cast(asyncio.Transport, real), loop), real, loop


def test_a_head_and_its_body_leave_in_one_write() -> None:
    async def scenario() -> None:
        transport, real, _ = wrapped()
        transport.write(HEAD)
        assert real.writes == []
        transport.write(b"hello")
        assert real.writes == [HEAD + b"hello"]
        transport.write(b"more")  # anything after the body goes as it comes
        assert real.writes == [HEAD + b"hello", b"more"]
        await asyncio.sleep(0)
        assert real.writes == [HEAD + b"hello", b"more"]

    asyncio.run(scenario())


def test_a_head_with_no_body_in_its_turn_leaves_at_the_end_of_the_turn() -> None:
    async def scenario() -> None:
        transport, real, _ = wrapped()
        transport.write(HEAD)
        await asyncio.sleep(0)  # a stream's first event is still on its way
        assert real.writes == [HEAD]
        transport.write(b"data: 1\n\n")
        assert real.writes == [HEAD, b"data: 1\n\n"]

    asyncio.run(scenario())


def test_closing_sends_what_waits_and_nothing_else_is_touched() -> None:
    async def scenario() -> None:
        transport, real, _ = wrapped()
        transport.write(b"not a head")
        transport.write(HEAD)
        transport.close()
        assert real.writes == [b"not a head", HEAD] and real.closed
        assert transport.get_extra_info("peername") == "extra:peername"  # the rest is the real transport's

    asyncio.run(scenario())


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    stream = scope["path"] == "/stream"
    headers = [] if stream else [(b"content-length", b"5")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    if stream:
        await asyncio.sleep(0.05)
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        await send({"type": "http.response.body", "body": b"two", "more_body": False})
    else:
        await send({"type": "http.response.body", "body": b"hello"})


def test_a_real_server_answers_whole_and_streamed_responses_over_keep_alive() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(_app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", http=HttpProtocol)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            answers = []
            for path in ("/", "/stream", "/"):
                conn.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode())
                received = b""
                end = b"0\r\n\r\n" if path == "/stream" else b"hello"
                while not received.endswith(end):
                    received += conn.recv(65536)
                answers.append(received)
        assert answers[0].startswith(b"HTTP/1.1 200 OK\r\n") and answers[0].endswith(b"\r\n\r\nhello")
        assert b"transfer-encoding: chunked" in answers[1] and answers[1].endswith(b"3\r\none\r\n3\r\ntwo\r\n0\r\n\r\n")
        assert answers[2].startswith(b"HTTP/1.1 200 OK\r\n") and answers[2].endswith(b"\r\n\r\nhello")  # the same connection
    finally:
        server.should_exit = True
        thread.join(timeout=10)
