"""Storage settings that the rest relies on."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.db.engine import make_engine
from frontier_review.identity.domain import OrgKind
from frontier_review.identity.orm import Organization
from tests.factories.identity import make_org


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: Path, sqlite_template: Path) -> None:
    """SQLite-only pragmas, so this test takes its own SQLite file rather than the two-backend fixture."""
    shutil.copyfile(sqlite_template, tmp_path / "wal.db")
    engine = make_engine(f"sqlite+pysqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(container: Container) -> None:
    import uuid

    with pytest.raises(sa.exc.IntegrityError), container.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO users (id, email, full_name, organization_id, role, cleared, is_superuser, is_active, "
                "password_hash, session_epoch, failed_logins, created_at, version) VALUES "
                "(:id, 'x@example.org', 'X', :org, 'member', false, false, true, 'h', 1, 0, :now, 1)"
            ),
            {"id": uuid.uuid4().hex, "org": uuid.uuid4().hex, "now": datetime(2026, 6, 2, tzinfo=UTC).replace(tzinfo=None)},
        )


def test_times_come_back_as_the_same_utc_instant(container: Container) -> None:
    org = make_org(container, OrgKind.AGENCY)
    with container.sessions() as session:
        stored = session.get(Organization, org.id)
        assert stored is not None
        assert stored.created_at == org.created_at
        assert stored.created_at.tzinfo is not None
        assert stored.created_at.utcoffset() == timedelta(0)
        stored.created_at = datetime(2026, 6, 2, 8, 0, tzinfo=timezone(timedelta(hours=-4)))
        session.commit()
    with container.sessions() as session:
        reread = session.get(Organization, org.id)
        assert reread is not None
        assert reread.created_at == datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
