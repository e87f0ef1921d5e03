"""Scan tables: planned scans and the overlaps flagged between them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class PlannedScan(Base):
    """A registered vulnerability scan: who scans whom, what, when and with which model or agent.

    ``ranges`` and ``domains`` hold the checked, normalised values as text (``192.0.2.0/24``,
    ``*.example.com``); overlaps are computed from them in Python (``domain.overlap_of``), since
    no portable SQL compares CIDR ranges.
    """

    __tablename__ = "clearinghouse_scans"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    scanner_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    target_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ranges: Mapped[list[str]] = mapped_column(JSON)
    domains: Mapped[list[str]] = mapped_column(JSON)
    model_version_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    model_text: Mapped[str] = mapped_column(String(200), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    registered_by: Mapped[str] = mapped_column(String(320))
    registered_by_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    objection: Mapped[str | None] = mapped_column(Text, nullable=True)
    objected_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    objected_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this mapping once


class ScanOverlap(Base):
    """Two planned scans of one target that collide; ``first_id`` < ``second_id`` so a pair is stored once.

    Recomputed whenever either scan's scope changes: a pair that no longer overlaps is deleted, a
    pair that still does is flagged again (and any earlier resolution cleared, since it was agreed
    for the old scope).
    """

    __tablename__ = "clearinghouse_scan_overlaps"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    first_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clearinghouse_scans.id", ondelete="CASCADE"), index=True)
    second_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("clearinghouse_scans.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"ranges": [[a, b], …], "domains": [[a, b], …]}
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    resolution: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (UniqueConstraint("first_id", "second_id", name="uq_clearinghouse_scan_overlaps_pair"),)
