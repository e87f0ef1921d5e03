"""Gateway access tables: upstreams, personal gateway tokens, the per-call access log and token reveals."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


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
    """One gateway call or artifact download, written durably before the response completes.

    A background writer chains each row into the audit log (DESIGN §3.7).
    """

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


class TokenReveal(Base):
    """A gateway token waiting to be shown once to the person who minted it.

    Sealed at rest, deleted (with its data key) when first shown or once it expires. Only its
    random id rides in the session cookie, never the token.
    """

    __tablename__ = "token_reveals"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagements.id", ondelete="CASCADE"))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
