"""Statements compiled once and run on the pooled driver connection.

For the gateway's per-call statements only. SQLAlchemy's ``Connection.execute`` spends about
0.3 ms per call on this machine around a query SQLite answers in 0.04 ms (hashing the
statement's cache key, building the execution context and the result). A ``Prepared``
statement is compiled once per engine, and each call hands the SQL and its parameters
straight to the driver; the types' own bind and result processors still convert every value,
so rows come back exactly as ``Connection.execute`` would return them.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Insert, Select, Update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.compiler import SQLCompiler

from frontier_review.db import changes

Processor = Callable[[Any], Any] | None


class PreparedSelect:
    """A SELECT returning rows of plain Python values: the first (``first``), or all (``rows_on``)."""

    def __init__(self, engine: Engine, statement: Select[Any, *tuple[Any, ...]]) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        self._engine = engine
        self._compiled = compiled
        self._columns = list(statement.selected_columns)
        self._sql = str(compiled)
        self._order = list(compiled.positiontup or ()) if compiled.positional else None
        self._bind = _bind_processors(compiled, dialect)
        self._result: list[Processor] | None = None  # built at the first row (see _processors)

    def first(self, params: Mapping[str, Any], connection: Any = None) -> tuple[Any, ...] | None:
        """The first row, on ``connection`` (a DBAPI connection the caller holds) or a pooled one."""
        raw = connection if connection is not None else self._engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(self._sql, self._arguments(params))
                row = cursor.fetchone()
                if row is not None and self._result is None:
                    self._result = self._processors(cursor.description)
            finally:
                cursor.close()
        finally:
            if connection is None:
                raw.close()  # back to the pool, which ends the driver's transaction (reset on return)
        return self._converted(row)

    async def first_on(self, connection: Any, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """:meth:`first` on an asynchronous driver connection (psycopg's ``AsyncConnection``)."""
        async with connection.cursor() as cursor:
            await cursor.execute(self._sql, self._arguments(params))
            row = await cursor.fetchone()
            if row is not None and self._result is None:
                self._result = self._processors(cursor.description)
        return self._converted(row)

    async def rows_on(self, connection: Any, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row, on an asynchronous driver connection (psycopg's ``AsyncConnection``)."""
        async with connection.cursor() as cursor:
            await cursor.execute(self._sql, self._arguments(params))
            rows = await cursor.fetchall()
            if rows and self._result is None:
                self._result = self._processors(cursor.description)
        return [row for row in map(self._converted, rows) if row is not None]

    def _arguments(self, params: Mapping[str, Any]) -> Any:
        bind = self._bind
        # Values of the statement's own (a literal in a comparison, a LIMIT) and the caller's.
        values = {name: (bind[name](v) if name in bind else v) for name, v in self._compiled.construct_params(params).items()}
        return _arguments(values, self._order)

    def _processors(self, description: Any) -> list[Processor]:
        # Built at the first row: some drivers' processors need the column's type code.
        dialect = self._engine.dialect
        return [
            column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            for column, described in zip(self._columns, description, strict=True)
        ]

    def _converted(self, row: Any) -> tuple[Any, ...] | None:
        if row is None:
            return None
        assert self._result is not None
        return tuple(p(v) if p is not None else v for p, v in zip(self._result, row, strict=True))


class PreparedWrite:
    """An INSERT or UPDATE setting the given columns, run with the driver's ``executemany``.

    Each row maps every column (and any other bound name in the statement, such as an UPDATE's
    WHERE parameter) to its value. It runs past SQLAlchemy's events, so it refuses a table whose
    changes the engine announces to the gateways (``db.changes``).
    """

    def __init__(self, engine: Engine, statement: Insert | Update, columns: Sequence[str]) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        assert isinstance(compiled, SQLCompiler)
        self._sql = str(compiled)
        changes.check_prepared(engine, self._sql)  # it runs past the events that announce access changes
        self._order = list(compiled.positiontup or ()) if compiled.positional else None
        self._names = self._order if self._order is not None else list(compiled.binds)
        self._bind = _bind_processors(compiled, dialect)

    def execute(self, cursor: Any, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run on a DBAPI cursor of the caller's (whose transaction this joins)."""
        bind = self._bind
        converted = [
            _arguments({n: (bind[n](row[n]) if n in bind else row[n]) for n in self._names}, self._order) for row in rows
        ]
        cursor.executemany(self._sql, converted)


class SharedWrite:
    """A :class:`PreparedWrite` for code that holds no object of its own to keep one in.

    Made once, as a module constant, from the statement and its columns; prepared for each
    engine at its first use there and kept only as long as that engine lives. The holder is its
    own cache, so no registry outlives it and a statement is never compiled twice for one engine.
    """

    def __init__(self, statement: Insert | Update, columns: Sequence[str]) -> None:
        self._statement = statement
        self._columns = tuple(columns)
        self._prepared: weakref.WeakKeyDictionary[Engine, PreparedWrite] = weakref.WeakKeyDictionary()

    def run(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Write ``rows`` on the driver connection of ``connection``, in its transaction."""
        engine = connection.engine
        prepared = self._prepared.get(engine)
        if prepared is None:  # two threads may both compile at first use; one result is kept
            prepared = self._prepared[engine] = PreparedWrite(engine, self._statement, self._columns)
        cursor = connection.connection.cursor()
        try:
            prepared.execute(cursor, rows)
        finally:
            cursor.close()


def _bind_processors(compiled: SQLCompiler, dialect: Any) -> dict[str, Callable[[Any], Any]]:
    out: dict[str, Callable[[Any], Any]] = {}
    for name, bind in compiled.binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            out[name] = processor
    return out


def _arguments(values: dict[str, Any], order: list[str] | None) -> Any:
    return tuple(values[name] for name in order) if order is not None else values
