"""Registry tables: models, their versions, and fact declarations (immutable, superseded by newer ones)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class Model(Base):
    """A model family owned by a developer organization."""

    __tablename__ = "models"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)

    __table_args__ = (UniqueConstraint("organization_id", "name_key", name="uq_models_org_name"),)


class ModelVersion(Base):
    """A release candidate. Status moves prerelease → released | withdrawn, at the developer's word only."""

    __tablename__ = "model_versions"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    model_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("models.id", ondelete="RESTRICT"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    label_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this mapping once
    __table_args__ = (UniqueConstraint("model_id", "label_key", name="uq_model_versions_model_label"),)


class FactDeclaration(Base):
    """One declared value of one fact, with its provenance. Never edited: a new one supersedes it."""

    __tablename__ = "fact_declarations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    model_version_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("model_versions.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON)
    unit: Mapped[str | None] = mapped_column(String(32), nullable=True)
    source_document: Mapped[str] = mapped_column(Text, default="")
    declared_by: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    declared_by_label: Mapped[str] = mapped_column(String(320))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_fact_declarations_version_name", "model_version_id", "name"),)
