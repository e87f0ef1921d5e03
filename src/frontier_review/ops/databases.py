"""Consistent database snapshots and their restore, on SQLite and PostgreSQL.

SQLite: the online backup API copies the database in one step inside one read transaction, so
the copy is consistent while the server keeps writing (WAL readers never block writers).
PostgreSQL: ``pg_dump -Fc`` run on a snapshot exported by our own repeatable-read transaction,
so the row counts and key samples the manifest records are taken from exactly the state dumped.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from frontier_review.ops.manifest import BackupInvalid, BackupRefused, KeySample
from frontier_review.security import service as security

__all__ = [
    "Snapshot",
    "count_rows",
    "dump_postgres",
    "is_empty",
    "restore_postgres",
    "restore_sqlite",
    "snapshot_sqlite",
    "sqlite_path",
]

# pg_dump and pg_restore wait for nothing: no password prompt, and a lock held too long is an error.
_PG_TIMEOUT = 3600


@dataclass(frozen=True)
class Snapshot:
    """What the manifest records about the database state that was copied."""

    revision: str
    row_counts: dict[str, int]
    key_samples: tuple[KeySample, ...]


def sqlite_path(url: str) -> Path:
    """The file of an SQLite URL (``sqlite+pysqlite:///…``)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupRefused("FR_DATABASE_URL names an in-memory SQLite database; there is nothing to back up or restore")
    return Path(database)


def _read_state(conn: Connection) -> Snapshot:
    try:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    except (OperationalError, ProgrammingError, sa.exc.NoResultFound) as exc:
        raise BackupRefused("the database is not migrated (no alembic_version): nothing to back up") from exc
    with Session(bind=conn) as session:
        samples = tuple(KeySample(m, d, w) for m, d, w in security.key_samples(session))
    return Snapshot(revision=str(revision), row_counts=count_rows(conn), key_samples=samples)


def count_rows(conn: Connection) -> dict[str, int]:
    """Every table's row count (the schema's tables as the database itself lists them)."""
    names = sorted(sa.inspect(conn).get_table_names())
    return {name: int(conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()) for name in names}


@contextmanager
def _sqlite_engine(path: Path) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite+pysqlite:///{path}")
    try:
        yield engine
    finally:
        engine.dispose()


def snapshot_sqlite(url: str, dest: Path) -> Snapshot:
    """Copy the SQLite database at ``url`` to ``dest`` with the online backup API."""
    source_path = sqlite_path(url)
    if not source_path.exists():
        raise BackupRefused(f"the SQLite database {source_path} does not exist")
    source = sqlite3.connect(source_path, timeout=30)
    target = sqlite3.connect(dest)
    try:
        # pages=-1: one step, inside one read transaction. A stepwise copy restarts whenever
        # another connection writes, and under a busy server might never finish.
        source.backup(target, pages=-1)
        # The copy stands alone: no WAL beside it that a careless copy could leave behind.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        source.close()
    with _sqlite_engine(dest) as engine, engine.connect() as conn:
        return _read_state(conn)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL for libpq tools (no driver, no password) and the environment carrying the password.

    A password on a command line is visible to every user of the machine (``ps``).
    """
    parsed = make_url(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FR_")}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupRefused(
            f"{name} was not found on PATH: install the PostgreSQL client tools (Debian and Ubuntu: postgresql-client) "
            "of the server's major version or newer"
        )
    return found


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=_PG_TIMEOUT)  # noqa: S603 - fixed argv
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupRefused(f"{Path(argv[0]).name} failed: {lines[-1] if lines else f'exit code {done.returncode}'}")


def dump_postgres(url: str, dest: Path) -> Snapshot:
    """``pg_dump -Fc`` of the database at ``url`` into ``dest``, on a snapshot we read too."""
    pg_dump = _tool("pg_dump")
    target, env = _libpq(url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as raw:
            conn = raw.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                conn.execute(sa.text("SET TRANSACTION READ ONLY"))
                snapshot_id = conn.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
                state = _read_state(conn)
                # The exported snapshot lives as long as this transaction: pg_dump runs inside it.
                _run([pg_dump, "--format=custom", "--no-password", f"--snapshot={snapshot_id}", f"--file={dest}", target], env)
            return state
    except OperationalError as exc:
        raise BackupRefused(f"cannot read the database: {exc.orig}") from exc
    finally:
        engine.dispose()


def is_empty(url: str) -> bool:
    """True when the database at ``url`` has no tables (a missing SQLite file counts as empty)."""
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        if not path.exists() or path.stat().st_size == 0:
            return True
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return not sa.inspect(conn).get_table_names()
    except OperationalError as exc:
        raise BackupRefused(f"cannot open the target database (create it first): {exc.orig}") from exc
    finally:
        engine.dispose()


def _check_counts(conn: Connection, expected: dict[str, int]) -> None:
    counts = count_rows(conn)
    if counts != expected:
        wrong = sorted(name for name in set(counts) | set(expected) if counts.get(name) != expected.get(name))
        raise BackupInvalid(f"the restored database does not match the manifest's row counts (tables: {', '.join(wrong[:5])})")


def restore_sqlite(dump: Path, url: str, expected: dict[str, int], *, replace: bool) -> None:
    """Put the backed-up SQLite file in place of the database at ``url``.

    The copy is checked (integrity, row counts) beside the target before it replaces it in one
    rename, so a bad copy never becomes the database. A stale WAL must never meet another
    database file, so the target's ``-wal`` and ``-shm`` go first.
    """
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = target.with_name(target.name + ".restoring")
    shutil.copyfile(dump, staging)
    os.chmod(staging, 0o600)
    try:
        with _sqlite_engine(staging) as engine, engine.connect() as conn:
            if conn.execute(sa.text("PRAGMA integrity_check")).scalar_one() != "ok":
                raise BackupInvalid("the backed-up SQLite database fails its integrity check")
            _check_counts(conn, expected)
        if not replace and target.exists() and target.stat().st_size > 0 and not is_empty(url):
            raise BackupRefused(f"{target} is not empty")
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)


def _drop_everything(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            names = sa.inspect(conn).get_table_names()
            if names:
                conn.execute(sa.text("DROP TABLE IF EXISTS " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
    finally:
        engine.dispose()


def restore_postgres(dump: Path, url: str, expected: dict[str, int], *, replace: bool) -> None:
    """``pg_restore`` the dump into the database at ``url``, in one transaction, then check the counts."""
    pg_restore = _tool("pg_restore")
    target, env = _libpq(url)
    if replace:
        _drop_everything(url)
    _run(
        [
            pg_restore,
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            "--no-password",
            f"--dbname={target}",
            str(dump),
        ],
        env,
    )
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            _check_counts(conn, expected)
    finally:
        engine.dispose()
