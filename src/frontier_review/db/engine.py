"""Engine and session factory. Created by the composition root, never at import time."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for ``url`` with the settings each backend needs.

    SQLite gets WAL mode, foreign keys and a busy timeout, so concurrent writers wait for
    each other instead of failing. pysqlite opens the transaction at the first write, so a
    request that only reads never holds SQLite's single write lock.
    """
    parsed = make_url(url)
    # hide_parameters: a database error's text (logged, and recorded on a trace span) names the
    # statement but never its bound values, which may be tokens' digests or sealed fields.
    kwargs: dict[str, Any] = {"echo": echo, "future": True, "hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    kwargs["pool_pre_ping"] = True
    return create_engine(url, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory; objects stay usable after commit (adapters render them)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
