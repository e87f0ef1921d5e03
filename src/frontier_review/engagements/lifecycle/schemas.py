"""API models for engagements, their terms and participants, and trusted partners."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from frontier_review.engagements.lifecycle.domain import Materials, Protections, Quotas, Recipients
from frontier_review.engagements.lifecycle.partners import DesignationView
from frontier_review.engagements.lifecycle.views import EngagementView, ParticipantView, TermsView


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MaterialsIn(_In):
    api_access: StrictBool = True
    system_card: StrictBool = False
    evaluation_results: StrictBool = False
    reduced_safeguard_variant: StrictBool = False
    weights: StrictBool = Field(default=False, description="Off unless the developer decides otherwise.")

    def domain(self) -> Materials:
        return Materials(**self.model_dump())


class ProtectionsIn(_In):
    confidentiality_text: StrictStr = Field(description="Confidentiality and nondisclosure terms the recipients accept.")
    insider_risk_attestation: StrictBool = True
    use_restrictions: StrictStr = ""
    materials_retention_days: StrictInt = 30
    transcript_retention: StrictBool = Field(default=False, description="Keep encrypted transcripts of gateway calls.")

    def domain(self) -> Protections:
        return Protections(**self.model_dump())


class QuotasIn(_In):
    requests_per_day: StrictInt = 1000
    tokens_per_day: StrictInt = 1_000_000
    requests_per_minute: StrictInt = 60

    def domain(self) -> Quotas:
        return Quotas(**self.model_dump())


class TermsIn(_In):
    materials: MaterialsIn = Field(default_factory=MaterialsIn)
    protections: ProtectionsIn
    quotas: QuotasIn = Field(default_factory=QuotasIn, description="Default quotas for each participant.")
    note: StrictStr = Field(default="", max_length=2000, description="What changed (for a new version).")


class EngagementIn(_In):
    version_id: uuid.UUID
    title: StrictStr = Field(min_length=3, max_length=200)
    window_start: AwareDatetime
    window_end: AwareDatetime = Field(description="At most 30 days after window_start, extensions included (G3).")
    recipients: Recipients
    partners_from: AwareDatetime | None = Field(default=None, description="When trusted partners' access starts.")
    terms: TermsIn


class WindowIn(_In):
    window_end: AwareDatetime
    window_start: AwareDatetime | None = None


class InviteIn(_In):
    organization_id: uuid.UUID
    quotas: QuotasIn | None = None


class AcceptIn(_In):
    terms_number: StrictInt = Field(description="The terms version you read and accept.")


class RevokeUserIn(_In):
    user_id: uuid.UUID


class DesignationIn(_In):
    organization_id: uuid.UUID
    sector: StrictStr
    basis: StrictStr = Field(max_length=2000)
    expires_at: AwareDatetime


class TermsOut(BaseModel):
    number: int
    materials: dict[str, bool]
    protections: dict[str, object]
    default_quotas: dict[str, int]
    note: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, t: TermsView) -> TermsOut:
        return cls(
            number=t.number,
            materials=vars(t.materials).copy(),
            protections=vars(t.protections).copy(),
            default_quotas=vars(t.default_quotas).copy(),
            note=t.note,
            created_by=t.created_by,
            created_at=t.created_at,
        )


class ParticipantOut(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    cohort: str
    quotas: dict[str, int]
    accepted_terms: int | None
    accepted_by: str | None
    accepted_at: datetime | None
    revoked_at: datetime | None
    revoked_users: list[str]

    @classmethod
    def of(cls, p: ParticipantView) -> ParticipantOut:
        return cls(
            id=p.id,
            organization_id=p.organization_id,
            organization_name=p.organization_name,
            cohort=p.cohort.value,
            quotas=vars(p.quotas).copy(),
            accepted_terms=p.accepted_terms,
            accepted_by=p.accepted_by,
            accepted_at=p.accepted_at,
            revoked_at=p.revoked_at,
            revoked_users=list(p.revoked_users),
        )


class UpstreamOut(BaseModel):
    variant: str
    set_by: str
    set_at: datetime
    last_used_at: datetime | None


class EngagementOut(BaseModel):
    id: uuid.UUID
    title: str
    version_id: uuid.UUID
    version: str
    model: str = Field(description="The `model` to pass on the gateway.")
    developer: str
    state: str
    closed_reason: str | None
    window_start: datetime
    window_end: datetime
    recipients: str
    partners_from: datetime | None
    current_terms: int
    terms: list[TermsOut]
    participants: list[ParticipantOut]
    upstreams: list[UpstreamOut]

    @classmethod
    def of(cls, e: EngagementView) -> EngagementOut:
        return cls(
            id=e.id,
            title=e.title,
            version_id=e.version_id,
            version=e.version_display,
            model=e.model_id,
            developer=e.developer_name,
            state=e.state.value,
            closed_reason=e.closed_reason.value if e.closed_reason else None,
            window_start=e.window.start,
            window_end=e.window.end,
            recipients=e.recipients.value,
            partners_from=e.partners_from,
            current_terms=e.current_terms,
            terms=[TermsOut.of(t) for t in e.terms],
            participants=[ParticipantOut.of(p) for p in e.participants],
            upstreams=[
                UpstreamOut(variant=u.variant, set_by=u.set_by, set_at=u.set_at, last_used_at=u.last_used_at) for u in e.upstreams
            ],
        )


class DesignationOut(BaseModel):
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    sector: str
    basis: str
    designated_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    engagements: list[str]

    @classmethod
    def of(cls, d: DesignationView) -> DesignationOut:
        return cls(
            id=d.id,
            organization_id=d.organization_id,
            organization_name=d.organization_name,
            sector=d.sector,
            basis=d.basis,
            designated_at=d.designated_at,
            expires_at=d.expires_at,
            revoked_at=d.revoked_at,
            engagements=list(d.engagements),
        )
