"""clearinghouse incidents: AI-enabled intrusion reports, indicators, recipients, referrals; law-enforcement agencies

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontier_review.db.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("law_enforcement", sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        "incidents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("reporter_org_id", sa.Uuid(), nullable=False),
        sa.Column("reporter_user_id", sa.Uuid(), nullable=True),
        sa.Column("reported_by", sa.String(length=320), nullable=False),
        sa.Column("systems", sa.String(length=2000), nullable=False),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("started_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("detected_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("detection", sa.String(length=32), nullable=False),
        sa.Column("detection_details", sa.String(length=2000), nullable=False),
        sa.Column("model_version_id", sa.Uuid(), nullable=True),
        sa.Column("model_text", sa.String(length=200), nullable=False),
        sa.Column("narrative_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("tlp", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reported_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["model_versions.id"],
            name=op.f("fk_incidents_model_version_id_model_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_org_id"],
            ["organizations.id"],
            name=op.f("fk_incidents_reporter_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_user_id"], ["users.id"], name=op.f("fk_incidents_reporter_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_reporter_org_id"), ["reporter_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incidents_status"), ["status"], unique=False)

    op.create_table(
        "incident_indicators",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=2048), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_indicators_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_indicators")),
    )
    with op.batch_alter_table("incident_indicators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_indicators_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "incident_recipient_orgs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_recipient_orgs_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_incident_recipient_orgs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_recipient_orgs")),
        sa.UniqueConstraint("incident_id", "organization_id", name="uq_incident_recipient_orgs_incident_org"),
    )
    with op.batch_alter_table("incident_recipient_orgs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_recipient_orgs_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_recipient_orgs_organization_id"), ["organization_id"], unique=False)

    op.create_table(
        "incident_recipient_people",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_recipient_people_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_incident_recipient_people_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_recipient_people")),
        sa.UniqueConstraint("incident_id", "user_id", name="uq_incident_recipient_people_incident_user"),
    )
    with op.batch_alter_table("incident_recipient_people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_recipient_people_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_recipient_people_user_id"), ["user_id"], unique=False)

    op.create_table(
        "incident_referrals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("referred_by", sa.String(length=320), nullable=False),
        sa.Column("referred_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=320), nullable=True),
        sa.Column("acknowledged_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("acknowledged_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_user_id"],
            ["users.id"],
            name=op.f("fk_incident_referrals_acknowledged_by_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_incident_referrals_incident_id_incidents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_incident_referrals_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_referrals")),
        sa.UniqueConstraint("incident_id", "organization_id", name="uq_incident_referrals_incident_org"),
    )
    with op.batch_alter_table("incident_referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_referrals_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_referrals_organization_id"), ["organization_id"], unique=False)


def downgrade() -> None:
    for table, indexes in (
        ("incident_referrals", ("organization_id", "incident_id")),
        ("incident_recipient_people", ("user_id", "incident_id")),
        ("incident_recipient_orgs", ("organization_id", "incident_id")),
        ("incident_indicators", ("incident_id",)),
        ("incidents", ("status", "reporter_org_id")),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in indexes:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("law_enforcement")
