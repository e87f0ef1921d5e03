"""API models for findings, their threads and recipients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from frontier_review.engagements.findings.domain import Category, FindingStatus, Severity
from frontier_review.engagements.findings.views import FindingSummary, FindingView
from frontier_review.engagements.materials.schemas import EvidenceOut


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FindingIn(_In):
    title: StrictStr = Field(min_length=1, max_length=200)
    category: Category
    severity: Severity
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
    status: FindingStatus | None = Field(default=None, description="Developer only.")


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
    def of(cls, f: FindingSummary) -> FindingSummaryOut:
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
    def full(cls, f: FindingView) -> FindingOut:
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
