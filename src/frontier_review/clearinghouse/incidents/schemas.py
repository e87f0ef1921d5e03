"""API models for AI-enabled intrusion reports, their indicators, referrals and acknowledgements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictStr

from frontier_review.clearinghouse.incidents.views import IncidentSummary, IncidentView

_TLP = (
    "TLP 2.0 label: TLP:CLEAR, TLP:GREEN, TLP:AMBER, TLP:AMBER+STRICT or TLP:RED (`amber` works too). CLEAR and "
    "GREEN reach every member organization; AMBER and AMBER+STRICT your organization, the clearinghouse, the named "
    "organizations and the law-enforcement organizations it is referred to; RED only the named people and you."
)


class _In(BaseModel):
    """Inputs refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")


class IndicatorIn(_In):
    """One indicator as a typed observable (STIX 2.1 cyber-observable names)."""

    type: StrictStr = Field(
        max_length=32,
        description="`ipv4-addr`, `ipv6-addr` (an address or a CIDR block), `domain-name`, `url`, `email-addr`, "
        "`file:MD5`, `file:SHA-1` or `file:SHA-256`.",
    )
    value: StrictStr = Field(max_length=2048, description="The value, checked against its type and stored normalised.")


class IncidentIn(_In):
    """A new report of unauthorized access carried out with AI (EO §4)."""

    title: StrictStr = Field(max_length=200, description="A short title (3 to 200 characters); never shown in notices.")
    systems: StrictStr = Field(max_length=2000, description="What was targeted: systems, services, data.")
    sectors: list[StrictStr] = Field(
        default_factory=list, max_length=16, description="Affected CISA sectors (`financial_services`, …)."
    )
    started_at: AwareDatetime = Field(description="When the intrusion started (with a UTC offset).")
    detected_at: AwareDatetime = Field(description="When it was detected: at or after the start, not in the future.")
    detection: StrictStr = Field(
        max_length=32,
        description="How it was detected: `ids_alert`, `endpoint_detection`, `log_review`, `threat_hunting`, "
        "`third_party_notification`, `user_report` or `other`.",
    )
    detection_details: StrictStr = Field(default="", max_length=2000, description="More about the detection.")
    model_version_id: uuid.UUID | None = Field(
        default=None, description="A registered model version involved, if you may see it."
    )
    model_text: StrictStr = Field(
        default="", max_length=200, description="The model or agent in words; required without `model_version_id`."
    )
    narrative: StrictStr = Field(max_length=50_000, description="What happened; encrypted at rest.")
    indicators: list[IndicatorIn] = Field(default_factory=list, max_length=200, description="Indicators of compromise.")
    tlp: StrictStr = Field(max_length=24, description=_TLP)
    recipient_orgs: list[uuid.UUID] = Field(default_factory=list, max_length=100, description="Named organizations (AMBER).")
    recipient_people: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=100,
        description="Named people (user ids); TLP:RED needs at least one. Their organizations are named too.",
    )


class RelabelIn(_In):
    """A new label and, with it, the named recipients."""

    tlp: StrictStr = Field(max_length=24, description="The new TLP 2.0 label.")
    recipient_orgs: list[uuid.UUID] | None = Field(default=None, max_length=100, description="Omitted keeps the current ones.")
    recipient_people: list[uuid.UUID] | None = Field(default=None, max_length=100, description="Omitted keeps the current ones.")


class TriageIn(_In):
    """The clearinghouse's triage decision."""

    status: StrictStr = Field(max_length=16, description="`under_review` or `closed`.")


class ReferralIn(_In):
    """A referral to a law-enforcement organization on the platform."""

    organization_id: uuid.UUID = Field(description="A law-enforcement agency (`law_enforcement` on the organization).")
    people: list[uuid.UUID] = Field(
        default_factory=list, max_length=50, description="Who there receives it; required under TLP:RED (active members of it)."
    )
    note: StrictStr = Field(default="", max_length=2000, description="A note for the receiving organization.")


class IncidentSummaryOut(BaseModel):
    """An incident in a list."""

    id: uuid.UUID = Field(description="The incident's id.")
    title: str = Field(description="Its title.")
    reporter_organization: str = Field(description="The reporting organization's name.")
    reported_by: str = Field(description="Who reported it.")
    tlp: str = Field(description="Its TLP 2.0 label.")
    status: str = Field(description="`received`, `under_review`, `referred` or `closed`.")
    sectors: list[str] = Field(description="Affected CISA sectors.")
    started_at: datetime = Field(description="When the intrusion started.")
    detected_at: datetime = Field(description="When it was detected.")
    reported_at: datetime = Field(description="When it was reported.")
    updated_at: datetime = Field(description="When it last changed.")

    @classmethod
    def of(cls, s: IncidentSummary) -> IncidentSummaryOut:
        return cls(
            id=s.id,
            title=s.title,
            reporter_organization=s.reporter_org_name,
            reported_by=s.reported_by,
            tlp=s.tlp.value,
            status=s.status.value,
            sectors=[x.value for x in s.sectors],
            started_at=s.started_at,
            detected_at=s.detected_at,
            reported_at=s.reported_at,
            updated_at=s.updated_at,
        )


class IndicatorOut(BaseModel):
    """An indicator, with the STIX 2.1 names an exporter writes."""

    type: str = Field(description="The type as sent (`file:SHA-256`, `ipv4-addr`, …).")
    stix_type: str = Field(description="The STIX 2.1 cyber-observable type (`file` for hashes).")
    hash_algorithm: str | None = Field(description="For a file hash, its `hash-algorithm-ov` name.")
    value: str = Field(description="The normalised value.")


class ReferralOut(BaseModel):
    """A referral and its acknowledgement."""

    organization_id: uuid.UUID = Field(description="The law-enforcement organization.")
    organization: str = Field(description="Its name.")
    note: str = Field(description="The clearinghouse's note.")
    referred_by: str = Field(description="Who referred it.")
    referred_at: datetime = Field(description="When.")
    acknowledged_by: str | None = Field(description="Who acknowledged it there, or null.")
    acknowledged_at: datetime | None = Field(description="When, or null.")


class IncidentOut(IncidentSummaryOut):
    """An incident with everything its audience may see."""

    systems: str = Field(description="What was targeted.")
    detection: str = Field(description="How it was detected.")
    detection_details: str = Field(description="More about the detection.")
    model_version_id: uuid.UUID | None = Field(description="The registered model version involved, if named.")
    model_version: str | None = Field(description="Its model name and label.")
    model_text: str = Field(description="The model or agent in words.")
    narrative: str = Field(description="What happened.")
    indicators: list[IndicatorOut] = Field(description="Indicators, in the order reported.")
    recipient_organizations: list[str] = Field(description="The named organizations' names.")
    recipient_people: list[str] = Field(description="The named people's addresses.")
    referrals: list[ReferralOut] = Field(description="Referrals to law enforcement, oldest first.")

    @classmethod
    def full(cls, v: IncidentView) -> IncidentOut:
        base: dict[str, Any] = IncidentSummaryOut.of(v).model_dump()
        return cls(
            **base,
            systems=v.systems,
            detection=v.detection.value,
            detection_details=v.detection_details,
            model_version_id=v.model_version_id,
            model_version=v.model_version,
            model_text=v.model_text,
            narrative=v.narrative,
            indicators=[
                IndicatorOut(type=i.kind.value, stix_type=i.kind.stix_type, hash_algorithm=i.kind.hash_algorithm, value=i.value)
                for i in v.indicators
            ],
            recipient_organizations=[o.name for o in v.recipient_orgs],
            recipient_people=[p.email for p in v.recipient_people],
            referrals=[
                ReferralOut(
                    organization_id=r.organization_id,
                    organization=r.organization_name,
                    note=r.note,
                    referred_by=r.referred_by,
                    referred_at=r.referred_at,
                    acknowledged_by=r.acknowledged_by,
                    acknowledged_at=r.acknowledged_at,
                )
                for r in v.referrals
            ],
        )


class IncidentPageOut(BaseModel):
    """A page of incidents you may see."""

    items: list[IncidentSummaryOut] = Field(description="The incidents of this page.")
    total: int = Field(description="How many match, of those you may see.")
    page: int = Field(description="This page's number.")
    per_page: int = Field(description="Rows per page.")
    counts: dict[str, int] = Field(description="How many you may see in each status, whatever the filters.")
