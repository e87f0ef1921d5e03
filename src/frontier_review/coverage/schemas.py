"""API models for coverage."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from frontier_review.coverage.criteria import Outcome
from frontier_review.coverage.determinations import Change, DeterminationView, Recheck
from frontier_review.coverage.inquiries import InquiryStatus, InquiryView
from frontier_review.coverage.policies import PolicyView
from frontier_review.coverage.results import BenchmarkView, ResultView


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyOut(BaseModel):
    id: uuid.UUID
    ref: str = Field(description="identifier@version")
    identifier: str
    version: str
    title: str
    effective_from: datetime
    classified: bool
    digest: str | None = Field(description="SHA-256 of the canonical content; null when the content is classified for you.")
    criterion_names: list[str]
    published_by: str
    published_at: datetime
    content: dict[str, Any] | None = Field(description="Criteria with thresholds; null when classified for you.")
    source: str | None = Field(description="The TOML as published; null when classified for you.")

    @classmethod
    def of(cls, v: PolicyView) -> PolicyOut:
        return cls(ref=v.ref, **{k: getattr(v, k) for k in cls.model_fields if k != "ref"})


class DiffOut(BaseModel):
    a: str
    b: str
    diff: list[str] = Field(description="Unified diff lines of the canonical content.")


class BenchmarkIn(_In):
    name: StrictStr
    version: StrictStr
    title: StrictStr = ""
    domain: StrictStr = "cyber-offense"
    classified: StrictBool = True


class BenchmarkOut(BaseModel):
    id: uuid.UUID
    name: str
    version: str
    title: str
    domain: str
    classified: bool

    @classmethod
    def of(cls, v: BenchmarkView) -> BenchmarkOut:
        return cls(**vars(v))


class ResultIn(_In):
    benchmark: StrictStr
    benchmark_version: StrictStr
    score: StrictFloat = Field(description="Aggregate score in [0, 1] (a JSON number; never a string).")
    model_version_id: uuid.UUID | None = None
    reference_model: StrictStr | None = Field(default=None, max_length=120)
    stderr: StrictFloat | None = None
    samples: StrictInt | None = None
    scaffold_version: StrictStr = Field(default="", max_length=80)
    run_ref: StrictStr | None = Field(default=None, max_length=80)
    note: StrictStr = Field(default="", max_length=2000)


class ResultOut(BaseModel):
    id: uuid.UUID
    benchmark: str
    benchmark_version: str
    subject: str
    model_version_id: uuid.UUID | None
    reference_model: str | None
    score: float
    stderr: float | None
    samples: int | None
    scaffold_version: str
    run_ref: str | None
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(cls, v: ResultView) -> ResultOut:
        return cls(**vars(v))


class DeterminationIn(_In):
    model_version_id: uuid.UUID
    policy: StrictStr = Field(description="identifier@version")
    rationale: StrictStr = Field(default="", max_length=10_000)


class DeterminationOut(BaseModel):
    id: uuid.UUID
    model_version_id: uuid.UUID
    version_display: str
    policy_ref: str
    policy_title: str
    classified: bool
    outcome: Outcome
    met_criteria: list[str] = Field(description="Names of the criteria that were met.")
    criterion_names: list[str]
    trace: dict[str, Any] | None = Field(description="Per-criterion trace with values; null when classified for you.")
    evidence: dict[str, Any] | None
    rationale: str
    decided_by: str
    decided_at: datetime
    supersedes_id: uuid.UUID | None
    superseded: bool
    inquiry_id: uuid.UUID | None

    @classmethod
    def of(cls, v: DeterminationView) -> DeterminationOut:
        return cls(**{k: getattr(v, k) for k in cls.model_fields})


class RecheckOut(BaseModel):
    determination_id: uuid.UUID | None
    stored: Outcome | None
    on_stored_evidence: Outcome | None
    on_current_evidence: Outcome
    reproducible: bool | None

    @classmethod
    def of(cls, r: Recheck) -> RecheckOut:
        return cls(
            determination_id=r.determination_id,
            stored=r.stored,
            on_stored_evidence=r.on_stored_evidence,
            on_current_evidence=r.on_current_evidence,
            reproducible=r.reproducible,
        )


class ChangeOut(BaseModel):
    version_id: uuid.UUID
    version: str
    organization: str
    before: Outcome | None
    after: Outcome

    @classmethod
    def of(cls, c: Change) -> ChangeOut:
        return cls(
            version_id=c.version_id, version=c.version_display, organization=c.organization_name, before=c.before, after=c.after
        )


class ReassessOut(BaseModel):
    policy: str
    against: str | None
    changes: list[ChangeOut]


class InquiryIn(_In):
    model_version_id: uuid.UUID
    question: StrictStr = Field(min_length=1, max_length=10_000)


class MessageIn(_In):
    message: StrictStr = Field(min_length=1, max_length=10_000)
    version: StrictInt | None = None


class AssignIn(_In):
    assignee_id: uuid.UUID | None = Field(default=None, description="Default: yourself.")
    version: StrictInt | None = None


class DecideIn(_In):
    policy: StrictStr
    rationale: StrictStr = Field(default="", max_length=10_000)
    version: StrictInt | None = None


class AttachIn(_In):
    result_ids: list[uuid.UUID] = Field(min_length=1, max_length=50)


class EventOut(BaseModel):
    kind: str
    actor: str
    body: str
    data: dict[str, Any]
    at: datetime


class InquiryOut(BaseModel):
    id: uuid.UUID
    model_version_id: uuid.UUID
    version_display: str
    organization_id: uuid.UUID
    organization_name: str
    question: str
    status: InquiryStatus
    assignee: str | None
    determination_id: uuid.UUID | None
    filed_by: str
    filed_at: datetime
    updated_at: datetime
    version: int
    events: list[EventOut]

    @classmethod
    def of(cls, v: InquiryView) -> InquiryOut:
        data = {k: getattr(v, k) for k in cls.model_fields if k != "events"}
        return cls(**data, events=[EventOut(**vars(e)) for e in v.events])
