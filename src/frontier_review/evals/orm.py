"""Sealed benchmark suites: the samples of a benchmark version, encrypted at rest."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class SealedSuite(Base):
    """One benchmark version's samples, sealed with envelope encryption (never stored in clear)."""

    __tablename__ = "sealed_suites"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    benchmark_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("benchmarks.id", ondelete="RESTRICT"), unique=True)
    manifest: Mapped[dict[str, Any]] = mapped_column(JSON)
    sample_count: Mapped[int] = mapped_column(Integer)
    samples_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_by: Mapped[str] = mapped_column(String(320))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)
