"""One pipelined Redis connection for the gateway's quota counters (RESP2, two commands' worth).

Every gateway call runs one or two Redis commands (``quotas``). Through redis-py's asyncio
client each cost about 0.25 ms of the serving process's CPU (its pool checkout and release, its
command packing, retry and parsing layers) — at concurrency 64 that was a third of the process's
budget per call (docs/performance.md). Here every command of the process goes over one
connection without waiting for earlier replies (the commands issued in one turn of the event
loop leave in one write), and Redis's replies, which come back in order, are matched to their
callers first-in first-out: a few microseconds of work per command, and one write and one read
for many concurrent calls.

What it covers is what the counters need: commands of bytes, strings and integers; integer,
status, bulk string, array and error replies. Anything else stays with redis-py.

A connection that fails or stays silent past ``timeout`` is closed, every command waiting on it
fails (the quotas then refuse the call: fail closed), and the next command opens a new one. The
silence is watched by one timer per connection, armed for its oldest unanswered command, not by a
timeout around each command, which armed and cancelled a timer for every one of every call's
commands.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from functools import partial
from typing import Any, cast

from redis.connection import parse_url

Reply = int | bytes | list["Reply"] | None


class RedisReplyError(Exception):
    """Redis answered a command with an error (``-ERR …``, ``-NOSCRIPT …``)."""


class _Incomplete(Exception):
    """The buffer ends before the reply does: wait for more bytes."""


def encode(*args: bytes | str | int) -> bytes:
    """A command in RESP's array-of-bulk-strings form."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def parse(buffer: bytes | bytearray, start: int = 0) -> tuple[Reply | RedisReplyError, int]:  # noqa: PLR0911 - one return per reply kind
    """One reply from ``buffer`` at ``start``, and where the next begins; raises ``_Incomplete``."""
    end = buffer.find(b"\r\n", start)
    if end < 0:
        raise _Incomplete
    kind, line = buffer[start : start + 1], bytes(buffer[start + 1 : end])
    after = end + 2
    if kind == b":":
        return int(line), after
    if kind == b"+":
        return line, after
    if kind == b"-":
        return RedisReplyError(line.decode(errors="replace")), after
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, after
        if len(buffer) < after + size + 2:
            raise _Incomplete
        return bytes(buffer[after : after + size]), after + size + 2
    if kind == b"*":
        count = int(line)
        if count < 0:
            return None, after
        items: list[Reply] = []
        for _ in range(count):
            item, after = parse(buffer, after)
            if isinstance(item, RedisReplyError):
                raise ValueError("an error inside an array reply")  # never sent for our commands
            items.append(item)
        return items, after
    raise ValueError(f"not a RESP2 reply: {kind!r}")


class _Protocol(asyncio.Protocol):
    def __init__(self, timeout: float = 1.0) -> None:
        self.timeout = timeout
        self.waiting: deque[asyncio.Future[Reply]] = deque()
        self.deadlines: deque[float] = deque()  # each waiting command's, in the same order (never decreasing)
        self.timer: asyncio.TimerHandle | None = None
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.outgoing: list[bytes] = []  # commands issued in this turn of the event loop

    def expect(self, waiters: list[asyncio.Future[Reply]]) -> None:
        """Wait for one reply per future, in order; all fail if none comes within the timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        self.waiting.extend(waiters)
        self.deadlines.extend(deadline for _ in waiters)
        if self.timer is None:
            self.timer = loop.call_at(deadline, self._expire)

    def _expire(self) -> None:
        """The timer went off: fail the connection if its oldest command is overdue, else re-arm for it."""
        self.timer = None
        if not self.deadlines:
            return
        loop = asyncio.get_running_loop()
        if loop.time() >= self.deadlines[0]:
            self.fail(TimeoutError("Redis did not answer in time"))  # later replies would be out of step
        else:
            self.timer = loop.call_at(self.deadlines[0], self._expire)

    def send(self, data: bytes) -> None:
        """Queue ``data`` for the write at the end of this turn of the event loop.

        Every command issued while the loop runs one batch of ready callbacks (at concurrency
        64, many calls' admissions) leaves in one write: a write to a loopback socket costs a
        system call that wakes Redis, and on a 2-core machine those calls were a large share
        of the gateway's time (docs/performance.md).
        """
        if not self.outgoing:
            asyncio.get_running_loop().call_soon(self.flush)
        self.outgoing.append(data)

    def flush(self) -> None:
        data, self.outgoing = b"".join(self.outgoing), []
        if data and not self.closed and self.transport is not None:
            self.transport.write(data)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio.Transport instances

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        used = 0
        try:
            while used < len(self.buffer):
                reply, used_next = parse(self.buffer, used)
                used = used_next
                waiter = self.waiting.popleft()
                self.deadlines.popleft()
                if not waiter.done():
                    if isinstance(reply, RedisReplyError):
                        waiter.set_exception(reply)
                    else:
                        waiter.set_result(reply)
        except _Incomplete:
            pass
        except (ValueError, IndexError) as exc:  # out of step with the server: nothing after this can be trusted
            self.fail(ConnectionError(f"unexpected reply from Redis: {exc}"))
            return
        del self.buffer[:used]

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(ConnectionError("the Redis connection was lost") if exc is None else exc)

    def fail(self, exc: BaseException) -> None:
        self.closed = True
        self.outgoing = []
        self.deadlines.clear()
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.transport is not None:
            self.transport.abort()
        while self.waiting:
            waiter = self.waiting.popleft()
            if not waiter.done():
                waiter.set_exception(exc)


class PipelinedRedis:
    """Commands over one connection, replies matched in order; reconnects after a failure."""

    def __init__(self, url: str, *, timeout: float = 1.0) -> None:
        options: dict[str, Any] = parse_url(url)
        kind = options.get("connection_class")
        self._path: str | None = options.get("path")  # a Unix socket
        self._host = str(options.get("host", "localhost"))
        self._port = int(options.get("port", 6379))
        self._db = int(options.get("db", 0))
        self._username: str | None = options.get("username")
        self._password: str | None = options.get("password")
        self._ssl = ssl.create_default_context() if kind is not None and kind.__name__ == "SSLConnection" else None
        self._timeout = timeout
        self._conn: _Protocol | None = None
        self._connecting: asyncio.Lock | None = None

    async def call(self, *args: bytes | str | int) -> Reply:
        """Send one command and wait for its reply (raises ``RedisReplyError``, ``OSError``, ``TimeoutError``)."""
        (reply,) = await self.pipeline(args)
        return reply

    async def pipeline(self, *commands: tuple[bytes | str | int, ...]) -> list[Reply]:
        """Send several commands in one write; their replies, in order (the first error raises)."""
        conn = self._conn if self._conn is not None and not self._conn.closed else await self._connect()
        return await self._send(conn, commands)

    async def _send(self, conn: _Protocol, commands: tuple[tuple[bytes | str | int, ...], ...]) -> list[Reply]:
        loop = asyncio.get_running_loop()
        waiters: list[asyncio.Future[Reply]] = [loop.create_future() for _ in commands]
        conn.expect(waiters)
        conn.send(b"".join(encode(*command) for command in commands))
        return [await waiter for waiter in waiters]

    async def _connect(self) -> _Protocol:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._conn is not None and not self._conn.closed:
                return self._conn  # another caller connected meanwhile
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(self._timeout):
                protocol = partial(_Protocol, self._timeout)
                if self._path is not None:
                    transport, conn = await loop.create_unix_connection(protocol, self._path)
                else:
                    transport, conn = await loop.create_connection(protocol, self._host, self._port, ssl=self._ssl)
                conn.transport = transport  # uvloop calls connection_made later
                if self._password is not None:
                    auth = (self._username, self._password) if self._username else (self._password,)
                    await self._send(conn, (("AUTH", *auth),))
                if self._db:
                    await self._send(conn, (("SELECT", self._db),))
            self._conn = conn
            return conn

    async def aclose(self) -> None:
        if self._conn is not None and self._conn.transport is not None:
            self._conn.transport.close()
        self._conn = None
