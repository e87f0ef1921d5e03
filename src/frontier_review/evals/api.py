"""REST endpoints for benchmark suites, targets and runs (program office)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from frontier_review.evals import runs, service
from frontier_review.evals.domain import RunStatus
from frontier_review.evals.tasks import RUN_TASK
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(tags=["benchmarks"])


class SuiteOut(BaseModel):
    ref: str
    title: str
    domain: str
    classified: bool
    sample_count: int
    sealed_at: datetime


class TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field(min_length=2, max_length=120)
    model: StrictStr = Field(description="Inspect model string, e.g. openai-api/local/smollm2.", max_length=200)
    base_url: StrictStr | None = Field(default=None, max_length=500)
    api_key: StrictStr | None = Field(default=None, max_length=500, description="Sealed at rest; never returned.")
    model_version_id: uuid.UUID | None = None
    reference_model: StrictStr | None = Field(default=None, max_length=120)


class TargetOut(BaseModel):
    id: uuid.UUID
    name: str
    model: str
    endpoint: str | None = Field(description="The base URL's origin only: the URL is sealed at rest (it may carry a key).")
    has_key: bool
    subject: str
    classified_allowed: bool = Field(description="The platform operator allowed classified suites to run on it.")
    created_at: datetime


class RunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    benchmark: StrictStr = Field(description="name@version")
    target: StrictStr
    max_connections: StrictInt = Field(default=8, ge=1, le=256)
    max_retries: StrictInt = Field(default=2, ge=0, le=10)
    timeout_seconds: StrictInt = Field(default=120, ge=1, le=3600)


class RunOut(BaseModel):
    id: uuid.UUID
    benchmark: str
    target: str
    subject: str
    status: RunStatus
    samples_total: int
    samples_done: int
    errors: int
    limits_hit: int
    score: float | None
    stderr: float | None
    scores_withheld: bool = Field(description="A classified run's score is sealed; only its own page opens it (audited).")
    input_tokens: int
    output_tokens: int
    duration_seconds: float | None
    failure_reason: str | None
    scaffold_version: str
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, view: runs.RunView) -> RunOut:
        return cls(**{k: getattr(view, k) for k in cls.model_fields})


class TranscriptOut(BaseModel):
    sample_id: str
    input: str
    target: str
    output: str
    score: str
    error: str | None


@router.get("/benchmark-suites", summary="Sealed suites (metadata only, never items)")
def list_suites(uow: UoW, principal: ApiPrincipal) -> list[SuiteOut]:
    return [
        SuiteOut(
            ref=s.ref, title=s.title, domain=s.domain, classified=s.classified, sample_count=s.sample_count, sealed_at=s.sealed_at
        )
        for s in service.list_suites(uow, principal)
    ]


@router.get("/targets", summary="Model targets (keys are never returned)", description="Permission: `coverage:benchmark:manage`.")
def list_targets(uow: UoW, principal: ApiPrincipal) -> list[TargetOut]:
    return [TargetOut(**vars(t)) for t in runs.list_targets(uow, principal)]


@router.post("/targets", status_code=status.HTTP_201_CREATED, summary="Register a model target")
def create_target(body: TargetIn, uow: UoW, principal: ApiPrincipal) -> TargetOut:
    view = runs.create_target(
        uow,
        principal,
        name=body.name,
        model=body.model,
        base_url=body.base_url,
        api_key=body.api_key,
        model_version_id=body.model_version_id,
        reference_model=body.reference_model,
    )
    return TargetOut(**vars(view))


@router.get("/runs", summary="Recent runs (aggregates only)")
def list_runs(uow: UoW, principal: ApiPrincipal) -> list[RunOut]:
    return [RunOut.of(r) for r in runs.list_runs(uow, principal)]


@router.post("/runs", status_code=status.HTTP_201_CREATED, summary="Queue a run", description="A worker executes it.")
def start_run(body: RunIn, request: Request, uow: UoW, principal: ApiPrincipal) -> RunOut:
    queue = request.app.state.container.jobs

    def dispatch(run_id: uuid.UUID) -> None:
        queue.enqueue(RUN_TASK, str(run_id))

    view = runs.start_run(
        uow,
        principal,
        benchmark=body.benchmark,
        target=body.target,
        dispatch=dispatch,
        max_connections=body.max_connections,
        max_retries=body.max_retries,
        timeout_seconds=body.timeout_seconds,
    )
    return RunOut.of(view)


@router.get("/runs/{run_id}", summary="A run's aggregate state")
def get_run(run_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> RunOut:
    return RunOut.of(runs.get_run(uow, principal, run_id))


@router.post("/runs/{run_id}/cancel", summary="Cancel a run")
def cancel_run(run_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> RunOut:
    return RunOut.of(runs.cancel_run(uow, principal, run_id))


@router.get("/runs/{run_id}/transcripts", summary="Per-sample transcripts (cleared program-office staff; audited)")
def transcripts(run_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[TranscriptOut]:
    return [TranscriptOut(**vars(t)) for t in runs.run_transcripts(uow, principal, run_id)]
