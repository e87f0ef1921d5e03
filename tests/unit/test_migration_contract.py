"""The migration check refuses what would break the previous release during an upgrade (issue 13 item 6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from frontier_review.composition import Base
from frontier_review.db import contract
from frontier_review.db.retired import RETIRED as REAL_RETIRED

MAPPED = {"users", "users.email", "users.full_name", "organizations", "organizations.name"}
RETIRED = {"users.legacy_flag": "0.2.0", "old_reports": "0.2.0"}

HEADER = '''"""A migration."""
from alembic import op
import sqlalchemy as sa

revision = "0099"
down_revision = "0098"
'''


def _problems(body: str, *, marker: bool = False) -> list[str]:
    source = HEADER + ("# contract: the code stopped reading these in 0.2.0\n" if marker else "") + body
    return contract.problems(source, name="0099_x.py", mapped=MAPPED, retired=RETIRED)


def test_a_drop_outside_a_contract_migration_is_refused() -> None:
    [problem] = _problems('def upgrade() -> None:\n    op.drop_column("users", "legacy_flag")\n')
    assert "0099_x.py:8" in problem and "users.legacy_flag" in problem and "contract" in problem


def test_a_contract_migration_may_drop_what_was_retired() -> None:
    body = """def upgrade() -> None:
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("legacy_flag")
    op.drop_table("old_reports")
"""
    assert _problems(body, marker=True) == []


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('    op.drop_column("users", "email")\n', "the models still map"),
        ('    with op.batch_alter_table("users") as b:\n        b.drop_column("full_name")\n', "users.full_name"),
        ('    op.drop_table("organizations")\n', "the models still map"),
        ('    op.drop_column("users", "never_retired")\n', "does not list as retired"),
    ],
)
def test_a_contract_migration_may_not_drop_what_the_code_reads(body: str, words: str) -> None:
    [problem] = _problems("def upgrade() -> None:\n" + body, marker=True)
    assert words in problem


@pytest.mark.parametrize(
    "body",
    [
        '    op.rename_table("organizations", "orgs")\n',
        '    op.alter_column("users", "email", new_column_name="address")\n',
        '    with op.batch_alter_table("users") as b:\n        b.alter_column("email", new_column_name="address")\n',
    ],
)
def test_renames_are_refused_even_in_a_contract_migration(body: str) -> None:
    for marker in (False, True):
        [problem] = _problems("def upgrade() -> None:\n" + body, marker=marker)
        assert "renames" in problem


@pytest.mark.parametrize(
    "sql", ["ALTER TABLE users DROP COLUMN email", "alter table users rename to people", "DROP TABLE organizations"]
)
def test_raw_ddl_that_drops_or_renames_is_refused(sql: str) -> None:
    for call in (f'op.execute("{sql}")', f'op.execute(sa.text("{sql}"))'):
        [problem] = _problems(f"def upgrade() -> None:\n    {call}\n", marker=True)
        assert "raw DDL" in problem


def test_downgrades_and_additions_are_not_its_business() -> None:
    body = """def upgrade() -> None:
    op.add_column("users", sa.Column("nickname", sa.String(50), nullable=True))
    op.execute("UPDATE users SET nickname = full_name")


def downgrade() -> None:
    op.drop_column("users", "nickname")
"""
    assert _problems(body) == []


def test_the_check_passes_the_real_migrations_and_fails_a_bad_one(tmp_path: Path) -> None:
    assert contract.check_directory(Base.metadata, REAL_RETIRED) == []  # what scripts/check_migrations.py runs
    (tmp_path / "0099_drop_email.py").write_text(
        HEADER + '\n\ndef upgrade() -> None:\n    op.drop_column("users", "email")\n', encoding="utf-8"
    )
    [problem] = contract.check_directory(Base.metadata, REAL_RETIRED, tmp_path)
    assert problem.startswith("0099_drop_email.py:") and "users.email" in problem
