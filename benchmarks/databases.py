"""Scratch databases for the benchmarks: a SQLite file, or a fresh PostgreSQL database dropped after."""

from __future__ import annotations

import uuid
from contextlib import ExitStack
from pathlib import Path


def scratch_database(stack: ExitStack, postgres_url: str | None, sqlite_file: Path, *, prefix: str) -> str:
    """A URL for a new, empty database: ``sqlite_file``, or a database named ``<prefix>_<random>``
    created on ``postgres_url``'s server and dropped (forcibly) when ``stack`` closes."""
    if not postgres_url:
        return f"sqlite+pysqlite:///{sqlite_file}"
    import sqlalchemy as sa

    admin_url = postgres_url.replace("postgresql://", "postgresql+psycopg://", 1)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    stack.callback(drop)
    return admin_url.rsplit("/", 1)[0] + f"/{name}"
