"""Tables of the security kernel: wrapped data keys and the instance's signing keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, Index, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class DataKey(Base):
    """One data key per secret, stored only wrapped under a master key."""

    __tablename__ = "data_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    master_key_id: Mapped[str] = mapped_column(String(40), index=True)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    owner_table: Mapped[str] = mapped_column(String(64))
    owner_id: Mapped[str] = mapped_column(String(64))
    owner_field: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    rewrapped_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_data_keys_owner", "owner_table", "owner_id", "owner_field"),)


class InstanceKey(Base):
    """An Ed25519 key pair of this instance; the private half is sealed with a data key."""

    __tablename__ = "instance_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
