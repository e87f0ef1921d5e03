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
    """Inputs refuse unknown fields."""

    model_config = ConfigDict(extra="forbid")


class PolicyOut(BaseModel):
    """A published coverage policy; its content only where you may see it."""

    id: uuid.UUID = Field(description="The policy's id.")
    ref: str = Field(description="identifier@version")
    identifier: str = Field(description="The policy's identifier, shared by all its versions.")
    version: str = Field(description="This version.")
    title: str = Field(description="Human-readable title.")
    effective_from: datetime = Field(description="When this version takes effect.")
    classified: bool = Field(description="True when its thresholds are classified (shown to cleared program-office staff only).")
    digest: str | None = Field(description="SHA-256 of the canonical content; null when the content is classified for you.")
    criterion_names: list[str] = Field(description="The names of its criteria (shown to everyone, even when classified).")
    published_by: str = Field(description="Who published it (an e-mail address).")
    published_at: datetime = Field(description="When it was published.")
    content: dict[str, Any] | None = Field(description="Criteria with thresholds; null when classified for you.")
    source: str | None = Field(description="The TOML as published; null when classified for you.")

    @classmethod
    def of(cls, v: PolicyView) -> PolicyOut:
        return cls(ref=v.ref, **{k: getattr(v, k) for k in cls.model_fields if k != "ref"})


class DiffOut(BaseModel):
    """A diff between two policies."""

    a: str = Field(description="The first policy, as asked for.")
    b: str = Field(description="The second policy, as asked for.")
    diff: list[str] = Field(description="Unified diff lines of the canonical content.")


class BenchmarkIn(_In):
    """A benchmark version to register."""

    name: StrictStr = Field(description="Lower-case letters, digits, `.`, `_` or `-` (2 to 80 characters).")
    version: StrictStr = Field(description="Version text such as `1` or `2026.1`.")
    title: StrictStr = Field(default="", description="Human-readable title; default: the name.")
    domain: StrictStr = Field(default="cyber-offense", description="What the benchmark measures, e.g. `cyber-offense`.")
    classified: StrictBool = Field(default=True, description="Classified: items and scores for cleared staff only.")


class BenchmarkOut(BaseModel):
    """A registered benchmark version (metadata only)."""

    id: uuid.UUID = Field(description="The benchmark version's id.")
    name: str = Field(description="The benchmark's name.")
    version: str = Field(description="Its version.")
    title: str = Field(description="Human-readable title.")
    domain: str = Field(description="What it measures.")
    classified: bool = Field(description="True when its items and scores are for cleared program-office staff only.")

    @classmethod
    def of(cls, v: BenchmarkView) -> BenchmarkOut:
        return cls(**vars(v))


class ResultIn(_In):
    """An aggregate benchmark result, for a model version or a reference model."""

    benchmark: StrictStr = Field(description="The registered benchmark's name.")
    benchmark_version: StrictStr = Field(description="Its version.")
    score: StrictFloat = Field(description="Aggregate score in [0, 1] (a JSON number; never a string).")
    model_version_id: uuid.UUID | None = Field(default=None, description="The model version scored; or give `reference_model`.")
    reference_model: StrictStr | None = Field(
        default=None, max_length=120, description="A named reference model scored, instead of a registered version."
    )
    stderr: StrictFloat | None = Field(default=None, description="Standard error of the score (non-negative).")
    samples: StrictInt | None = Field(default=None, description="How many samples were scored (at least 1).")
    scaffold_version: StrictStr = Field(
        default="", max_length=80, description="Solver, scorer and prompt used; results are compared only within one."
    )
    run_ref: StrictStr | None = Field(default=None, max_length=80, description="A reference to the run that produced it, if any.")
    note: StrictStr = Field(default="", max_length=2000, description="Free-form note.")


class ResultOut(BaseModel):
    """A recorded benchmark result."""

    id: uuid.UUID = Field(description="The result's id (determinations cite it).")
    benchmark: str = Field(description="The benchmark's name.")
    benchmark_version: str = Field(description="Its version.")
    subject: str = Field(description="What was scored: the model and version label, or the reference model.")
    model_version_id: uuid.UUID | None = Field(description="The model version scored; null for a reference model.")
    reference_model: str | None = Field(description="The reference model scored; null for a model version.")
    score: float = Field(description="Aggregate score in [0, 1].")
    stderr: float | None = Field(description="Standard error of the score, when known.")
    samples: int | None = Field(description="How many samples were scored, when known.")
    scaffold_version: str = Field(description="Solver, scorer and prompt used.")
    run_ref: str | None = Field(description="The id of the benchmark run that produced it, if any.")
    recorded_by: str = Field(description="Who recorded it: an e-mail address, or `system:…` when a benchmark run did.")
    recorded_at: datetime = Field(description="When it was recorded.")

    @classmethod
    def of(cls, v: ResultView) -> ResultOut:
        return cls(**vars(v))


class DeterminationIn(_In):
    """What to determine: a version under a policy."""

    model_version_id: uuid.UUID = Field(description="The model version to evaluate.")
    policy: StrictStr = Field(description="identifier@version")
    rationale: StrictStr = Field(default="", max_length=10_000, description="Why, in the program office's words.")


class DeterminationOut(BaseModel):
    """A coverage determination: a version's outcome under a policy, at the detail you may see."""

    id: uuid.UUID = Field(description="The determination's id.")
    model_version_id: uuid.UUID = Field(description="The model version determined.")
    version_display: str = Field(description="Its model name and version label.")
    policy_ref: str = Field(description="The policy applied, `identifier@version`.")
    policy_title: str = Field(description="That policy's title.")
    classified: bool = Field(description="True when the policy is classified.")
    outcome: Outcome = Field(description="`covered`, `not_covered` or `insufficient_evidence`.")
    met_criteria: list[str] = Field(description="Names of the criteria that were met.")
    criterion_names: list[str] = Field(description="Names of all the policy's criteria.")
    trace: dict[str, Any] | None = Field(
        description="Per-criterion trace (met, not met or unknown); null when classified for you. "
        "Observed scores and thresholds are withheld except for cleared program-office staff."
    )
    evidence: dict[str, Any] | None = Field(
        description="The ids of the facts and results the outcome was computed from; null when classified for you."
    )
    rationale: str = Field(description="Why, in the program office's words.")
    decided_by: str = Field(description="Who recorded it (an e-mail address).")
    decided_at: datetime = Field(description="When it was recorded.")
    supersedes_id: uuid.UUID | None = Field(description="The earlier determination for the same version and policy, if any.")
    superseded: bool = Field(description="True when a later determination replaced this one.")
    inquiry_id: uuid.UUID | None = Field(description="The inquiry it answered, if any.")

    @classmethod
    def of(cls, v: DeterminationView) -> DeterminationOut:
        return cls(**{k: getattr(v, k) for k in cls.model_fields})


class RecheckOut(BaseModel):
    """The latest determination re-evaluated, on its own evidence and on today's."""

    determination_id: uuid.UUID | None = Field(description="The latest determination; null when there is none.")
    stored: Outcome | None = Field(description="Its recorded outcome; null when there is none.")
    on_stored_evidence: Outcome | None = Field(description="The outcome again, on the evidence it used; null when there is none.")
    on_current_evidence: Outcome = Field(description="The outcome on the evidence as it stands now.")
    reproducible: bool | None = Field(
        description="True when the stored outcome and trace are reproduced exactly; null when there is no determination."
    )

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
    """A version whose outcome differs between the two policies."""

    version_id: uuid.UUID = Field(description="The model version.")
    version: str = Field(description="Its model name and version label.")
    organization: str = Field(description="The developer organization that owns it.")
    before: Outcome | None = Field(description="Its outcome under the policy compared with; null when there is none.")
    after: Outcome = Field(description="Its outcome under the new policy.")

    @classmethod
    def of(cls, c: Change) -> ChangeOut:
        return cls(
            version_id=c.version_id, version=c.version_display, organization=c.organization_name, before=c.before, after=c.after
        )


class ReassessOut(BaseModel):
    """The versions whose outcome changes from one policy to another."""

    policy: str = Field(description="The new policy, as asked for.")
    against: str | None = Field(description="The policy compared with; null when `policy` has no earlier version.")
    changes: list[ChangeOut] = Field(description="Every version whose outcome differs, by model and label.")


class InquiryIn(_In):
    """A coverage inquiry about one of your versions."""

    model_version_id: uuid.UUID = Field(description="Your model version the question is about.")
    question: StrictStr = Field(min_length=1, max_length=10_000, description="What you ask the program office.")


class MessageIn(_In):
    """A message on an inquiry's thread."""

    message: StrictStr = Field(min_length=1, max_length=10_000, description="The message.")
    version: StrictInt | None = Field(default=None, description="Expected inquiry version, for optimistic concurrency.")


class AssignIn(_In):
    """Whom to assign an inquiry to."""

    assignee_id: uuid.UUID | None = Field(default=None, description="Default: yourself.")
    version: StrictInt | None = Field(default=None, description="Expected inquiry version, for optimistic concurrency.")


class DecideIn(_In):
    """The determination that answers an inquiry."""

    policy: StrictStr = Field(description="identifier@version")
    rationale: StrictStr = Field(
        max_length=10_000,
        description="Why, in the program office's words (required, not blank): shown to the developer with the answer.",
    )
    version: StrictInt | None = Field(default=None, description="Expected inquiry version, for optimistic concurrency.")


class AttachIn(_In):
    """Benchmark results weighed for an inquiry."""

    result_ids: list[uuid.UUID] = Field(min_length=1, max_length=50, description="Results of the inquiry's version (1 to 50).")


class EventOut(BaseModel):
    """One step in an inquiry's thread."""

    kind: str = Field(
        description="`filed`, `assigned`, `information_requested`, `responded`, `results_attached`, `decided` or `withdrawn`."
    )
    actor: str = Field(description="Who took the step (an e-mail address).")
    body: str = Field(description="The message, if the step has one; otherwise empty.")
    data: dict[str, Any] = Field(description="Facts of the step, such as the assignee or the determination's outcome.")
    at: datetime = Field(description="When.")


class InquiryOut(BaseModel):
    """A coverage inquiry."""

    id: uuid.UUID = Field(description="The inquiry's id.")
    model_version_id: uuid.UUID = Field(description="The model version asked about.")
    version_display: str = Field(description="Its model name and version label.")
    organization_id: uuid.UUID = Field(description="The developer organization that filed it.")
    organization_name: str = Field(description="That organization's name.")
    question: str = Field(description="The question as filed.")
    status: InquiryStatus = Field(description="Where it stands.")
    assignee: str | None = Field(description="The program-office member working it (an e-mail address), if any.")
    determination_id: uuid.UUID | None = Field(description="The determination that answered it, once decided.")
    filed_by: str = Field(description="Who filed it (an e-mail address).")
    filed_at: datetime = Field(description="When it was filed.")
    updated_at: datetime = Field(description="When its thread last changed.")
    version: int = Field(description="Raised by every change; send it back in a change to detect concurrent edits.")
    events: list[EventOut] = Field(description="Its thread, oldest first; empty in lists.")

    @classmethod
    def of(cls, v: InquiryView) -> InquiryOut:
        data = {k: getattr(v, k) for k in cls.model_fields if k != "events"}
        return cls(**data, events=[EventOut(**vars(e)) for e in v.events])
