"""sealed classified scores, sealed target URLs, classified-run overrides, pinned graders

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontier_review.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("benchmark_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scores_sealed", sa.LargeBinary(), nullable=True))
        batch_op.alter_column("score", existing_type=sa.Float(), nullable=True)

    with op.batch_alter_table("benchmark_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("grader_target_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("scores_sealed", sa.LargeBinary(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_benchmark_runs_grader_target_id_model_targets"),
            "model_targets",
            ["grader_target_id"],
            ["id"],
            ondelete="RESTRICT",
        )

    with op.batch_alter_table("model_targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_url_sealed", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("classified_allowed_by", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("classified_allowed_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("classified_allowed_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("model_targets", schema=None) as batch_op:
        batch_op.drop_column("classified_allowed_reason")
        batch_op.drop_column("classified_allowed_at")
        batch_op.drop_column("classified_allowed_by")
        batch_op.drop_column("base_url_sealed")

    with op.batch_alter_table("benchmark_runs", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_benchmark_runs_grader_target_id_model_targets"), type_="foreignkey")
        batch_op.drop_column("scores_sealed")
        batch_op.drop_column("grader_target_id")

    with op.batch_alter_table("benchmark_results", schema=None) as batch_op:
        batch_op.alter_column("score", existing_type=sa.Float(), nullable=False)
        batch_op.drop_column("scores_sealed")
