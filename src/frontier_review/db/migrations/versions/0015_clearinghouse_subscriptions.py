"""clearinghouse subscriptions: subscriptions, their webhook deliveries and each attempt

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontier_review.db.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = frontier_review.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clearinghouse_subscriptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("products", sa.JSON(), nullable=False),
        sa.Column("min_score", sa.Float(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("webhook_url", sa.String(length=2000), nullable=True),
        sa.Column("secret_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_clearinghouse_subscriptions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_subscriptions")),
    )
    with op.batch_alter_table("clearinghouse_subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_subscriptions_organization_id"), ["organization_id"], unique=False)
    op.create_table(
        "clearinghouse_subscription_deliveries",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("subscription_id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", _WHEN, nullable=True),
        sa.Column("claimed_at", _WHEN, nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.Column("people_notified", sa.Integer(), nullable=False),
        sa.Column("created_at", _WHEN, nullable=False),
        sa.Column("finished_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["clearinghouse_subscriptions.id"],
            name=op.f("fk_clearinghouse_subscription_deliveries_subscription_id_clearinghouse_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_subscription_deliveries")),
        sa.UniqueConstraint("subscription_id", "report_id", name="uq_clearinghouse_subscription_deliveries_subscription_report"),
    )
    with op.batch_alter_table("clearinghouse_subscription_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_clearinghouse_subscription_deliveries_state_next", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_clearinghouse_subscription_deliveries_subscription_id"), ["subscription_id"], unique=False
        )
    op.create_table(
        "clearinghouse_delivery_attempts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("delivery_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("started_at", _WHEN, nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("next_attempt_at", _WHEN, nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["clearinghouse_subscription_deliveries.id"],
            name=op.f("fk_clearinghouse_delivery_attempts_delivery_id_clearinghouse_subscription_deliveries"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse_delivery_attempts")),
    )
    with op.batch_alter_table("clearinghouse_delivery_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clearinghouse_delivery_attempts_delivery_id"), ["delivery_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clearinghouse_delivery_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_delivery_attempts_delivery_id"))
    op.drop_table("clearinghouse_delivery_attempts")
    with op.batch_alter_table("clearinghouse_subscription_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_subscription_deliveries_subscription_id"))
        batch_op.drop_index("ix_clearinghouse_subscription_deliveries_state_next")
    op.drop_table("clearinghouse_subscription_deliveries")
    with op.batch_alter_table("clearinghouse_subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clearinghouse_subscriptions_organization_id"))
    op.drop_table("clearinghouse_subscriptions")
