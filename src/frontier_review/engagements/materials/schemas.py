"""API models for artifacts and evidence files, and the one streamed-attachment response."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote

from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from frontier_review.engagements.materials.evidence import EvidenceView
from frontier_review.engagements.materials.service import ArtifactView


class ArtifactOut(BaseModel):
    """A confidential file the developer shared on an engagement (its metadata; download for the content)."""

    id: uuid.UUID = Field(description="The artifact's id.")
    engagement_id: uuid.UUID = Field(description="Its engagement.")
    kind: str = Field(description="`system_card`, `evaluation_results`, `weights` or `other`.")
    filename: str = Field(description="The file's name, as uploaded (without directories).")
    content_type: str = Field(description="Its media type.")
    size: int = Field(description="Its size in bytes.")
    sha256: str = Field(description="The SHA-256 digest of its content, in hex.")
    uploaded_by: str = Field(description="Who uploaded it (an e-mail address).")
    uploaded_at: datetime = Field(description="When.")
    purge_after: datetime = Field(description="When its retention ends; from then on it cannot be downloaded.")
    purged_at: datetime | None = Field(description="When its content was deleted, or null; the record stays listed.")

    @classmethod
    def of(cls, a: ArtifactView) -> ArtifactOut:
        return cls(**{f: getattr(a, f) for f in cls.model_fields})


class EvidenceOut(BaseModel):
    """An evidence file attached to a finding (its metadata; download for the content)."""

    id: uuid.UUID = Field(description="The evidence file's id.")
    filename: str = Field(description="The file's name, as uploaded (without directories).")
    content_type: str = Field(description="Its media type.")
    size: int = Field(description="Its size in bytes.")
    sha256: str = Field(description="The SHA-256 digest of its content, in hex.")
    uploaded_by: str = Field(description="Who attached it (an e-mail address).")
    uploaded_at: datetime = Field(description="When.")

    @classmethod
    def of(cls, e: EvidenceView) -> EvidenceOut:
        return cls(**{f: getattr(e, f) for f in cls.model_fields})


DOWNLOAD: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The file, with the media type it was uploaded with.",
        "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
    }
}
"""The documented answer of a download route (``responses=DOWNLOAD``): any media type, as uploaded."""


def attachment(chunks: Iterator[bytes], filename: str, content_type: str, **headers: str) -> StreamingResponse:
    """A file download that is never cached, named ``filename`` whatever characters it has."""
    # RFC 6266: an ASCII fallback and the exact name, percent-encoded.
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        chunks,
        media_type=content_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store", **headers},
    )
