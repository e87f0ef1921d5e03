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

    name: str = Field(description="The factor (`Severity`, `Known exploitation`, …).")
    value: str = Field(description="Its input, in words (`CVSS 9.8`).")
    points: float = Field(description="The points it adds.")
    maximum: float = Field(description="The most it can add.")


class ReportSummaryOut(BaseModel):
    """A report in a list."""

    id: uuid.UUID = Field(description="The report's id.")
    title: str = Field(description="Its title.")
    tlp: str = Field(description="Its TLP 2.0 label (`TLP:AMBER`).")
    status: str = Field(description="`received`, `triaged`, `coordinating`, `disclosed`, `rejected` or `duplicate`.")
    validated: bool = Field(description="False: unvalidated, shared only with its source, the clearinghouse and its validator.")
    source_organization: str = Field(description="The organization that submitted it.")
    cve_id: str | None = Field(description="Its CVE id, if any.")
    cvss_base: float | None = Field(description="The higher of the computed CVSS 3.1 and 4.0 base scores.")
    priority: float = Field(description="The remediation priority, 0–100 (see docs/clearinghouse.md).")
    band: str = Field(description="The priority's band: `critical`, `high`, `medium` or `low`.")
    factors: list[FactorOut] = Field(description="The terms of the priority's sum.")
    known_exploited: bool = Field(description="Listed in the KEV catalogue, or reported exploited.")
    received_at: datetime = Field(description="When it was submitted (UTC).")
    updated_at: datetime = Field(description="When it last changed (UTC).")

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

    vector: str = Field(description="The vector as given.")
    base_score: float = Field(description="The base score computed from it.")
    severity: str = Field(description="The severity of that score.")


class EventOut(BaseModel):
    """One line of a report's history."""

    what: str = Field(description="What changed.")
    old: str | None = Field(description="The old value, where it is not confidential.")
    new: str | None = Field(description="The new value, where it is not confidential.")
    actor: str = Field(description="Who changed it.")
    at: datetime = Field(description="When (UTC).")
    related_report_id: uuid.UUID | None = Field(description="The other report of a merge, when you may read it.")


class ReportOut(ReportSummaryOut):
    """A report as you may see it."""

    description: str = Field(description="The description (sealed at rest).")
    products: list[ProductIn] = Field(description="The affected products.")
    cwe_ids: list[str] = Field(description="CWE ids (checked against the CWE catalogue).")
    cvss31: CvssOut | None = Field(description="The CVSS 3.1 vector and its computed scores.")
    cvss40: CvssOut | None = Field(description="The CVSS 4.0 vector and its computed scores.")
    sectors: list[str] = Field(description="The affected critical-infrastructure sectors.")
    references: list[str] = Field(description="http(s) references.")
    embargo_until: date | None = Field(description="Not to be published before this date.")
    ai_model_version_id: uuid.UUID | None = Field(description="The registered model version it was discovered with, if any.")
    ai_notes: str = Field(description="How AI was involved, in words.")
    ai_assisted_exploitability: bool = Field(description="Exploitation was carried out or shown with an AI model.")
    fix_available: bool = Field(description="A fix is recorded (set by the fixes, not typed).")
    validator_organization: str | None = Field(description="The organization named to validate it.")
    recipient_orgs: list[uuid.UUID] = Field(description="The organizations it is addressed to (TLP:AMBER, TLP:AMBER+STRICT).")
    recipient_people: list[uuid.UUID] = Field(description="The people it names (TLP:RED).")
    canonical_id: uuid.UUID | None = Field(description="The canonical report of a duplicate, when you may read it.")
    history: list[EventOut] = Field(description="Every change, oldest first.")

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

    items: list[ReportSummaryOut] = Field(description="The reports on this page.")
    total: int = Field(description="How many reports you may see match the filters.")
    page: int = Field(description="This page's number (from 1).")
    per_page: int = Field(description="Reports per page.")
