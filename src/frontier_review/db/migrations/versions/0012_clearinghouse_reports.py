"""clearinghouse reports: reports, products, recipients, history, validations, KEV

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 11:33:00.190173
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontier_review.db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kev_entries",
        sa.Column("cve_id", sa.String(length=32), nullable=False),
        sa.Column("vendor_project", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("date_added", sa.Date(), nullable=True),
        sa.Column("ransomware", sa.String(length=32), nullable=False),
        sa.Column("catalog_version", sa.String(length=40), nullable=False),
        sa.Column("imported_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cve_id", name=op.f("pk_kev_entries")),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("source_org_id", sa.Uuid(), nullable=False),
        sa.Column("submitted_by", sa.String(length=320), nullable=False),
        sa.Column("submitted_by_user_id", sa.Uuid(), nullable=True),
        sa.Column("tlp", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("validator_org_id", sa.Uuid(), nullable=True),
        sa.Column("validated_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("canonical_id", sa.Uuid(), nullable=True),
        sa.Column("cve_id", sa.String(length=32), nullable=True),
        sa.Column("cwe_ids", sa.JSON(), nullable=False),
        sa.Column("cvss31_vector", sa.String(length=200), nullable=True),
        sa.Column("cvss31_score", sa.Float(), nullable=True),
        sa.Column("cvss31_severity", sa.String(length=16), nullable=True),
        sa.Column("cvss40_vector", sa.String(length=300), nullable=True),
        sa.Column("cvss40_score", sa.Float(), nullable=True),
        sa.Column("cvss40_severity", sa.String(length=16), nullable=True),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("references", sa.JSON(), nullable=False),
        sa.Column("embargo_until", sa.Date(), nullable=True),
        sa.Column("ai_model_version_id", sa.Uuid(), nullable=True),
        sa.Column("ai_notes", sa.Text(), nullable=False),
        sa.Column("ai_assisted", sa.Boolean(), nullable=False),
        sa.Column("exploited", sa.Boolean(), nullable=False),
        sa.Column("fix_available", sa.Boolean(), nullable=False),
        sa.Column("known_exploited", sa.Boolean(), nullable=False),
        sa.Column("priority_score", sa.Float(), nullable=False),
        sa.Column("priority_band", sa.String(length=16), nullable=False),
        sa.Column("priority_factors", sa.JSON(), nullable=False),
        sa.Column("finding_id", sa.Uuid(), nullable=True),
        sa.Column("engagement_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["canonical_id"], ["reports.id"], name=op.f("fk_reports_canonical_id_reports"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["source_org_id"], ["organizations.id"], name=op.f("fk_reports_source_org_id_organizations"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["validator_org_id"],
            ["organizations.id"],
            name=op.f("fk_reports_validator_org_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("finding_id", name=op.f("uq_reports_finding_id")),
    )
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reports_cve_id"), ["cve_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_priority_score"), ["priority_score"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_received_at"), ["received_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_source_org_id"), ["source_org_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_reports_tlp"), ["tlp"], unique=False)

    op.create_table(
        "report_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("what", sa.String(length=40), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.Column("related_report_id", sa.Uuid(), nullable=True),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("actor_org_id", sa.Uuid(), nullable=True),
        sa.Column("at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_events_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_events")),
        sa.UniqueConstraint("report_id", "seq", name="uq_report_events_report_seq"),
    )
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_events_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_products",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("vendor", sa.String(length=200), nullable=False),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("purl", sa.String(length=500), nullable=True),
        sa.Column("cpe", sa.String(length=500), nullable=True),
        sa.Column("versions", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_products_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_products")),
    )
    with op.batch_alter_table("report_products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_products_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_recipient_orgs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.Column("added_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_report_recipient_orgs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_recipient_orgs_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_recipient_orgs")),
        sa.UniqueConstraint("report_id", "organization_id", name="uq_report_recipient_orgs_report_org"),
    )
    with op.batch_alter_table("report_recipient_orgs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_recipient_orgs_organization_id"), ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_recipient_orgs_report_id"), ["report_id"], unique=False)

    op.create_table(
        "report_recipient_people",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("added_by", sa.String(length=320), nullable=False),
        sa.Column("added_at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_recipient_people_report_id_reports"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_report_recipient_people_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_recipient_people")),
        sa.UniqueConstraint("report_id", "user_id", name="uq_report_recipient_people_report_user"),
    )
    with op.batch_alter_table("report_recipient_people", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_recipient_people_report_id"), ["report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_recipient_people_user_id"), ["user_id"], unique=False)

    op.create_table(
        "report_validations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("validated_by", sa.String(length=320), nullable=False),
        sa.Column("reproduced", sa.Boolean(), nullable=False),
        sa.Column("versions_confirmed", sa.Boolean(), nullable=False),
        sa.Column("notes_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("evidence_sealed", sa.LargeBinary(), nullable=True),
        sa.Column("at", frontier_review.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_report_validations_organization_id_organizations"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name=op.f("fk_report_validations_report_id_reports"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_validations")),
    )
    with op.batch_alter_table("report_validations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_validations_report_id"), ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_validations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_validations_report_id"))

    op.drop_table("report_validations")
    with op.batch_alter_table("report_recipient_people", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_recipient_people_user_id"))
        batch_op.drop_index(batch_op.f("ix_report_recipient_people_report_id"))

    op.drop_table("report_recipient_people")
    with op.batch_alter_table("report_recipient_orgs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_recipient_orgs_report_id"))
        batch_op.drop_index(batch_op.f("ix_report_recipient_orgs_organization_id"))

    op.drop_table("report_recipient_orgs")
    with op.batch_alter_table("report_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_products_report_id"))

    op.drop_table("report_products")
    with op.batch_alter_table("report_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_events_report_id"))

    op.drop_table("report_events")
    with op.batch_alter_table("reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reports_tlp"))
        batch_op.drop_index(batch_op.f("ix_reports_status"))
        batch_op.drop_index(batch_op.f("ix_reports_source_org_id"))
        batch_op.drop_index(batch_op.f("ix_reports_received_at"))
        batch_op.drop_index(batch_op.f("ix_reports_priority_score"))
        batch_op.drop_index(batch_op.f("ix_reports_cve_id"))

    op.drop_table("reports")
    op.drop_table("kev_entries")
