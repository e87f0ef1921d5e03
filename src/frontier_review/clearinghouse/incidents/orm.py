"""Incident tables: incidents, their indicators, named recipients and referrals."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class Incident(Base):
    """An AI-enabled intrusion a member organization reported; its narrative is sealed at rest."""

    __tablename__ = "incidents"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    reporter_org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    reporter_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    reported_by: Mapped[str] = mapped_column(String(320))
    systems: Mapped[str] = mapped_column(String(2000))
    sectors: Mapped[list[str]] = mapped_column(JSON)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    detection: Mapped[str] = mapped_column(String(32))
    detection_details: Mapped[str] = mapped_column(String(2000))
    model_version_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("model_versions.id", ondelete="SET NULL"), nullable=True
    )
    model_text: Mapped[str] = mapped_column(String(200))
    narrative_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    tlp: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), index=True)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads this mapping once


class IncidentIndicator(Base):
    """One typed observable of an incident (STIX 2.1 names, see ``observables.Kind``)."""

    __tablename__ = "incident_indicators"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(2048))


class IncidentRecipientOrg(Base):
    """An organization named on an incident (AMBER, AMBER+STRICT: need to know)."""

    __tablename__ = "incident_recipient_orgs"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="CASCADE"), index=True)

    __table_args__ = (UniqueConstraint("incident_id", "organization_id", name="uq_incident_recipient_orgs_incident_org"),)


class IncidentRecipientPerson(Base):
    """A person named on an incident (RED: the named individuals)."""

    __tablename__ = "incident_recipient_people"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)

    __table_args__ = (UniqueConstraint("incident_id", "user_id", name="uq_incident_recipient_people_incident_user"),)


class IncidentReferral(Base):
    """A referral to a law-enforcement organization, and its acknowledgement."""

    __tablename__ = "incident_referrals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    incident_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"), index=True)
    note: Mapped[str] = mapped_column(String(2000))
    referred_by: Mapped[str] = mapped_column(String(320))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(320), nullable=True)
    acknowledged_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (UniqueConstraint("incident_id", "organization_id", name="uq_incident_referrals_incident_org"),)
