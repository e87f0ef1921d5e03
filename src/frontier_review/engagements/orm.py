"""Engagement tables: engagements, versioned terms, participants, partner designations, gateway
tokens, upstreams, per-call access log, artifacts and findings."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
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


class Upstream(Base):
    """Where the gateway forwards one variant of an engagement's model. URL and key are sealed."""

    __tablename__ = "engagement_upstreams"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagements.id", ondelete="CASCADE"))
    variant: Mapped[str] = mapped_column(String(40))
    upstream_model: Mapped[str] = mapped_column(String(200))
    url_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    api_key_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    set_by: Mapped[str] = mapped_column(String(320))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (UniqueConstraint("engagement_id", "variant", name="uq_upstreams_engagement_variant"),)


class GatewayToken(Base):
    """A reviewer's personal, engagement-scoped gateway token (``frg_…``); only its digest is stored."""

    __tablename__ = "gateway_tokens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    lookup: Mapped[str] = mapped_column(String(16))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AccessLog(Base):
    """One gateway call or artifact download, written durably before the response completes and
    chained into the audit log by a background writer (DESIGN §3.7)."""

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ref: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    participant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_label: Mapped[str] = mapped_column(String(320))
    token_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    variant: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(40))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[float] = mapped_column(default=0.0)
    day: Mapped[date] = mapped_column(Date)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    transcript_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    audit_entry_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)

    __table_args__ = (
        Index("ix_access_log_unchained", "audit_entry_id", "id"),
        Index("ix_access_log_participant_day", "participant_id", "day"),
    )


class Artifact(Base):
    """A confidential file from the developer, sealed in chunks so memory stays flat."""

    __tablename__ = "engagement_artifacts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), server_default="other")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    chunks: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    purge_after: Mapped[datetime] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SealedChunk(Base):
    """One sealed chunk of an artifact or a finding's evidence file."""

    __tablename__ = "sealed_chunks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("owner_id", "seq", name="uq_sealed_chunks_owner_seq"),)


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


class FindingEvidence(Base):
    """An evidence file attached to a finding, sealed in chunks."""

    __tablename__ = "finding_evidence"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    finding_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    chunks: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class FindingRecipient(Base):
    """A person the finder named on a finding: under TLP:RED, the only people besides the filer
    who may see it (DESIGN §3.5a)."""

    __tablename__ = "finding_recipients"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    finding_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    added_by: Mapped[str] = mapped_column(String(320))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("finding_id", "user_id", name="uq_finding_recipients_finding_user"),)


class TokenReveal(Base):
    """A gateway token waiting to be shown once to the person who minted it: sealed at rest,
    deleted (with its data key) when first shown or once it expires. Only its random id rides in
    the session cookie, never the token."""

    __tablename__ = "token_reveals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagements.id", ondelete="CASCADE"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
