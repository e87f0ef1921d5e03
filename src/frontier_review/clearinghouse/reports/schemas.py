"""API models for vulnerability reports (inputs refuse unknown fields; scores are never inputs)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from frontier_review.clearinghouse.reports.domain import ProductInput
from frontier_review.clearinghouse.reports.service import ReportInput
from frontier_review.clearinghouse.reports.views import ReportSummary, ReportView


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProductIn(_In):
    """An affected product."""

    vendor: StrictStr = Field(max_length=200, description="The vendor.")
    product: StrictStr = Field(max_length=200, description="The product.")
    purl: StrictStr = Field(default="", max_length=500, description="A package URL (purl specification), e.g. `pkg:pypi/django`.")
    cpe: StrictStr = Field(default="", max_length=500, description="A CPE 2.3 formatted string (NISTIR 7695 §6.2).")
    versions: StrictStr = Field(
        default="", max_length=500, description="The affected versions as a `vers` range, e.g. `vers:pypi/>=1.0|<1.4.2`."
    )


class ReportIn(_In):
    """A vulnerability report's fields. CVSS scores are computed from the vectors, never typed in."""

    title: StrictStr = Field(max_length=200, description="A short title (3 to 200 characters); never shown in notices.")
    description: StrictStr = Field(max_length=50_000, description="What is vulnerable and how to reproduce it; sealed at rest.")
    tlp: StrictStr = Field(
        description="TLP 2.0 label: TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED (`amber` works)."
    )
    products: list[ProductIn] = Field(default_factory=list, max_length=20, description="Affected products.")
    cve_id: StrictStr = Field(default="", max_length=32, description="A CVE id, `CVE-YYYY-NNNN`.")
    cwe_ids: list[StrictStr] = Field(
        default_factory=list, max_length=10, description="CWE ids from MITRE's catalogue, e.g. `CWE-787`."
    )
    cvss31: StrictStr = Field(default="", max_length=200, description="A CVSS 3.1 vector (`CVSS:3.1/AV:N/…`).")
    cvss40: StrictStr = Field(default="", max_length=300, description="A CVSS 4.0 vector (`CVSS:4.0/AV:N/…`).")
    sectors: list[StrictStr] = Field(
        default_factory=list, max_length=16, description="Affected CISA sectors, e.g. `financial_services`."
    )
    references: list[StrictStr] = Field(default_factory=list, max_length=20, description="http(s) URLs.")
    embargo_until: date | None = Field(default=None, description="The embargo date, if any.")
    ai_model_version_id: uuid.UUID | None = Field(default=None, description="The registered model version that discovered it.")
    ai_notes: StrictStr = Field(default="", max_length=2000, description="How an AI model or agent took part (free text).")
    ai_assisted_exploitability: bool = Field(default=False, description="Exploitation was carried out or shown with an AI model.")
    exploited: bool = Field(default=False, description="Known to be exploited (besides the KEV catalogue).")

    def to_input(self) -> ReportInput:
        return ReportInput(
            title=self.title,
            description=self.description,
            tlp=self.tlp,
            products=[ProductInput(p.vendor, p.product, p.purl, p.cpe, p.versions) for p in self.products],
            cve_id=self.cve_id,
            cwe_ids=self.cwe_ids,
            cvss31=self.cvss31,
            cvss40=self.cvss40,
            sectors=self.sectors,
            references=self.references,
            embargo_until=self.embargo_until,
            ai_model_version_id=self.ai_model_version_id,
            ai_notes=self.ai_notes,
            ai_assisted_exploitability=self.ai_assisted_exploitability,
            exploited=self.exploited,
        )


class SubmitIn(ReportIn):
    """A new report and whom it is addressed to."""

    recipient_orgs: list[uuid.UUID] = Field(
        default_factory=list, max_length=100, description="Organizations (AMBER, AMBER+STRICT)."
    )
    recipient_people: list[uuid.UUID] = Field(
        default_factory=list, max_length=100, description="People (RED needs one at least)."
    )


class AddressIn(_In):
    """Recipients of a report (and, for a relabel, its new label)."""

    tlp: StrictStr | None = Field(default=None, description="A new label (relabel only); omitted keeps the label.")
    recipient_orgs: list[uuid.UUID] = Field(default_factory=list, max_length=100, description="Organizations.")
    recipient_people: list[uuid.UUID] = Field(default_factory=list, max_length=100, description="People.")


class StatusIn(_In):
    """A workflow move: `triaged` or `coordinating`."""

    status: StrictStr = Field(description="`triaged` or `coordinating`.")


class ValidatorIn(_In):
    """The validator organization to name."""

    organization_id: uuid.UUID = Field(description="The organization that validates the report.")


class ValidateIn(_In):
    """A validation; notes and evidence are sealed."""

    reproduced: bool = Field(description="It was reproduced (required).")
    versions_confirmed: bool = Field(description="The affected versions were confirmed (required).")
    notes: StrictStr = Field(max_length=20_000, description="How it was reproduced.")
    evidence: StrictStr = Field(default="", max_length=20_000, description="Optional evidence text (a proof of concept, a log).")


class MergeIn(_In):
    """Where a duplicate goes."""

    into: uuid.UUID = Field(description="The canonical report.")


class RejectIn(_In):
    """Why a report is rejected."""

    reason: StrictStr = Field(max_length=2000, description="Why (kept in the report's history).")


class FactorOut(BaseModel):
    """One term of the priority's sum."""

    name: str
    value: str
    points: float
    maximum: float


class ReportSummaryOut(BaseModel):
    """A report in a list."""

    id: uuid.UUID
    title: str
    tlp: str
    status: str
    validated: bool = Field(description="False: unvalidated, shared only with its source, the clearinghouse and its validator.")
    source_organization: str
    cve_id: str | None
    cvss_base: float | None = Field(description="The higher of the computed CVSS 3.1 and 4.0 base scores.")
    priority: float = Field(description="The remediation priority, 0–100 (see docs/clearinghouse.md).")
    band: str
    factors: list[FactorOut] = Field(description="The terms of the priority's sum.")
    known_exploited: bool
    received_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, r: ReportSummary) -> ReportSummaryOut:
        return cls(
            id=r.id,
            title=r.title,
            tlp=r.tlp.value,
            status=r.status.value,
            validated=r.validated,
            source_organization=r.source_org_name,
            cve_id=r.cve_id,
            cvss_base=r.cvss_base,
            priority=r.priority,
            band=r.band.value,
            factors=[FactorOut(name=f.name, value=f.value, points=f.points, maximum=f.maximum) for f in r.factors],
            known_exploited=r.known_exploited,
            received_at=r.received_at,
            updated_at=r.updated_at,
        )


class CvssOut(BaseModel):
    """A CVSS vector with its computed base score and severity."""

    vector: str
    base_score: float
    severity: str


class EventOut(BaseModel):
    """One line of a report's history."""

    what: str
    old: str | None
    new: str | None
    actor: str
    at: datetime
    related_report_id: uuid.UUID | None


class ReportOut(ReportSummaryOut):
    """A report as you may see it."""

    description: str
    products: list[ProductIn]
    cwe_ids: list[str]
    cvss31: CvssOut | None
    cvss40: CvssOut | None
    sectors: list[str]
    references: list[str]
    embargo_until: date | None
    ai_model_version_id: uuid.UUID | None
    ai_notes: str
    ai_assisted_exploitability: bool
    fix_available: bool
    validator_organization: str | None
    recipient_orgs: list[uuid.UUID]
    recipient_people: list[uuid.UUID]
    canonical_id: uuid.UUID | None = Field(description="The canonical report of a duplicate, when you may read it.")
    history: list[EventOut]

    @classmethod
    def full(cls, r: ReportView) -> ReportOut:
        base = ReportSummaryOut.of(r).model_dump()
        return cls(
            **base,
            description=r.description,
            products=[
                ProductIn(vendor=p.vendor, product=p.product, purl=p.purl or "", cpe=p.cpe or "", versions=p.versions or "")
                for p in r.products
            ],
            cwe_ids=list(r.cwe_ids),
            cvss31=CvssOut(vector=r.cvss31[0], base_score=r.cvss31[1], severity=r.cvss31[2]) if r.cvss31 else None,
            cvss40=CvssOut(vector=r.cvss40[0], base_score=r.cvss40[1], severity=r.cvss40[2]) if r.cvss40 else None,
            sectors=[s.value for s in r.sectors],
            references=list(r.references),
            embargo_until=r.embargo_until,
            ai_model_version_id=r.ai_model_version_id,
            ai_notes=r.ai_notes,
            ai_assisted_exploitability=r.ai_assisted,
            fix_available=r.fix_available,
            validator_organization=r.validator_org_name,
            recipient_orgs=[n.id for n in r.recipient_orgs],
            recipient_people=[n.id for n in r.recipient_people],
            canonical_id=r.canonical_id,
            history=[
                EventOut(what=e.what, old=e.old, new=e.new, actor=e.actor, at=e.at, related_report_id=e.related_id)
                for e in r.history
            ],
        )


class ReportPageOut(BaseModel):
    """A page of reports."""

    items: list[ReportSummaryOut]
    total: int = Field(description="How many reports you may see match the filters.")
    page: int
    per_page: int
