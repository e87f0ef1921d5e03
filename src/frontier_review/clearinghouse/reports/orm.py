"""Report tables: reports, their products, recipients, history, validations, and the KEV catalogue.

Descriptions and validation notes and evidence are sealed at rest (``security.service``); the
title is stored in clear because lists show it, always through the report's TLP audience.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class Report(Base):
    """A vulnerability report; CVSS scores and the priority are computed and stored with their inputs."""

    __tablename__ = "reports"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    source_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(320))
    submitted_by_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    tlp: Mapped[str] = mapped_column(String(24), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    validator_org_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), nullable=True
    )
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    canonical_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("reports.id", ondelete="SET NULL"), nullable=True)
    cve_id: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    cwe_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    cvss31_vector: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cvss31_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    cvss31_severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    cvss40_vector: Mapped[str | None] = mapped_column(String(300), nullable=True)
    cvss40_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    cvss40_severity: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list)
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    embargo_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    ai_model_version_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    ai_notes: Mapped[str] = mapped_column(Text, default="")
    ai_assisted: Mapped[bool] = mapped_column(Boolean, default=False)
    exploited: Mapped[bool] = mapped_column(Boolean, default=False)
    fix_available: Mapped[bool] = mapped_column(Boolean, default=False)
    known_exploited: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_score: Mapped[float] = mapped_column(Float, index=True)
    priority_band: Mapped[str] = mapped_column(String(16))
    priority_factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    finding_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True, unique=True)
    engagement_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ReportProduct(Base):
    """An affected product of a report, in the order it was given."""

    __tablename__ = "report_products"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    vendor: Mapped[str] = mapped_column(String(200))
    product: Mapped[str] = mapped_column(String(200))
    purl: Mapped[str | None] = mapped_column(String(500), nullable=True)
    cpe: Mapped[str | None] = mapped_column(String(500), nullable=True)
    versions: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ReportRecipientOrg(Base):
    """An organization a report is addressed to (TLP:AMBER, TLP:AMBER+STRICT)."""

    __tablename__ = "report_recipient_orgs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    added_by: Mapped[str] = mapped_column(String(320))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("report_id", "organization_id", name="uq_report_recipient_orgs_report_org"),)


class ReportRecipientPerson(Base):
    """A person a report names (TLP:RED's audience, with the submitter)."""

    __tablename__ = "report_recipient_people"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_by: Mapped[str] = mapped_column(String(320))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("report_id", "user_id", name="uq_report_recipient_people_report_user"),)


class ReportEvent(Base):
    """One change in a report's history: what changed, from what to what (when not confidential), who, when.

    ``related_report_id`` names the other report of a merge; it is shown only to readers of both.
    """

    __tablename__ = "report_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    what: Mapped[str] = mapped_column(String(40))
    old: Mapped[str | None] = mapped_column(Text, nullable=True)
    new: Mapped[str | None] = mapped_column(Text, nullable=True)
    related_report_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor: Mapped[str] = mapped_column(String(320))
    actor_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("report_id", "seq", name="uq_report_events_report_seq"),)


class ReportValidation(Base):
    """The clearinghouse's or its validator's confirmation of a report; notes and evidence sealed."""

    __tablename__ = "report_validations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"))
    validated_by: Mapped[str] = mapped_column(String(320))
    reproduced: Mapped[bool] = mapped_column(Boolean)
    versions_confirmed: Mapped[bool] = mapped_column(Boolean)
    notes_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    evidence_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class KevEntry(Base):
    """One entry of CISA's Known Exploited Vulnerabilities catalogue, imported as data."""

    __tablename__ = "kev_entries"

    cve_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    vendor_project: Mapped[str] = mapped_column(String(200), default="")
    product: Mapped[str] = mapped_column(String(200), default="")
    name: Mapped[str] = mapped_column(String(500), default="")
    date_added: Mapped[date | None] = mapped_column(Date, nullable=True)
    ransomware: Mapped[str] = mapped_column(String(32), default="")
    catalog_version: Mapped[str] = mapped_column(String(40))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
