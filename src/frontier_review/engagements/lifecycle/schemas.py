"""API models for engagements, their terms and participants, and trusted partners."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from frontier_review.engagements.lifecycle.domain import Materials, Protections, Quotas, Recipients
from frontier_review.engagements.lifecycle.partners import DesignationView
from frontier_review.engagements.lifecycle.views import EngagementView, ParticipantView, TermsView


class _In(BaseModel):
    """Inputs refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")


class MaterialsIn(_In):
    """What the developer shares with the participants; at least one material."""

    api_access: StrictBool = Field(default=True, description="Calls to the model through the gateway.")
    system_card: StrictBool = Field(default=False, description="The system card, as a downloadable file.")
    evaluation_results: StrictBool = Field(
        default=False, description="The developer's evaluation results, as downloadable files."
    )
    reduced_safeguard_variant: StrictBool = Field(
        default=False, description="A second gateway variant, `reduced-safeguard`, besides `standard` (needs `api_access`)."
    )
    weights: StrictBool = Field(
        default=False, description="The model weights, as downloadable files. Off unless the developer decides otherwise."
    )

    def domain(self) -> Materials:
        return Materials(**self.model_dump())


class ProtectionsIn(_In):
    """Trade-secret and weight protections the participants accept with the terms."""

    confidentiality_text: StrictStr = Field(
        description="Confidentiality and nondisclosure terms the recipients accept (20 to 20000 characters)."
    )
    insider_risk_attestation: StrictBool = Field(
        default=True, description="Recipients attest to insider-risk controls over the materials."
    )
    use_restrictions: StrictStr = Field(
        default="", description="What the materials may not be used for (at most 10000 characters)."
    )
    materials_retention_days: StrictInt = Field(
        default=30, description="Days shared files are kept after upload before they are purged (1 to 365)."
    )
    transcript_retention: StrictBool = Field(default=False, description="Keep encrypted transcripts of gateway calls.")

    def domain(self) -> Protections:
        return Protections(**self.model_dump())


class QuotasIn(_In):
    """Limits on one participant's gateway use; each a whole number from 1 to 1000000000."""

    requests_per_day: StrictInt = Field(default=1000, description="Gateway calls per UTC day.")
    tokens_per_day: StrictInt = Field(default=1_000_000, description="Prompt and completion tokens per UTC day.")
    requests_per_minute: StrictInt = Field(default=60, description="Gateway calls per minute.")

    def domain(self) -> Quotas:
        return Quotas(**self.model_dump())


class TermsIn(_In):
    """One version of the terms: what is shared, under which protections, with which default quotas."""

    materials: MaterialsIn = Field(default_factory=MaterialsIn, description="What the developer shares.")
    protections: ProtectionsIn = Field(description="The protections the participants accept.")
    quotas: QuotasIn = Field(default_factory=QuotasIn, description="Default quotas for each participant.")
    note: StrictStr = Field(default="", max_length=2000, description="What changed (for a new version).")


class EngagementIn(_In):
    """A new engagement, opened as a draft for one of your prerelease versions."""

    version_id: uuid.UUID = Field(description="The model version under review: one of your organization's, still in prerelease.")
    title: StrictStr = Field(min_length=3, max_length=200, description="A title for the participants (3 to 200 characters).")
    window_start: AwareDatetime = Field(description="When access opens, with a time zone.")
    window_end: AwareDatetime = Field(
        description="When access ends: after window_start and at most 30 days after it, extensions included."
    )
    recipients: Recipients = Field(
        description=(
            "`federal_only` (agencies and the program office) or `federal_and_partners` (designated trusted partners too)."
        )
    )
    partners_from: AwareDatetime | None = Field(
        default=None,
        description=(
            "When trusted partners' access starts, inside the window; omitted: at window_start. Ignored for `federal_only`."
        ),
    )
    terms: TermsIn = Field(description="The first version of the terms.")


class WindowIn(_In):
    """A new review window; it lasts at most 30 days in total."""

    window_end: AwareDatetime = Field(description="The new end; once the engagement is offered it must be in the future.")
    window_start: AwareDatetime | None = Field(
        default=None, description="A new start, for a draft only (fixed once offered); omitted keeps the current one."
    )


class InviteIn(_In):
    """An organization to invite."""

    organization_id: uuid.UUID = Field(
        description="An agency, the program office, or a designated trusted partner (only where the terms include partners)."
    )
    quotas: QuotasIn | None = Field(default=None, description="Its quotas; omitted: the current terms' default quotas.")


class AcceptIn(_In):
    """The terms version your organization accepts."""

    terms_number: StrictInt = Field(description="The terms version you read and accept.")


class RevokeUserIn(_In):
    """The person to cut off."""

    user_id: uuid.UUID = Field(description="A member of a participating organization.")


class DesignationIn(_In):
    """A partner organization to designate as a trusted partner."""

    organization_id: uuid.UUID = Field(description="A partner organization without a running designation.")
    sector: StrictStr = Field(
        description=(
            "Its critical-infrastructure sector: healthcare, financial_services, energy, water, communications, "
            "transportation, information_technology, defense_industrial_base or other."
        )
    )
    basis: StrictStr = Field(max_length=2000, description="Why it is designated (10 to 2000 characters).")
    expires_at: AwareDatetime = Field(description="When the designation ends; in the future.")


class TermsOut(BaseModel):
    """One version of an engagement's terms."""

    number: int = Field(description="The version number, from 1.")
    materials: dict[str, bool] = Field(description="What is shared, by material (the fields of the terms' `materials`).")
    protections: dict[str, object] = Field(description="The protections, as in the terms' `protections`.")
    default_quotas: dict[str, int] = Field(description="The quotas new participants get, as in `quotas`.")
    note: str = Field(description="What changed in this version.")
    created_by: str = Field(description="Who published it (an e-mail address).")
    created_at: datetime = Field(description="When it was published.")

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
    """An organization taking part in an engagement."""

    id: uuid.UUID = Field(description="The participant's id (quotas and revocation name it).")
    organization_id: uuid.UUID = Field(description="The participating organization.")
    organization_name: str = Field(description="That organization's name.")
    cohort: str = Field(description="`government` (agencies, the program office) or `partner` (a trusted partner).")
    quotas: dict[str, int] = Field(description="Its quotas: requests_per_day, tokens_per_day, requests_per_minute.")
    accepted_terms: int | None = Field(description="The terms version its admin last accepted, or null.")
    accepted_by: str | None = Field(description="Who accepted them (an e-mail address), or null.")
    accepted_at: datetime | None = Field(description="When, or null.")
    revoked_at: datetime | None = Field(description="When the developer revoked the whole organization, or null.")
    revoked_users: list[str] = Field(description="Its people the developer revoked (e-mail addresses).")

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
    """A variant's registered upstream; its URL and key are never returned."""

    variant: str = Field(description="`standard` or `reduced-safeguard`.")
    set_by: str = Field(description="Who registered it (an e-mail address).")
    set_at: datetime = Field(description="When.")
    last_used_at: datetime | None = Field(description="When the gateway last forwarded a call to it, or null.")


class EngagementOut(BaseModel):
    """An engagement as you may see it: a participant sees only its own participation."""

    id: uuid.UUID = Field(description="The engagement's id.")
    title: str = Field(description="Its title.")
    version_id: uuid.UUID = Field(description="The model version under review.")
    version: str = Field(description="That version's model name and label, e.g. `Atlas 3.0-rc2`.")
    model: str = Field(description="The `model` to pass on the gateway.")
    developer: str = Field(description="The developer organization's name.")
    state: str = Field(
        description="`draft`, `offered`, `active` or `closed`, as of now (the window and a release decide it too)."
    )
    closed_reason: str | None = Field(description="`window_elapsed`, `released` or `withdrawn` once closed; otherwise null.")
    window_start: datetime = Field(description="When access opens.")
    window_end: datetime = Field(description="When access ends.")
    recipients: str = Field(description="`federal_only` or `federal_and_partners`.")
    partners_from: datetime | None = Field(description="When trusted partners' access starts; null for `federal_only`.")
    current_terms: int = Field(description="The number of the terms version in force.")
    terms: list[TermsOut] = Field(description="Every terms version, oldest first.")
    participants: list[ParticipantOut] = Field(
        description="The participants you may see: all for the developer and the program office, your own otherwise."
    )
    upstreams: list[UpstreamOut] = Field(description="The variants with a registered upstream.")

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
    """A trusted-partner designation by the program office."""

    id: uuid.UUID = Field(description="The designation's id.")
    organization_id: uuid.UUID = Field(description="The designated partner organization.")
    organization_name: str = Field(description="That organization's name.")
    sector: str = Field(description="Its critical-infrastructure sector.")
    basis: str = Field(description="Why it was designated.")
    designated_at: datetime = Field(description="When it was designated.")
    expires_at: datetime = Field(description="When the designation ends.")
    revoked_at: datetime | None = Field(description="When the program office ended it early, or null.")
    engagements: list[str] = Field(description="Titles of the engagements it takes part in that you may read.")

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
