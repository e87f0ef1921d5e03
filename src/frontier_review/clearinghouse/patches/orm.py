"""Patch tables: a report's fixes, one distribution record per affected operator, and its transitions."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class ReportFix(Base):
    """A fixed version of a report's affected product: version, release date, link, notes."""

    __tablename__ = "report_fixes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    fixed_version: Mapped[str] = mapped_column(String(100))
    released_on: Mapped[date] = mapped_column(Date)
    link: Mapped[str] = mapped_column(String(2000))
    notes: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[str] = mapped_column(String(320))
    added_by_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class PatchDistribution(Base):
    """Where one affected operator stands with one report's fix; unique per (report, organization)."""

    __tablename__ = "patch_distributions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str] = mapped_column(String(320))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (UniqueConstraint("report_id", "organization_id", name="uq_patch_distributions_report_org"),)


class PatchDistributionEvent(Base):
    """One transition of a record: from, to, who, when, the operator's note."""

    __tablename__ = "patch_distribution_events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    record_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("patch_distributions.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(320))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("record_id", "seq", name="uq_patch_distribution_events_seq"),)
