"""Committed changes to what decides gateway access, announced to every gateway process.

A gateway process on PostgreSQL reuses a caller's access context between calls
(``gateway.recent``) only while one Redis counter, the *access generation*, stays where it was
when the context was read; every call checks it in the same Redis round trip that counts its
quota. This module moves the counter: a transaction that wrote to a table the access context
reads (:data:`~frontier_review.engagements.access.context.ACCESS_TABLES`, handed in by the
composition root) increments it once its commit succeeded and before the commit returns to the
code that asked for it. So when a revocation's request answers, every gateway process already
reads the database again on its next call, as it would with no reuse at all.

How a write is seen: each statement sent on a connection is looked at once, cheaply, for a
write verb (INSERT, UPDATE, DELETE, MERGE, TRUNCATE, or a WITH that may write) and one of the
tables' names as a word. That covers the ORM's flushes, bulk statements and hand-written SQL
alike, and errs towards announcing: a spurious announcement only costs the gateways one read
each. The flag rides on the connection until its transaction ends: a rollback clears it; a
commit moves it to "committed", and the connection's return to the pool (which follows every
unit of work's commit, inside ``Session.commit``) announces it. A connection held across
several commits announces when it is returned.

What is not seen: a statement run on the driver's cursor directly (``db.prepared``), which
therefore refuses to prepare a write to one of the tables (:func:`check_prepared`); a write made
outside this application's engines (an operator's ``psql``), or
an announcement lost because Redis failed at that moment. The gateways reuse a context for at
most ``gateway.recent.REUSE_SECONDS`` after reading it, so those changes hold within that,
which is also how soon a call already in flight is cut (``gateway.watch``).
"""

from __future__ import annotations

import logging
import re
import weakref
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Engine, event

log = logging.getLogger(__name__)

_WRITE = re.compile(r"\s*(?:insert|update|delete|merge|truncate|with)\b", re.IGNORECASE)
_WATCHED: weakref.WeakKeyDictionary[Engine, re.Pattern[str]] = weakref.WeakKeyDictionary()  # per engine, its tables
_CHANGED = "frontier_review.access_changed"  # a write in the open transaction
_COMMITTED = "frontier_review.access_committed"  # committed, not yet announced


def announce_changes(engine: Engine, tables: Iterable[str], announce: Callable[[], None]) -> None:
    """Call ``announce`` after each committed transaction on ``engine`` that wrote to ``tables``."""
    names = sorted(set(tables))
    if not names:
        return
    touches = _WATCHED[engine] = re.compile(r"\b(?:" + "|".join(re.escape(name) for name in names) + r")\b", re.IGNORECASE)

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool) -> None:
        if _WRITE.match(statement) and touches.search(statement):
            conn.info[_CHANGED] = True

    @event.listens_for(engine, "commit")
    def _committing(conn: Any) -> None:
        if conn.info.pop(_CHANGED, False):
            conn.info[_COMMITTED] = True

    @event.listens_for(engine, "rollback")
    def _rolled_back(conn: Any) -> None:
        conn.info.pop(_CHANGED, None)
        conn.info.pop(_COMMITTED, None)

    @event.listens_for(engine.pool, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        if record is None:
            return
        record.info.pop(_CHANGED, None)  # written after the last commit: rolled back on return
        if record.info.pop(_COMMITTED, False):
            announce()


def check_prepared(engine: Engine, sql: str) -> None:
    """Refuse to prepare ``sql`` if it writes a table whose changes ``engine`` announces.

    A prepared statement runs on the driver's cursor, past the events that see a write, so a
    change it made would never reach the gateways' reused contexts.
    """
    touches = _WATCHED.get(engine)
    if touches is not None and _WRITE.match(sql) and (found := touches.search(sql)):
        raise RuntimeError(f"a prepared write to {found.group(0)} would not be announced to the gateways")


class RedisGeneration:
    """The access generation in Redis: :meth:`bump` is what :func:`announce_changes` calls."""

    def __init__(self, url: str, key: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._key = key

    def bump(self) -> None:
        """Increment the generation; a failure is logged, not raised (the change is committed)."""
        try:
            self._client.incr(self._key)
        except Exception:  # the gateways stop reusing that context within REUSE_SECONDS anyway
            log.warning("could not announce an access change to the gateways; they see it within a second")

    def close(self) -> None:
        self._client.close()
