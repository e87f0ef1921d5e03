"""REST endpoints for confidential artifacts and findings."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from frontier_review.engagements import artifacts, findings
from frontier_review.web.deps import ApiPrincipal, UoW
from frontier_review.web.uploads import SealedSpoolRoute

# Uploads spool through sealed temporary files: no plaintext on disk before it is sealed.
router = APIRouter(tags=["engagements"], route_class=SealedSpoolRoute)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FindingIn(_In):
    title: StrictStr = Field(min_length=1, max_length=200)
    category: findings.Category
    severity: findings.Severity
    description: StrictStr = Field(max_length=50_000)
    tlp: StrictStr = Field(description="TLP 2.0: TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED.")
    recipients: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=100,
        description=(
            "Named people (user ids) in the developer, the program office or your organization. "
            "Under TLP:RED only they and you see the finding; TLP:RED needs at least one."
        ),
    )


class RelabelIn(_In):
    tlp: StrictStr = Field(description="The new TLP 2.0 label.")
    recipients: list[uuid.UUID] | None = Field(
        default=None, max_length=100, description="The named people after the change; omitted keeps the current ones."
    )


class CommentIn(_In):
    body: StrictStr = Field(default="", max_length=20_000)
    status: findings.FindingStatus | None = Field(default=None, description="Developer only.")


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
    def of(cls, a: artifacts.ArtifactView) -> ArtifactOut:
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
    def of(cls, e: findings.EvidenceView) -> EvidenceOut:
        return cls(**{f: getattr(e, f) for f in cls.model_fields})


class FindingSummaryOut(BaseModel):
    id: uuid.UUID
    engagement_id: uuid.UUID
    title: str
    category: str
    severity: str
    tlp: str
    status: str
    finder_organization: str
    filed_by: str
    filed_at: datetime
    updated_at: datetime
    comments: int
    evidence: int

    @classmethod
    def of(cls, f: findings.FindingSummary) -> FindingSummaryOut:
        return cls(
            id=f.id,
            engagement_id=f.engagement_id,
            title=f.title,
            category=f.category.value,
            severity=f.severity.value,
            tlp=f.tlp.value,
            status=f.status.value,
            finder_organization=f.finder_org_name,
            filed_by=f.filed_by,
            filed_at=f.filed_at,
            updated_at=f.updated_at,
            comments=f.comments,
            evidence=f.evidence,
        )


class RecipientOut(BaseModel):
    user_id: uuid.UUID
    email: str
    organization: str


class CommentOut(BaseModel):
    id: uuid.UUID
    author: str
    organization: str
    body: str
    status_to: str | None
    created_at: datetime


class FindingOut(FindingSummaryOut):
    description: str
    thread: list[CommentOut]
    evidence_files: list[EvidenceOut]
    recipients: list[RecipientOut]

    @classmethod
    def full(cls, f: findings.FindingView) -> FindingOut:
        base: dict[str, Any] = FindingSummaryOut.of(f).model_dump()
        return cls(
            **base,
            description=f.description,
            thread=[
                CommentOut(
                    id=c.id,
                    author=c.author,
                    organization=c.author_org_name,
                    body=c.body,
                    status_to=c.status_to.value if c.status_to else None,
                    created_at=c.created_at,
                )
                for c in f.thread
            ],
            evidence_files=[EvidenceOut.of(e) for e in f.evidence_files],
            recipients=[RecipientOut(user_id=r.user_id, email=r.email, organization=r.organization_name) for r in f.recipients],
        )


def attachment(chunks: Iterator[bytes], filename: str, content_type: str, **headers: str) -> StreamingResponse:
    # RFC 6266: an ASCII fallback and the exact name, percent-encoded.
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"
    return StreamingResponse(
        chunks,
        media_type=content_type,
        headers={"Content-Disposition": disposition, "Cache-Control": "no-store", **headers},
    )


@router.get("/engagements/{engagement_id}/artifacts", summary="Confidential artifacts of an engagement")
def list_artifacts(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[ArtifactOut]:
    return [ArtifactOut.of(a) for a in artifacts.list_artifacts(uow, principal, engagement_id)]


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
    view = artifacts.upload(
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
    view, chunks, fingerprint = artifacts.download(uow, principal, engagement_id, artifact_id)
    return attachment(chunks, view.filename, view.content_type, **{"X-Download-Fingerprint": fingerprint})


@router.get("/engagements/{engagement_id}/findings", summary="Findings you may see on an engagement")
def list_findings(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[FindingSummaryOut]:
    return [FindingSummaryOut.of(f) for f in findings.list_findings(uow, principal, engagement_id)]


@router.post(
    "/engagements/{engagement_id}/findings",
    status_code=status.HTTP_201_CREATED,
    summary="File a finding (participants)",
    description="Advisory: a finding never blocks the developer's release.",
)
def file_finding(engagement_id: uuid.UUID, body: FindingIn, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    view = findings.file_finding(
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
        for c in findings.recipient_choices(uow, principal, engagement_id)
    ]


@router.get("/findings/{finding_id}", summary="A finding with its thread")
def get_finding(finding_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    return FindingOut.full(findings.get_finding(uow, principal, finding_id))


@router.post(
    "/findings/{finding_id}/tlp",
    summary="Change a finding's TLP label and named recipients",
    description="Only the finder's organization relaxes a label or renames recipients; the program office may tighten it.",
)
def relabel(finding_id: uuid.UUID, body: RelabelIn, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    return FindingOut.full(findings.relabel(uow, principal, finding_id, tlp=body.tlp, recipients=body.recipients))


@router.post("/findings/{finding_id}/comments", summary="Comment on a finding; the developer may set its status")
def comment(finding_id: uuid.UUID, body: CommentIn, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    return FindingOut.full(findings.comment(uow, principal, finding_id, body=body.body, status=body.status))


@router.post(
    "/findings/{finding_id}/evidence",
    status_code=status.HTTP_201_CREATED,
    summary="Attach an evidence file (the finder's organization)",
)
def attach_evidence(finding_id: uuid.UUID, uow: UoW, principal: ApiPrincipal, file: Annotated[UploadFile, File()]) -> EvidenceOut:
    view = findings.attach_evidence(
        uow, principal, finding_id, filename=file.filename or "evidence", content_type=file.content_type, stream=file.file
    )
    return EvidenceOut.of(view)


@router.get(
    "/findings/{finding_id}/evidence/{evidence_id}", summary="Download an evidence file", response_class=StreamingResponse
)
def download_evidence(finding_id: uuid.UUID, evidence_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> StreamingResponse:
    evidence, chunks = findings.evidence_download(uow, principal, finding_id, evidence_id)
    return attachment(chunks, evidence.filename, evidence.content_type)
