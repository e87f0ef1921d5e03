"""Shared fixtures: one database fixture parametrized over SQLite and PostgreSQL.

PostgreSQL comes from ``FR_TEST_POSTGRES_URL``. Each xdist worker creates its own database
and drops it at the end; tests truncate it between runs. Under ``CI=true`` an unreachable
PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import base64
import gc
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from frontier_review.audit.domain import GENESIS_HASH
from frontier_review.bootstrap import Container
from frontier_review.composition import Base, build_container
from frontier_review.config import Settings
from frontier_review.db import migrate
from frontier_review.kernel.clock import FrozenClock
from frontier_review.security import passwords

PG_URL = os.environ.get("FR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI") == "true"
START = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)

_pg_outcomes = {"passed": 0, "failed": 0, "skipped": 0}


def _psycopg(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (cheaper than migrating each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite+pysqlite:///{path}")
    return path


@contextmanager
def new_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database, dropped afterwards; unreachable fails under ``CI=true``."""
    admin_url = _psycopg(PG_URL)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable under CI=true: {exc.orig}")
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable: {exc.orig}")
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database(worker_id: str) -> Iterator[str]:
    """A migrated PostgreSQL database private to this xdist worker."""
    with new_postgres_database(f"fr_test_{worker_id}") as url:
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                # A throwaway database: a commit need not wait for its WAL to reach the disk. What
                # a commit makes visible to other sessions is unchanged; only crash durability goes.
                conn.execute(sa.text(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" SET synchronous_commit = off'))
        finally:
            engine.dispose()
        migrate.upgrade(url)
        yield url


def _truncate_postgres(url: str) -> None:
    """Empty every table and restart its sequences: the state of a freshly migrated database.

    ``DELETE`` in reverse dependency order, not ``TRUNCATE``: a test leaves a few rows in a few
    of the 60 tables, and ``TRUNCATE`` of 60 tables swaps 60 relation files in each call (about
    half a second idle and two under load, against tens of milliseconds for the deletes).
    """
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                conn.execute(table.delete())
            for (sequence,) in conn.execute(sa.text("SELECT sequence_name FROM information_schema.sequences")):
                conn.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))
            conn.execute(
                sa.text("INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, :h)"),
                {"h": GENESIS_HASH},
            )
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A migrated, empty database on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "db.sqlite"
        shutil.copyfile(sqlite_template, target)
        return f"sqlite+pysqlite:///{target}"
    url: str = request.getfixturevalue("pg_database")
    _truncate_postgres(url)
    return url


REDIS_URL = os.environ.get("FR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_url() -> str:
    """The real Redis server; under ``CI=true`` unreachable is a failure, not a skip."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI=true: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    return REDIS_URL


@pytest.fixture
def master_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture
def settings(tmp_path: Path, db_url: str, master_key: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,
        master_key=master_key,
        session_secret="test-session-secret-" + "x" * 32,
        queue_name=f"fr-test-{uuid.uuid4().hex[:8]}",
        gateway_allow_private_upstreams=True,  # test upstreams listen on loopback
        # Three workers share two cores with browsers and servers: an event loop here lags for
        # reasons that say nothing of the gateway's own load. Shedding is tested on its own
        # (tests/api/test_gateway_overload.py, tests/unit/test_gateway_overload.py).
        gateway_shed_lag_ms=0,
    )


@pytest.fixture(autouse=True)
def cheap_password_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id at minimum cost: real hashing, without a second of CPU per person a test signs in.

    Production parameters are pinned by the tests marked ``real_argon2``, which opt out.
    """
    if request.node.get_closest_marker("real_argon2") is None:
        cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
        monkeypatch.setattr(passwords, "_hasher", lambda: cheap)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def container(settings: Settings, clock: FrozenClock) -> Iterator[Container]:
    c = build_container(settings, clock=clock)
    try:
        yield c
    finally:
        c.close()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep the garbage collector off what every test shares, and run it less often.

    A test process holds about half a million long-lived objects (the platform, FastAPI,
    SQLAlchemy, Inspect, the cached test app), and Python's default thresholds scanned all of
    them in a full collection every few seconds: a tenth of an API test file's time went to the
    collector. Frozen after collection, they are never scanned again; larger thresholds collect
    the tests' own garbage in fewer, larger passes. Nothing a test asserts depends on either.
    """
    del session
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgres" in report.keywords and (report.when == "call" or report.skipped):
        if report.passed:
            _pg_outcomes["passed"] += 1
        elif report.failed:
            _pg_outcomes["failed"] += 1
        elif report.skipped:
            _pg_outcomes["skipped"] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    # Under xdist the controller sees every worker's reports, so these counts are global.
    counts = _pg_outcomes
    terminalreporter.write_line(
        f"PostgreSQL-backed tests: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    )
