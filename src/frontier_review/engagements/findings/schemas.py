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
    """Inputs refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")


class FindingIn(_In):
    """A new finding about the model under review. Advisory: it never blocks a release."""

    title: StrictStr = Field(
        min_length=1, max_length=200, description="A short title (3 to 200 characters); never shown in notices."
    )
    category: Category = Field(description="What kind of finding this is.")
    severity: Severity = Field(description="How severe you judge it; high and critical findings also notify the program office.")
    description: StrictStr = Field(max_length=50_000, description="What you found and how to reproduce it; encrypted at rest.")
    tlp: StrictStr = Field(
        description=(
            "TLP 2.0 label: TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED (`amber` works too). "
            "CLEAR and GREEN reach everyone who sees the engagement (other participants once their organization "
            "accepted the current terms); AMBER and AMBER+STRICT the developer, the program office and your "
            "organization; RED only the named recipients and you."
        )
    )
    recipients: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=100,
        description=(
            "Named people (user ids) in the developer, the program office or your organization. "
            "Under TLP:RED only they and you see the finding; TLP:RED needs at least one."
        ),
    )


class RelabelIn(_In):
    """A finding's new TLP label and, with it, its named recipients."""

    tlp: StrictStr = Field(description="The new TLP 2.0 label.")
    recipients: list[uuid.UUID] | None = Field(
        default=None, max_length=100, description="The named people after the change; omitted keeps the current ones."
    )


class CommentIn(_In):
    """A message in a finding's thread, with (developer only) a new status."""

    body: StrictStr = Field(
        default="", max_length=20_000, description="The comment (at most 20000 characters); may be empty when setting a status."
    )
    status: FindingStatus | None = Field(default=None, description="The finding's new status; the developer only.")


class FindingSummaryOut(BaseModel):
    """A finding in a list: no description, thread or evidence files."""

    id: uuid.UUID = Field(description="The finding's id.")
    engagement_id: uuid.UUID = Field(description="Its engagement.")
    title: str = Field(description="Its title.")
    category: str = Field(description="`offensive_cyber_capability`, `safeguard_bypass`, `third_party_vulnerability` or `other`.")
    severity: str = Field(description="`low`, `medium`, `high` or `critical`.")
    tlp: str = Field(description="Its TLP 2.0 label, e.g. `TLP:AMBER`.")
    status: str = Field(description="The developer's answer: `open`, `acknowledged`, `mitigated`, `wont_fix` or `disputed`.")
    finder_organization: str = Field(description="The name of the organization that filed it.")
    filed_by: str = Field(description="Who filed it (an e-mail address).")
    filed_at: datetime = Field(description="When.")
    updated_at: datetime = Field(description="When it last changed (comment, status, label or evidence).")
    comments: int = Field(description="How many messages its thread has.")
    evidence: int = Field(description="How many evidence files it has.")

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
    """A person named on a finding, or who may be."""

    user_id: uuid.UUID = Field(description="The person's user id (what `recipients` takes).")
    email: str = Field(description="Their e-mail address.")
    organization: str = Field(description="Their organization's name.")


class CommentOut(BaseModel):
    """One message of a finding's thread."""

    id: uuid.UUID = Field(description="The message's id.")
    author: str = Field(description="Who wrote it (an e-mail address).")
    organization: str = Field(description="The author's organization's name.")
    body: str = Field(description="The text (may be empty when it only sets the status).")
    status_to: str | None = Field(description="The status the developer set with it, or null.")
    created_at: datetime = Field(description="When it was written.")


class FindingOut(FindingSummaryOut):
    """A finding with its description, thread, evidence files and named recipients."""

    description: str = Field(description="What the finder found.")
    thread: list[CommentOut] = Field(description="Its messages, oldest first.")
    evidence_files: list[EvidenceOut] = Field(description="Its evidence files, oldest first.")
    recipients: list[RecipientOut] = Field(
        description="The people named on it (under TLP:RED, the only readers besides the filer)."
    )

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
