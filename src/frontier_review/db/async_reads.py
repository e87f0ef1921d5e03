"""Reads on the event loop: a few autocommit PostgreSQL connections driven by psycopg's async API.

For the gateway's per-call context query on PostgreSQL only. Through SQLAlchemy's pool in a
worker thread, each read cost a thread hop each way, the pool's checkout with its pre-ping (a
``SELECT 1`` round trip) and its reset, and at concurrency 64 a queue for the executor's threads
and the GIL (docs/performance.md). Here the query is sent from the event loop, which serves
other calls while the server answers.

Each connection is in autocommit mode, so every read is its own statement with its own
snapshot: it sees every commit made before it, and a revocation holds on the very next call.
psycopg prepares a statement on the server once it has run a few times on a connection.

A connection that fails (the server restarted, a network cut) is closed with every idle one,
and the read is tried once more on a new connection; a second failure raises.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from frontier_review.db.prepared import PreparedSelect

log = logging.getLogger(__name__)
T = TypeVar("T")
# Enough for one process's reads at concurrency 256: each read holds its connection for about
# one round trip (a fraction of a millisecond), so a few connections keep up.
SIZE = 8


class AsyncReads:
    """A small pool of asynchronous PostgreSQL connections for prepared one-row reads."""

    def __init__(self, engine: Engine, size: int = SIZE) -> None:
        import psycopg  # PostgreSQL only: a SQLite deployment never imports the driver

        self._psycopg = psycopg
        # The engine's own connection arguments, its adapters (JSON loaders) included, so rows
        # come back as they do on the engine's connections.
        args, params = engine.dialect.create_connect_args(engine.url)
        self._args, self._params = args, {**params, "autocommit": True}
        self._size = size
        self._idle: list[Any] = []
        self._open = 0
        self._waiters: deque[asyncio.Future[Any]] = deque()
        self._closing: set[asyncio.Task[None]] = set()  # held so a close is never collected half-way
        self._closed = False

    async def first(self, statement: PreparedSelect, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The statement's first row; one retry on a new connection if the first one fails."""
        return await self._run(lambda connection: statement.first_on(connection, params))

    async def rows(self, statement: PreparedSelect, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row of the statement; one retry on a new connection if the first one fails."""
        return await self._run(lambda connection: statement.rows_on(connection, params))

    async def _run(self, read: Callable[[Any], Awaitable[T]]) -> T:
        for attempt in (1, 2):
            connection = await self._acquire()
            try:
                result = await read(connection)
            except self._psycopg.OperationalError:
                self._discard(connection)
                self._discard_idle()  # they are likely as dead as this one
                if attempt == 2:
                    raise
                continue
            except BaseException:  # cancelled mid-read: the connection's state is unknown
                self._discard(connection)
                raise
            self._release(connection)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    async def _acquire(self) -> Any:
        while True:
            if self._closed:
                raise RuntimeError("the read pool is closed")
            if self._idle:
                return self._idle.pop()
            if self._open < self._size:
                self._open += 1
                try:
                    return await self._psycopg.AsyncConnection.connect(*self._args, **self._params)
                except BaseException:
                    self._open -= 1
                    self._wake_one()  # a waiter may open the connection this one could not
                    raise
            waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                return await waiter
            except _Retry:
                continue  # a slot freed up without a connection: open one
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    self._release(waiter.result())  # handed over just as we were cancelled: pass it on
                raise

    def _release(self, connection: Any) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        if self._closed:
            self._discard(connection)
        else:
            self._idle.append(connection)

    def _wake_one(self) -> None:
        """A slot freed without a connection to hand over: the first waiter opens one itself."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(_Retry())
                return

    def _discard(self, connection: Any) -> None:
        self._open -= 1
        task = asyncio.get_running_loop().create_task(_close(connection))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)
        self._wake_one()

    def _discard_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            self._discard(connection)

    async def aclose(self) -> None:
        """Close every idle connection; connections in use close when they come back."""
        self._closed = True
        idle, self._idle = self._idle, []
        self._open -= len(idle)
        for connection in idle:
            await _close(connection)


class _Retry(Exception):
    """Tells a waiter to open a connection of its own (a slot freed up)."""


async def _close(connection: Any) -> None:
    try:
        await connection.close()
    except Exception:  # closing a broken connection may fail too; it is gone either way
        log.debug("closing a read connection failed", exc_info=True)
