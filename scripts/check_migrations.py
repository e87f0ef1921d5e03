"""Migrations are safe and complete.

1. Every migration's ``upgrade()`` leaves the previous release's code working: no renames, and
   drops only in ``# contract:`` migrations of what the models no longer map and
   ``db/retired.py`` lists (the rule is in ``frontier_review/db/contract.py``).
2. ``alembic upgrade head`` then ``alembic check`` on a fresh SQLite file and a fresh PostgreSQL
   database.

Run by `make test`. Under CI=true an unreachable PostgreSQL is a failure, not a skip.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

import sqlalchemy as sa

from frontier_review.composition import Base
from frontier_review.db import contract, migrate
from frontier_review.db.retired import RETIRED


def _pg_admin_url() -> str:
    raw = os.environ.get("FR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    return raw.replace("postgresql://", "postgresql+psycopg://", 1)


def check(url: str, label: str) -> bool:
    migrate.upgrade(url)
    problems = migrate.check(url)
    if problems:
        print(f"{label}: migrations out of step with the models: {problems}")
        return False
    print(f"{label}: upgrade head + check OK")
    return True


def check_contract() -> bool:
    found = contract.check_directory(Base.metadata, RETIRED)
    for problem in found:
        print(f"unsafe for the running release: {problem}")
    if not found:
        print("migrations: safe for the previous release (no renames; drops only in contract migrations)")
    return not found


def main() -> int:
    ok = check_contract()
    with tempfile.TemporaryDirectory() as tmp:
        ok &= check(f"sqlite+pysqlite:///{Path(tmp) / 'check.db'}", "sqlite")
    admin_url = _pg_admin_url()
    name = f"fr_migcheck_{uuid.uuid4().hex[:10]}"
    try:
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI") == "true":
            print(f"postgresql: unreachable under CI=true: {exc.orig}")
            return 1
        print(f"postgresql: SKIPPED (unreachable: {exc.orig})")
        return 0 if ok else 1
    try:
        ok &= check(admin_url.rsplit("/", 1)[0] + f"/{name}", "postgresql")
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
