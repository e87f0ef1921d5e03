"""Audit tables. Entries are append-only; the head row serialises appends."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Dialect, Index, Integer, LargeBinary, String, Text, TypeDecorator, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class CanonicalJSON(TypeDecorator[dict[str, Any]]):
    """JSON written in the spelling an entry's hash covers: sorted keys, no spaces (but ASCII).

    Read back as any JSON is. Verification hashes details stored so as they are, without decoding
    and encoding them again (``rows.py``); ``json.dumps``' spelling, which entries written before
    this type have, or non-ASCII text (escaped here, raw in the hashed text) is re-encoded. ASCII
    keeps every database encoding able to store the text.
    """

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Any:
        del dialect

        def process(value: Any) -> str | None:
            if value is None:
                return None
            return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False)

        return process


class AuditEntry(Base):
    """One audited event, chained to the previous one by ``prev_hash``."""

    __tablename__ = "audit_entries"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_label: Mapped[str] = mapped_column(String(320))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_org_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    action: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(String(16))
    target_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    target_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(CanonicalJSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_entries_action", "action"),
        Index("ix_audit_entries_actor_org_id", "actor_org_id"),
        Index("ix_audit_entries_occurred_at", "occurred_at"),
    )


HEAD_ID = 1  # the id of the chain head's single row


class AuditChainHead(Base):
    """Single row (id 1) holding the chain's tip; updating it first serialises writers."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """An Ed25519 signature over the chain's tip at ``seq``."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, index=True)
    entry_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(40))
    signature: Mapped[bytes] = mapped_column(LargeBinary)
