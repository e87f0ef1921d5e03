"""Engagement tables: engagements, versioned terms, participants, revoked people, partner designations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class PartnerDesignation(Base):
    """The program office's designation of a trusted partner (critical-infrastructure operator)."""

    __tablename__ = "partner_designations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    sector: Mapped[str] = mapped_column(String(64))
    basis: Mapped[str] = mapped_column(Text)
    designated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    designated_by: Mapped[str] = mapped_column(String(320))


class Engagement(Base):
    """A developer's offer of prerelease access to one model version, on its terms."""

    __tablename__ = "engagements"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    model_version_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("model_versions.id", ondelete="RESTRICT"), index=True)
    developer_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16), index=True)
    closed_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime)
    window_end: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[str] = mapped_column(String(32))
    partners_from: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    current_terms: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped by every change that affects access (revocation, terms, release), so a gateway
    # process's cache of this engagement is never trusted past the next request.
    access_epoch: Mapped[int] = mapped_column(Integer, default=1)
    offered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    start_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this mapping once


class TermsVersion(Base):
    """One version of an engagement's terms; never edited, a change makes a new version."""

    __tablename__ = "engagement_terms"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagements.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    materials: Mapped[dict[str, Any]] = mapped_column(JSON)
    protections: Mapped[dict[str, Any]] = mapped_column(JSON)
    default_quotas: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("engagement_id", "number", name="uq_engagement_terms_number"),)


class Participant(Base):
    """An agency or trusted partner invited to an engagement, with its quotas and acceptance."""

    __tablename__ = "engagement_participants"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    cohort: Mapped[str] = mapped_column(String(16))
    requests_per_day: Mapped[int] = mapped_column(Integer)
    tokens_per_day: Mapped[int] = mapped_column(Integer)
    requests_per_minute: Mapped[int] = mapped_column(Integer)
    accepted_terms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    accepted_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("engagement_id", "organization_id", name="uq_participants_engagement_org"),)


class TermsAcceptance(Base):
    """Who accepted which terms version, when (the participant row keeps only the latest)."""

    __tablename__ = "terms_acceptances"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagement_participants.id", ondelete="CASCADE"))
    terms_number: Mapped[int] = mapped_column(Integer)
    accepted_by: Mapped[str] = mapped_column(String(320))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RevokedUser(Base):
    """One person cut off from one engagement by the developer."""

    __tablename__ = "engagement_revoked_users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagements.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_by: Mapped[str] = mapped_column(String(320))

    __table_args__ = (UniqueConstraint("engagement_id", "user_id", name="uq_revoked_users_engagement_user"),)
