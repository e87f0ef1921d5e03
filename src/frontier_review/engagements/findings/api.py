"""REST endpoints for findings: filing, reading, relabelling, the thread and evidence files."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import StreamingResponse

from frontier_review.engagements.findings import service
from frontier_review.engagements.findings.schemas import (
    CommentIn,
    FindingIn,
    FindingOut,
    FindingSummaryOut,
    RecipientOut,
    RelabelIn,
)
from frontier_review.engagements.materials.schemas import EvidenceOut, attachment
from frontier_review.web.deps import ApiPrincipal, UoW
from frontier_review.web.uploads import SealedSpoolRoute

# Evidence uploads spool through sealed temporary files: no plaintext on disk before it is sealed.
router = APIRouter(tags=["engagements"], route_class=SealedSpoolRoute)


@router.get("/engagements/{engagement_id}/findings", summary="Findings you may see on an engagement")
def list_findings(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[FindingSummaryOut]:
    return [FindingSummaryOut.of(f) for f in service.list_findings(uow, principal, engagement_id)]


@router.post(
    "/engagements/{engagement_id}/findings",
    status_code=status.HTTP_201_CREATED,
    summary="File a finding (participants)",
    description="Advisory: a finding never blocks the developer's release.",
)
def file_finding(engagement_id: uuid.UUID, body: FindingIn, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    view = service.file_finding(
        uow,
        principal,
        engagement_id,
        title=body.title,
        category=body.category,
        severity=body.severity,
        description=body.description,
        tlp=body.tlp,
        recipients=body.recipients,
    )
    return FindingOut.full(view)


@router.get(
    "/engagements/{engagement_id}/finding-recipients",
    summary="People you may name on a finding",
    description="Active members of the developer, the program office and your organization; empty unless you may file.",
)
def finding_recipients(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[RecipientOut]:
    return [
        RecipientOut(user_id=c.user_id, email=c.email, organization=c.organization_name)
        for c in service.list_recipient_choices(uow, principal, engagement_id)
    ]


@router.get("/findings/{finding_id}", summary="A finding with its thread")
def get_finding(finding_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    return FindingOut.full(service.get_finding(uow, principal, finding_id))


@router.post(
    "/findings/{finding_id}/tlp",
    summary="Change a finding's TLP label and named recipients",
    description="Only the finder's organization relaxes a label or renames recipients; the program office may tighten it.",
)
def relabel(finding_id: uuid.UUID, body: RelabelIn, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    return FindingOut.full(service.relabel(uow, principal, finding_id, tlp=body.tlp, recipients=body.recipients))


@router.post("/findings/{finding_id}/comments", summary="Comment on a finding; the developer may set its status")
def comment(finding_id: uuid.UUID, body: CommentIn, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    return FindingOut.full(service.comment(uow, principal, finding_id, body=body.body, status=body.status))


@router.post(
    "/findings/{finding_id}/evidence",
    status_code=status.HTTP_201_CREATED,
    summary="Attach an evidence file (the finder's organization)",
)
def attach_evidence(finding_id: uuid.UUID, uow: UoW, principal: ApiPrincipal, file: Annotated[UploadFile, File()]) -> EvidenceOut:
    view = service.attach_evidence(
        uow, principal, finding_id, filename=file.filename or "evidence", content_type=file.content_type, stream=file.file
    )
    return EvidenceOut.of(view)


@router.get(
    "/findings/{finding_id}/evidence/{evidence_id}", summary="Download an evidence file", response_class=StreamingResponse
)
def download_evidence(finding_id: uuid.UUID, evidence_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> StreamingResponse:
    evidence, chunks = service.download_evidence(uow, principal, finding_id, evidence_id)
    return attachment(chunks, evidence.filename, evidence.content_type)
