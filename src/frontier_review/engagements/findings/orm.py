"""Finding tables: findings, their threads and their named recipients (evidence files live in ``materials``)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class Finding(Base):
    """A participant's advisory finding about the model; description sealed at rest."""

    __tablename__ = "findings"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organizations.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(16))
    tlp: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    description_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    filed_by: Mapped[str] = mapped_column(String(320))
    filed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FindingComment(Base):
    """One message in a finding's thread, optionally changing its status."""

    __tablename__ = "finding_comments"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    finding_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(320))
    author_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    body_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    status_to: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FindingRecipient(Base):
    """A person the finder named on a finding.

    Under TLP:RED the named people are the only ones besides the filer who may see it (DESIGN §3.5a).
    """

    __tablename__ = "finding_recipients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    finding_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    added_by: Mapped[str] = mapped_column(String(320))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("finding_id", "user_id", name="uq_finding_recipients_finding_user"),)
