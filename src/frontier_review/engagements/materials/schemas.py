"""API models for artifacts and evidence files, and the one streamed-attachment response."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import quote

from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from frontier_review.engagements.materials.evidence import EvidenceView
from frontier_review.engagements.materials.service import ArtifactView


class ArtifactOut(BaseModel):
    id: uuid.UUID
    engagement_id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    purge_after: datetime
    purged_at: datetime | None

    @classmethod
    def of(cls, a: ArtifactView) -> ArtifactOut:
        return cls(**{f: getattr(a, f) for f in cls.model_fields})


class EvidenceOut(BaseModel):
    id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime

    @classmethod
    def of(cls, e: EvidenceView) -> EvidenceOut:
        return cls(**{f: getattr(e, f) for f in cls.model_fields})


def attachment(chunks: Iterator[bytes], filename: str, content_type: str, **headers: str) -> StreamingResponse:
    # RFC 6266: an ASCII fallback and the exact name, percent-encoded.
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        chunks,
        media_type=content_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store", **headers},
    )
