"""A light HTTP/1.1 load generator for the gateway benchmark: one keep-alive connection per
caller, the request encoded once, the response parsed by ``httptools`` (the C parser uvicorn
uses), and nothing else.

Why not aiohttp: on a 2-core machine the load generator shares the cores with what it measures.
At about 1,900 calls/s aiohttp's client (header objects, cookie jar, stream reader, tracing
hooks) used 22–24% of a core and this one 8–9%; what it saves goes to the proxies under test
(the gateway's own figures moved within the noise; docs/performance.md, "Session 13"). Both
clients' answers are judged by the same checks (``gateway._call``): HTTP 200 with choices, or a
stream that ends with ``[DONE]`` after a usage chunk; 429/503 with a ``retry-after`` is load
shed, not a failure.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

TIMEOUT = 300.0  # seconds for one answer, as the aiohttp client's total timeout


@dataclass(frozen=True, slots=True)
class Answer:
    """What one response said, as far as the benchmark needs it."""

    status: int
    body: bytes
    retry_after: float | None


class _Connection(asyncio.Protocol):
    """One keep-alive connection that carries one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self._waiter: asyncio.Future[Answer] | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._parts: list[bytes] = []
        self._retry_after: float | None = None
        self._keep_alive = True

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport subclass

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionError(f"unparsable response: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionError("connection closed before the answer ended"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"retry-after-ms":
            self._retry_after = float(value) / 1000
        elif name == b"retry-after" and self._retry_after is None:
            self._retry_after = float(value)

    def on_body(self, body: bytes) -> None:
        self._parts.append(body)

    def on_message_complete(self) -> None:
        self._keep_alive = self._parser.should_keep_alive()
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(Answer(self._parser.get_status_code(), b"".join(self._parts), self._retry_after))

    # the caller's side
    async def exchange(self, request: bytes) -> Answer:
        assert self.transport is not None
        self._parser = httptools.HttpResponseParser(self)
        self._parts, self._retry_after = [], None
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Answer] = loop.create_future()
        self._waiter = waiter
        timer = loop.call_later(TIMEOUT, self._fail, TimeoutError(f"no answer within {TIMEOUT:.0f} s"))
        self.transport.write(request)
        try:
            answer = await waiter
        finally:
            timer.cancel()
        if not self._keep_alive:
            self.transport.close()
            self.closed = True
        return answer

    def _fail(self, exc: BaseException) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)
        if self.transport is not None and not self.closed:
            self.transport.close()
            self.closed = True


class Caller:
    """One of the benchmark's callers: the same POST again and again on its own connection,
    opened again when the server closed it."""

    def __init__(self, url: str, headers: dict[str, str], body: bytes) -> None:
        parts = urlsplit(url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        lines = [
            f"POST {parts.path} HTTP/1.1",
            f"Host: {parts.netloc}",
            "Content-Type: application/json",
            "Accept: */*",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        self._request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        self._connection: _Connection | None = None

    async def post(self) -> Answer:
        if self._connection is None or self._connection.closed:
            loop = asyncio.get_running_loop()
            _, self._connection = await loop.create_connection(_Connection, self._host, self._port)
        return await self._connection.exchange(self._request)

    def close(self) -> None:
        if self._connection is not None and self._connection.transport is not None:
            self._connection.transport.close()
        self._connection = None
