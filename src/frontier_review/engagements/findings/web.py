"""Web pages of findings: filing (its own page, evidence in the same step), the finding page, relabelling, the thread.

Every form here declares its page (``form_page``): a refused one is shown again with what was typed.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.engagements.findings import service
from frontier_review.engagements.findings.domain import CATEGORY_LABELS, FindingStatus, Severity, Tlp, finding_link
from frontier_review.engagements.lifecycle import service as lifecycle
from frontier_review.engagements.lifecycle.domain import EngagementState
from frontier_review.engagements.materials.schemas import attachment
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.templating import flash, render
from frontier_review.web.uploads import SealedSpoolRoute

# Evidence uploads spool through sealed temporary files: no plaintext on disk before it is sealed.
router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)], route_class=SealedSpoolRoute)
_NEW = "/engagements/{engagement_id}/findings/new"
_FINDING = "/engagements/{engagement_id}/findings/{finding_id}"
# The sealed-file store names the file's parts; the forms have one file field each.
_EVIDENCE_FIELDS = {"filename": "evidence", "content_type": "evidence", "file": "evidence"}
_FILE_FIELDS = {"filename": "file", "content_type": "file"}


@router.get(_NEW, response_class=HTMLResponse)
def new_finding_page(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The filing form: only those who may file see it (the rest get the refusal's reason)."""
    engagement = lifecycle.get_engagement(uow, principal, engagement_id)
    choices = service.list_recipient_choices(uow, principal, engagement_id)
    return render(
        request,
        "engagements/finding_new.html",
        principal,
        e=engagement,
        closed=engagement.state is EngagementState.CLOSED,
        categories=CATEGORY_LABELS,
        severities=list(Severity),
        tlps=list(Tlp),
        recipient_choices=choices,
        max_mib=uow.settings.artifact_max_bytes // (1024 * 1024),
    )


@router.post(_NEW, dependencies=[form_page(_NEW, aliases=_EVIDENCE_FIELDS)])
def file_finding(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    title: Annotated[str, Form(max_length=200)],
    category: Annotated[str, Form(max_length=40)],
    severity: Annotated[str, Form(max_length=16)],
    tlp: Annotated[str, Form(max_length=24)],
    description: Annotated[str, Form(max_length=50_000)],
    recipients: Annotated[list[str] | None, Form(max_length=100)] = None,
    evidence: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """File the finding and seal its evidence files in one transaction.

    A refused file (empty, too large, a bad name) refuses the whole filing: no finding is left
    without the evidence its finder meant it to have.
    """
    view = service.file_finding(
        uow,
        principal,
        engagement_id,
        title=title,
        category=category,
        severity=severity,
        description=description,
        tlp=tlp,
        recipients=recipients or [],
    )
    attached = 0
    for upload in evidence or []:
        if not upload.filename:
            continue  # the file input left empty
        service.attach_evidence(
            uow, principal, view.id, filename=upload.filename, content_type=upload.content_type, stream=upload.file
        )
        attached += 1
    sealed = f" {attached} evidence file{'s' if attached != 1 else ''} sealed." if attached else ""
    flash(request, f"Finding filed; the developer is notified.{sealed}", "success")
    return RedirectResponse(finding_link(engagement_id, view.id), status_code=303)


@router.get("/engagements/{engagement_id}/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(
    engagement_id: uuid.UUID, finding_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal
) -> Response:
    finding = service.get_finding(uow, principal, finding_id)
    if finding.engagement_id != engagement_id:
        return RedirectResponse(finding_link(finding.engagement_id, finding.id), status_code=303)
    engagement = lifecycle.get_engagement(uow, principal, engagement_id)
    return render(
        request,
        "engagements/finding.html",
        principal,
        f=finding,
        e=engagement,
        statuses=list(FindingStatus),
        tlps=list(Tlp),
        recipient_choices=service.list_relabel_choices(uow, principal, finding_id) if finding.may_relabel else [],
        named_ids={r.user_id for r in finding.recipients},
    )


@router.post("/engagements/{engagement_id}/findings/{finding_id}/tlp", dependencies=[form_page(_FINDING)])
def relabel(
    engagement_id: uuid.UUID,
    finding_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    tlp: Annotated[str, Form(max_length=24)],
    recipients: Annotated[list[str] | None, Form(max_length=100)] = None,
) -> Response:
    view = service.relabel(uow, principal, finding_id, tlp=tlp, recipients=recipients or [])
    flash(request, f"Label set to {view.tlp.value}.", "success")
    return RedirectResponse(finding_link(engagement_id, finding_id), status_code=303)


@router.post("/engagements/{engagement_id}/findings/{finding_id}/comments", dependencies=[form_page(_FINDING)])
def comment(
    engagement_id: uuid.UUID,
    finding_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    body: Annotated[str, Form(max_length=20_000)] = "",
    status: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    back = finding_link(engagement_id, finding_id)
    service.comment(uow, principal, finding_id, body=body, status=status or None)
    flash(request, "Posted.", "success")
    return RedirectResponse(back + "#thread", status_code=303)


@router.post(
    "/engagements/{engagement_id}/findings/{finding_id}/evidence", dependencies=[form_page(_FINDING, aliases=_FILE_FIELDS)]
)
def attach_evidence(
    engagement_id: uuid.UUID,
    finding_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    file: Annotated[UploadFile, File()],
) -> Response:
    back = finding_link(engagement_id, finding_id)
    view = service.attach_evidence(
        uow, principal, finding_id, filename=file.filename or "evidence", content_type=file.content_type, stream=file.file
    )
    flash(request, f"{view.filename} attached and sealed.", "success")
    return RedirectResponse(back + "#evidence", status_code=303)


@router.get("/engagements/{engagement_id}/findings/{finding_id}/evidence/{evidence_id}", dependencies=[back_to(_FINDING)])
def download_evidence(
    engagement_id: uuid.UUID, finding_id: uuid.UUID, evidence_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal
) -> Response:
    evidence, chunks = service.download_evidence(uow, principal, finding_id, evidence_id)
    return attachment(chunks, evidence.filename, evidence.content_type)
