"""REST endpoints for an engagement's confidential artifacts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import StreamingResponse

from frontier_review.engagements.materials import service
from frontier_review.engagements.materials.schemas import ArtifactOut, attachment
from frontier_review.web.deps import ApiPrincipal, UoW
from frontier_review.web.uploads import SealedSpoolRoute

# Uploads spool through sealed temporary files: no plaintext on disk before it is sealed.
router = APIRouter(tags=["engagements"], route_class=SealedSpoolRoute)


@router.get("/engagements/{engagement_id}/artifacts", summary="Confidential artifacts of an engagement")
def list_artifacts(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[ArtifactOut]:
    return [ArtifactOut.of(a) for a in service.list_artifacts(uow, principal, engagement_id)]


@router.post(
    "/engagements/{engagement_id}/artifacts",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a confidential artifact (developer)",
    description="Multipart form: `kind` (system_card, evaluation_results, weights or other) and `file`. Sealed in chunks.",
)
def upload_artifact(
    engagement_id: uuid.UUID,
    uow: UoW,
    principal: ApiPrincipal,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=40)] = "other",
) -> ArtifactOut:
    view = service.upload(
        uow,
        principal,
        engagement_id,
        kind=kind,
        filename=file.filename or "artifact",
        content_type=file.content_type,
        stream=file.file,
    )
    return ArtifactOut.of(view)


@router.get(
    "/engagements/{engagement_id}/artifacts/{artifact_id}/download",
    summary="Download an artifact (participants, during the window)",
    description="Every download is recorded with a per-recipient fingerprint, returned in `X-Download-Fingerprint`.",
    response_class=StreamingResponse,
)
def download_artifact(engagement_id: uuid.UUID, artifact_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> StreamingResponse:
    view, chunks, fingerprint = service.download_artifact(uow, principal, engagement_id, artifact_id)
    return attachment(chunks, view.filename, view.content_type, **{"X-Download-Fingerprint": fingerprint})
