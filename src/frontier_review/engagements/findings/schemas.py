"""API models for findings, their threads and recipients."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from frontier_review.clearinghouse.reports import ProductInput
from frontier_review.engagements.findings.domain import Category, FindingStatus, Severity
from frontier_review.engagements.findings.referral import ReferralInput
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


class ReferralProductIn(_In):
    """An affected product of the third-party software the finding is about."""

    vendor: StrictStr = Field(max_length=200, description="The vendor.")
    product: StrictStr = Field(max_length=200, description="The product.")
    purl: StrictStr = Field(default="", max_length=500, description="A package URL, e.g. `pkg:pypi/django`.")
    cpe: StrictStr = Field(default="", max_length=500, description="A CPE 2.3 formatted string (NISTIR 7695 §6.2).")
    versions: StrictStr = Field(default="", max_length=500, description="The affected versions as a `vers` range.")


class ReferralIn(_In):
    """What a clearinghouse report needs beyond the finding; its TLP label is the finding's."""

    title: StrictStr = Field(default="", max_length=200, description="The report's title; empty keeps the finding's.")
    description: StrictStr = Field(
        default="", max_length=50_000, description="The report's description; empty keeps the finding's (sealed at rest)."
    )
    products: list[ReferralProductIn] = Field(default_factory=list, max_length=50, description="Affected products.")
    cve_id: StrictStr = Field(default="", max_length=40, description="A CVE id, `CVE-YYYY-NNNN+`.")
    cwe_ids: list[StrictStr] = Field(default_factory=list, max_length=20, description="CWE ids, e.g. `CWE-22`.")
    cvss31: StrictStr = Field(default="", max_length=200, description="A CVSS 3.1 vector (the score is computed).")
    cvss40: StrictStr = Field(default="", max_length=300, description="A CVSS 4.0 vector (the score is computed).")
    sectors: list[StrictStr] = Field(default_factory=list, max_length=16, description="Affected sectors (CISA's 16).")
    references: list[StrictStr] = Field(default_factory=list, max_length=50, description="http(s) references.")
    exploited: bool = Field(default=False, description="Known to be exploited.")
    clearinghouse_people: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=20,
        description="TLP:RED only: people of the clearinghouse to name besides those inherited from the finding.",
    )

    def to_input(self) -> ReferralInput:
        """The service's input."""
        return ReferralInput(
            title=self.title,
            description=self.description,
            products=[ProductInput(p.vendor, p.product, p.purl, p.cpe, p.versions) for p in self.products],
            cve_id=self.cve_id,
            cwe_ids=self.cwe_ids,
            cvss31=self.cvss31,
            cvss40=self.cvss40,
            sectors=self.sectors,
            references=self.references,
            exploited=self.exploited,
            clearinghouse_people=self.clearinghouse_people,
        )


class ReferralOut(BaseModel):
    """The report a finding became."""

    finding_id: uuid.UUID = Field(description="The finding.")
    report_id: uuid.UUID = Field(description="The clearinghouse report (`/api/v1/clearinghouse/reports/{id}`).")
    tlp: str = Field(description="The report's label: the finding's.")
    status: str = Field(description="`received`: it awaits the clearinghouse's validation.")
    named: list[str] = Field(description="The people named on the report (TLP:RED), by e-mail address.")
    left_out: list[str] = Field(description="Why each of the finding's recipients was not carried over.")
