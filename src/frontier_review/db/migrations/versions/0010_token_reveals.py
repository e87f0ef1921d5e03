"""token reveals: a new gateway token is shown once from a sealed server-side record

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:15:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontier_review.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "token_reveals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("engagement_id", sa.Uuid(), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["engagement_id"], ["engagements.id"], name=op.f("fk_token_reveals_engagement_id_engagements"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_token_reveals_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_token_reveals")),
    )
    with op.batch_alter_table("token_reveals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_token_reveals_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_token_reveals_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("token_reveals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_token_reveals_user_id"))
        batch_op.drop_index(batch_op.f("ix_token_reveals_expires_at"))
    op.drop_table("token_reveals")
