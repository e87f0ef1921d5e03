"""Sealed-file tables: the chunks every sealed file is stored in, artifacts and finding evidence.

Artifacts and evidence files are the same kind of thing on disk — a file sealed in chunks under
its own data keys — so they share their file columns (:class:`SealedFileColumns`) and one store
(:mod:`~frontier_review.engagements.materials.store`). Only what they belong to differs.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from frontier_review.db.base import Base, UTCDateTime


class SealedChunk(Base):
    """One sealed chunk of an artifact or a finding's evidence file."""

    __tablename__ = "sealed_chunks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    owner_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("owner_id", "seq", name="uq_sealed_chunks_owner_seq"),)


class SealedFileColumns:
    """The columns of a file sealed in ``sealed_chunks`` under the row's id (a mixin).

    Attributes:
        filename: The cleaned file name.
        content_type: A bare ``type/subtype``.
        size: Bytes of plaintext.
        sha256: Hex digest of the plaintext.
        chunks: How many chunks hold it.
        uploaded_by: Who uploaded it (a principal's label).
        uploaded_at: When.
    """

    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    chunks: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(320))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Artifact(SealedFileColumns, Base):
    """A confidential file from the developer, sealed in chunks so memory stays flat."""

    __tablename__ = "engagement_artifacts"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    engagement_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("engagements.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32), server_default="other")
    purge_after: Mapped[datetime] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FindingEvidence(SealedFileColumns, Base):
    """An evidence file attached to a finding, sealed in chunks."""

    __tablename__ = "finding_evidence"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    finding_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("findings.id", ondelete="CASCADE"), index=True)
