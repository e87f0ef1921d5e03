"""Safe upgrades from the command line (issue 13 item 6): a database newer than the code is refused,
and `db upgrade --sql` prints SQL an operator can apply by hand on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import psycopg
import pytest
import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.db import migrate
from tests.cli import cli_env
from tests.conftest import new_postgres_database
from tests.live import closed_port

NEWER = "9999_from_a_newer_release"


def _cli(container: Container, *args: str) -> subprocess.CompletedProcess[str]:
    # A bounded wait: a command that should have refused to start would otherwise serve for ever.
    return subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", *args],
        env=cli_env(container),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(autouse=True)
def _revision_restored(container: Container) -> Iterator[None]:
    """The migrated revision is put back: the PostgreSQL database is the worker's for later tests."""
    with container.engine.connect() as conn:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    yield
    _set_revision(container, revision)


def _set_revision(container: Container, revision: str) -> None:
    with container.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision})


def test_serve_worker_and_upgrade_refuse_a_database_a_newer_release_migrated(container: Container) -> None:
    _set_revision(container, NEWER)
    with closed_port() as port:
        commands = [
            ("serve", "--port", str(port)),
            ("serve", "--no-migrate", "--port", str(port)),
            ("worker",),
            ("db", "upgrade"),
            ("db", "current"),
        ]
        for args in commands:
            result = _cli(container, *args)
            assert result.returncode == 2, (args, result.stdout, result.stderr)
            [line] = result.stderr.strip().splitlines()
            assert NEWER in line and "newer release" in line, line
            assert "Traceback" not in result.stderr
    assert migrate.current_revision(container.settings.resolved_database_url) == NEWER  # nothing changed


def test_db_current_tells_where_the_database_is(container: Container) -> None:
    head = migrate.head_revision()
    assert _cli(container, "db", "current").stdout.strip() == f"{head} (the latest)"
    _set_revision(container, "0015")
    assert _cli(container, "db", "current").stdout.strip() == f"0015 (behind {head})"


def test_db_check_says_the_schema_matches_in_one_line(container: Container) -> None:
    result = _cli(container, "db", "check")
    assert (result.returncode, result.stdout) == (0, "schema matches the models\n"), result.stderr


def test_upgrade_sql_prints_only_the_range_asked_for(container: Container) -> None:
    result = _cli(container, "db", "upgrade", "--sql", "0015:head")
    assert result.returncode == 0, result.stderr
    assert "Running upgrade 0015 -> 0016" in result.stdout
    assert "-> 0015" not in result.stdout
    assert "UPDATE alembic_version SET version_num='0016'" in result.stdout
    refused = _cli(container, "db", "upgrade", "--sql", "0015:nonesuch")
    assert refused.returncode != 0 and "nonesuch" in refused.stderr and "Traceback" not in refused.stderr
    assert _cli(container, "db", "upgrade", "0015:head").returncode != 0  # a range only makes sense with --sql


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    """A new, empty PostgreSQL database (no migrations applied)."""
    with new_postgres_database("fr_sql") as url:
        yield url


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # the CLI's own database does not matter here
def test_upgrade_sql_applied_by_hand_gives_the_schema_the_models_expect(container: Container, empty_postgres: str) -> None:
    result = _cli(container, "db", "upgrade", "--sql", "head")
    assert result.returncode == 0, result.stderr
    # As an operator would: the printed file through psql, stopping at the first error.
    libpq_url = empty_postgres.replace("postgresql+psycopg://", "postgresql://", 1)
    applied = subprocess.run(
        ["psql", "--no-psqlrc", "--set", "ON_ERROR_STOP=1", "--quiet", libpq_url],
        input=result.stdout,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert applied.returncode == 0, applied.stderr
    assert migrate.current_revision(empty_postgres) == migrate.head_revision()
    assert migrate.check(empty_postgres) == []  # the same schema `db upgrade` would have made
    with psycopg.connect(libpq_url) as conn:
        assert conn.execute("SELECT last_seq FROM audit_chain_head").fetchone() is not None
