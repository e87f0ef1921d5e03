"""Web forms for an engagement's confidential artifacts: upload (developer) and download (participants)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from frontier_review.engagements.materials import service
from frontier_review.engagements.materials.schemas import attachment
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.templating import flash
from frontier_review.web.uploads import SealedSpoolRoute

# Uploads spool through sealed temporary files: no plaintext on disk before it is sealed.
router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)], route_class=SealedSpoolRoute)
_MATERIALS = "/engagements/{engagement_id}#materials"


def _back(engagement_id: uuid.UUID, anchor: str = "") -> str:
    return f"/engagements/{engagement_id}{anchor}"


@router.post(
    "/engagements/{engagement_id}/artifacts",
    dependencies=[form_page(_MATERIALS, aliases={"filename": "file", "content_type": "file"})],
)
def upload_artifact(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=40)] = "other",
) -> Response:
    view = service.upload(
        uow,
        principal,
        engagement_id,
        kind=kind,
        filename=file.filename or "artifact",
        content_type=file.content_type,
        stream=file.file,
    )
    flash(request, f"{view.filename} uploaded and sealed ({view.size} bytes); kept until {view.purge_after:%Y-%m-%d}.", "success")
    return RedirectResponse(_back(engagement_id, "#materials"), status_code=303)


@router.get("/engagements/{engagement_id}/artifacts/{artifact_id}", dependencies=[back_to(_MATERIALS)])
def download_artifact(
    engagement_id: uuid.UUID, artifact_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal
) -> Response:
    view, chunks, fingerprint = service.download_artifact(uow, principal, engagement_id, artifact_id)
    return attachment(chunks, view.filename, view.content_type, **{"X-Download-Fingerprint": fingerprint})
