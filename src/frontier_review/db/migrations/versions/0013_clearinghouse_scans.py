"""clearinghouse scans: planned vulnerability scans and their overlaps (issue 14 item 6)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontier_review.db.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "clearinghouse_scans",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("scanner_org_id", sa.Uuid(), nullable=False),
        sa.Column("target_org_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ranges", sa.JSON(), nullable=False),
        sa.Column("domains", sa.JSON(), nullable=False),
        sa.Column("model_version_id", sa.Uuid(), nullable=True),
        sa.Column("model_text", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("registered_by", sa.String(length=320), nullable=False),
        sa.Column("registered_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("objection", sa.Text(), nullable=True),
        sa.Column("objected_by", sa.String(length=320), nullable=True),
        sa.Column("objected_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scanner_org_id"],
            ["organizations.id"],
            name=op.f("fk_clearinghouse_scans_scanner_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["target_org_id"],
            ["organizations.id"],
            name=op.f("fk_clearinghouse_scans_target_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_scans")),
    )
    with op.batch_alter_table("clearinghouse_scans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_scans_scanner_org_id"), ["scanner_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearinghouse_scans_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearinghouse_scans_target_org_id"), ["target_org_id"], unique=False)
    op.create_table(
        "clearinghouse_scan_overlaps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("first_id", sa.Uuid(), nullable=False),
        sa.Column("second_id", sa.Uuid(), nullable=False),
        sa.Column("starts_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("flagged_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=320), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["first_id"],
            ["clearinghouse_scans.id"],
            name=op.f("fk_clearinghouse_scan_overlaps_first_id_clearinghouse_scans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["second_id"],
            ["clearinghouse_scans.id"],
            name=op.f("fk_clearinghouse_scan_overlaps_second_id_clearinghouse_scans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_scan_overlaps")),
        sa.UniqueConstraint("first_id", "second_id", name="uq_clearinghouse_scan_overlaps_pair"),
    )
    with op.batch_alter_table("clearinghouse_scan_overlaps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_scan_overlaps_first_id"), ["first_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_clearinghouse_scan_overlaps_second_id"), ["second_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clearinghouse_scan_overlaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_scan_overlaps_second_id"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_scan_overlaps_first_id"))
    op.drop_table("clearinghouse_scan_overlaps")
    with op.batch_alter_table("clearinghouse_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_scans_target_org_id"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_scans_starts_at"))
        batch_op.drop_index(batch_op.f("ix_clearinghouse_scans_scanner_org_id"))
    op.drop_table("clearinghouse_scans")
