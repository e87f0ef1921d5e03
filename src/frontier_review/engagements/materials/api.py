"""REST endpoints for an engagement's confidential artifacts."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import StreamingResponse

from frontier_review.engagements.materials import service
from frontier_review.engagements.materials.schemas import DOWNLOAD, ArtifactOut, attachment
from frontier_review.web.deps import ApiPrincipal, UoW
from frontier_review.web.uploads import SealedSpoolRoute

# Uploads spool through sealed temporary files: no plaintext on disk before it is sealed.
router = APIRouter(tags=["engagements"], route_class=SealedSpoolRoute)


@router.get("/engagements/{engagement_id}/artifacts", summary="List an engagement's confidential artifacts")
def list_artifacts(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[ArtifactOut]:
    """The files the developer shared on the engagement, newest first, purged ones included (metadata only).

    **Who may call:** whoever may see the engagement (`engagements:engagement:read`): the developer,
    the program office (not drafts) and people of an organization that currently takes part.

    **Errors:** 404 when no such engagement exists or you may not see it (the same answer).
    """
    return [ArtifactOut.of(a) for a in service.list_artifacts(uow, principal, engagement_id)]


@router.post(
    "/engagements/{engagement_id}/artifacts",
    status_code=status.HTTP_201_CREATED,
    summary="Upload a confidential artifact (developer)",
)
def upload_artifact(
    engagement_id: uuid.UUID,
    uow: UoW,
    principal: ApiPrincipal,
    file: Annotated[UploadFile, File(description="The file, within the platform's size limit; encrypted at rest.")],
    kind: Annotated[
        str,
        Form(
            max_length=40,
            description="`system_card`, `evaluation_results` or `weights` when the current terms share it, or `other`.",
        ),
    ] = "other",
) -> ArtifactOut:
    """Share a confidential file with the engagement's participants (a multipart form: `kind` and `file`).

    Allowed from the draft on, until the engagement closes. The file is kept for the terms'
    `materials_retention_days`, then purged. Participants are notified once the engagement is offered.

    **Who may call:** members of the developer organization (`engagements:artifact:upload`).

    **Returns** the artifact's metadata.

    **Errors:** 400 for a malformed multipart form; 403 for others who may see the engagement (the
    program office, participants); 404 when no such engagement exists or you may not see it; 422
    when the engagement is closed, for a `kind` the current terms do not share, or for an empty
    file, one over the size limit or a bad name or type.
    """
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
    response_class=StreamingResponse,
    responses=DOWNLOAD,
)
def download_artifact(engagement_id: uuid.UUID, artifact_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> StreamingResponse:
    """The artifact's content. Every download is recorded with a per-recipient fingerprint.

    The fingerprint is returned in the `X-Download-Fingerprint` header.

    **Who may call:** people of an organization that takes part and may call the gateway right
    now: window open (and trusted partners' start passed), the current terms accepted, neither
    the organization nor the person revoked, the engagement neither closed nor released; and
    only while the current terms still share the artifact's kind (`engagements:artifact:download`).

    **Errors:** 403 for others who may see the engagement (the developer, the program office),
    checked before the artifact is looked up, and for a participant not admitted right now (with
    the reason); 404 when no such engagement exists or you may not see it, when the artifact is
    not in this engagement, or when its retention has ended.
    """
    view, chunks, fingerprint = service.download_artifact(uow, principal, engagement_id, artifact_id)
    return attachment(chunks, view.filename, view.content_type, **{"X-Download-Fingerprint": fingerprint})
