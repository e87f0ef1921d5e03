"""clearinghouse patches: a report's fixes, distribution records per operator, and their transitions

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-12 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontier_review.db.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = frontier_review.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "report_fixes",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("fixed_version", sa.String(length=100), nullable=False),
        sa.Column("released_on", sa.Date(), nullable=False),
        sa.Column("link", sa.String(length=2000), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.Column("added_by_org_id", sa.Uuid(), nullable=True),
        sa.Column("added_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_fixes_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_fixes")),
    )
    with op.batch_alter_table("report_fixes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_fixes_report_id"), ["report_id"], unique=False)
    op.create_table(
        "patch_distributions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_patch_distributions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_patch_distributions_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patch_distributions")),
        sa.UniqueConstraint("report_id", "organization_id", name="uq_patch_distributions_report_org"),
    )
    with op.batch_alter_table("patch_distributions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patch_distributions_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patch_distributions_report_id"), ["report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_patch_distributions_state"), ["state"], unique=False)
    op.create_table(
        "patch_distribution_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=True),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["patch_distributions.id"],
            name=op.f("fk_patch_distribution_events_record_id_patch_distributions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patch_distribution_events")),
        sa.UniqueConstraint("record_id", "seq", name="uq_patch_distribution_events_seq"),
    )
    with op.batch_alter_table("patch_distribution_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patch_distribution_events_record_id"), ["record_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("patch_distribution_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patch_distribution_events_record_id"))
    op.drop_table("patch_distribution_events")
    with op.batch_alter_table("patch_distributions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patch_distributions_state"))
        batch_op.drop_index(batch_op.f("ix_patch_distributions_report_id"))
        batch_op.drop_index(batch_op.f("ix_patch_distributions_organization_id"))
    op.drop_table("patch_distributions")
    with op.batch_alter_table("report_fixes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_fixes_report_id"))
    op.drop_table("report_fixes")
