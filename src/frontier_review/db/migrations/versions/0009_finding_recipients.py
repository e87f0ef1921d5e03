"""finding recipients (TLP:RED named individuals)

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-02 01:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontier_review.db.base

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finding_recipients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("finding_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.Column("added_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_finding_recipients_finding_id_findings"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_finding_recipients_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_finding_recipients")),
        sa.UniqueConstraint("finding_id", "user_id", name="uq_finding_recipients_finding_user"),
    )
    with op.batch_alter_table("finding_recipients", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_finding_recipients_finding_id"), ["finding_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("finding_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_finding_recipients_finding_id"))
    op.drop_table("finding_recipients")
