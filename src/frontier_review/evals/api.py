"""REST endpoints for benchmark suites, targets and runs (program office)."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from frontier_review.evals import runs, service, targets
from frontier_review.evals.domain import RunStatus
from frontier_review.evals.tasks import RUN_TASK
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(tags=["benchmarks"])


class SuiteOut(BaseModel):
    """A sealed benchmark suite's metadata (never its items)."""

    ref: str = Field(description="name@version")
    title: str = Field(description="Human-readable title.")
    domain: str = Field(description="What the suite measures.")
    classified: bool = Field(description="True when its items and scores are for cleared program-office staff only.")
    sample_count: int = Field(description="How many items it holds.")
    sealed_at: datetime = Field(description="When its items were sealed.")


class TargetIn(BaseModel):
    """A model endpoint that benchmark runs call."""

    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field(min_length=2, max_length=120, description="Unique name that runs refer to.")
    model: StrictStr = Field(description="Inspect model string, e.g. openai-api/local/smollm2.", max_length=200)
    base_url: StrictStr | None = Field(
        default=None,
        max_length=500,
        description="The model server's base URL (required for `openai-api/…`). Private addresses only where the "
        "operator allows them; never cloud metadata addresses.",
    )
    api_key: StrictStr | None = Field(default=None, max_length=500, description="Sealed at rest; never returned.")
    model_version_id: uuid.UUID | None = Field(
        default=None, description="The registered model version this target serves; or give `reference_model`."
    )
    reference_model: StrictStr | None = Field(
        default=None, max_length=120, description="A named reference model this target serves, instead of a registered version."
    )


class TargetOut(BaseModel):
    """A model target (never its key)."""

    id: uuid.UUID = Field(description="The target's id.")
    name: str = Field(description="Its unique name.")
    model: str = Field(description="Inspect model string.")
    endpoint: str | None = Field(description="The base URL's origin only: the URL is sealed at rest (it may carry a key).")
    has_key: bool = Field(description="True when an API key is stored for it.")
    subject: str = Field(description="What it serves: the model and version label, or the reference model.")
    classified_allowed: bool = Field(description="The platform operator allowed classified suites to run on it.")
    created_at: datetime = Field(description="When it was registered.")


class RunIn(BaseModel):
    """A benchmark run to queue."""

    model_config = ConfigDict(extra="forbid")
    benchmark: StrictStr = Field(description="name@version")
    target: StrictStr = Field(description="The target's name.")
    max_connections: StrictInt = Field(default=8, ge=1, le=256, description="Concurrent requests to the target.")
    max_retries: StrictInt = Field(default=2, ge=0, le=10, description="Retries of a failed request to the target.")
    timeout_seconds: StrictInt = Field(default=120, ge=1, le=3600, description="Time limit of one request, in seconds.")


class RunOut(BaseModel):
    """A run's aggregate state (never items or outputs)."""

    id: uuid.UUID = Field(description="The run's id.")
    benchmark: str = Field(description="name@version")
    target: str = Field(description="The target's name.")
    subject: str = Field(description="What was evaluated: the model and version label, or the reference model.")
    status: RunStatus = Field(description="Where the run stands.")
    samples_total: int = Field(description="Items in the suite.")
    samples_done: int = Field(description="Items evaluated so far.")
    errors: int = Field(description="Items that failed.")
    limits_hit: int = Field(description="Items stopped by a limit.")
    score: float | None = Field(description="Aggregate score in [0, 1]; null until the run has one, or when withheld.")
    stderr: float | None = Field(description="Standard error of the score; null as for `score`.")
    scores_withheld: bool = Field(description="A classified run's score is sealed; only its own page opens it (audited).")
    input_tokens: int = Field(description="Tokens sent to the model.")
    output_tokens: int = Field(description="Tokens the model produced.")
    duration_seconds: float | None = Field(description="How long the run took; null until it finishes.")
    failure_reason: str | None = Field(description="Why it failed; null otherwise.")
    scaffold_version: str = Field(description="Solver, scorer and prompt used.")
    attempts: int = Field(description="How many times a worker started it (a stalled run is retried).")
    created_at: datetime = Field(description="When it was queued.")
    started_at: datetime | None = Field(description="When a worker last started it; null while queued.")
    finished_at: datetime | None = Field(description="When it finished; null while queued or running.")

    @classmethod
    def of(cls, view: runs.RunView) -> RunOut:
        return cls(**{k: getattr(view, k) for k in cls.model_fields})


class TranscriptOut(BaseModel):
    """One item of a run as the model saw and answered it."""

    sample_id: str = Field(description="The item's id in the suite.")
    input: str = Field(description="What the model was given.")
    target: str = Field(description="The expected answer.")
    output: str = Field(description="What the model answered.")
    score: str = Field(description="How the scorer marked it.")
    error: str | None = Field(description="Why the item failed; null otherwise.")


@router.get("/benchmark-suites", summary="List sealed suites (metadata only, never items)")
def list_suites(uow: UoW, principal: ApiPrincipal) -> list[SuiteOut]:
    """Every sealed benchmark suite, by name: that it exists and its size, never its items.

    **Who may call:** any member of a participating organization, and operators.
    """
    return [
        SuiteOut(
            ref=s.ref, title=s.title, domain=s.domain, classified=s.classified, sample_count=s.sample_count, sealed_at=s.sealed_at
        )
        for s in service.list_suites(uow, principal)
    ]


@router.get("/targets", summary="List model targets (keys are never returned)")
def list_targets(uow: UoW, principal: ApiPrincipal) -> list[TargetOut]:
    """Every registered model target, by name.

    **Who may call:** program-office staff (`coverage:benchmark:manage`).

    **Errors:** 403 for anyone else.
    """
    return [TargetOut(**vars(t)) for t in targets.list_targets(uow, principal)]


@router.post("/targets", status_code=status.HTTP_201_CREATED, summary="Register a model target")
def create_target(body: TargetIn, uow: UoW, principal: ApiPrincipal) -> TargetOut:
    """Register a model endpoint that benchmark runs can call. Its URL and key are stored encrypted.

    Classified suites may run on it only once the platform operator allows it, from the server.

    **Who may call:** program-office staff (`coverage:benchmark:manage`).

    **Errors:** 403 for anyone else; 404 for an unknown model version; 409 when the name is taken;
    422 for a model string that is not an Inspect one, an `openai-api/…` target without
    `base_url`, a refused address, or unless exactly one of `model_version_id` and
    `reference_model` is given.
    """
    view = targets.create_target(
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


@router.get("/runs", summary="List recent runs (aggregates only)")
def list_runs(uow: UoW, principal: ApiPrincipal) -> list[RunOut]:
    """The 100 most recent benchmark runs, newest first; scores of classified runs are withheld here.

    **Who may call:** program-office staff (`coverage:benchmark:manage`); runs of classified suites
    are listed only for cleared staff.

    **Errors:** 403 for anyone else.
    """
    return [RunOut.of(r) for r in runs.list_runs(uow, principal)]


@router.post("/runs", status_code=status.HTTP_201_CREATED, summary="Queue a run")
def start_run(body: RunIn, request: Request, uow: UoW, principal: ApiPrincipal) -> RunOut:
    """Queue a benchmark suite to run against a target; a worker executes it. Poll the run for progress.

    **Who may call:** program-office staff; a classified suite needs a clearance
    (`coverage:benchmark:manage`).

    **Returns** the queued run.

    **Errors:** 403 for anyone else; 404 for an unknown benchmark or target; 422 when the suite has
    no sealed items, its grader target is not registered, or a classified suite would run on a
    target the platform operator has not allowed.
    """
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


@router.get("/runs/{run_id}", summary="Get a run's aggregate state")
def get_run(run_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> RunOut:
    """One run with its progress and score; opening a classified run's score is audited.

    **Who may call:** program-office staff (`coverage:benchmark:manage`); a run of a classified
    suite only cleared staff.

    **Errors:** 404 when no such run exists or you may not see it (the same answer).
    """
    return RunOut.of(runs.get_run(uow, principal, run_id))


@router.post("/runs/{run_id}/cancel", summary="Cancel a run")
def cancel_run(run_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> RunOut:
    """Cancel a queued run at once; a running one stops at the worker's next check.

    **Who may call:** program-office staff (`coverage:benchmark:manage`); a run of a classified
    suite only cleared staff.

    **Errors:** 404 when no such run exists or you may not see it (the same answer); 409 when it
    has already finished.
    """
    return RunOut.of(runs.cancel_run(uow, principal, run_id))


@router.get("/runs/{run_id}/transcripts", summary="Get per-sample transcripts (cleared program-office staff; audited)")
def transcripts(run_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[TranscriptOut]:
    """Every item of a run as the model saw and answered it, by item id. Each view is audited.

    **Who may call:** cleared program-office staff (`evals:items:read`).

    **Errors:** 403 for uncleared program-office staff; 404 when no such run exists, you may not see
    it, or the run has no stored log.
    """
    return [TranscriptOut(**vars(t)) for t in runs.run_transcripts(uow, principal, run_id)]
