"""Targets and runs: who runs which benchmark against which model, and what came of it.

Runs execute as jobs in worker processes (``evals.tasks``); the web process only queues them
and reads their aggregate state. Item text and model outputs never leave the sealed log,
except to cleared program-office staff through an audited view (E1).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlparse

from sqlalchemy import select, update

from frontier_review import engagements
from frontier_review.audit import service as audit
from frontier_review.coverage import results
from frontier_review.coverage.policy import Sensitivity
from frontier_review.db.uow import UnitOfWork
from frontier_review.evals.domain import RunStatus, transition
from frontier_review.evals.logfile import Transcript, transcripts
from frontier_review.evals.orm import BenchmarkRun, ModelTarget, SealedSuite
from frontier_review.evals.policy import may_allow_classified, operator_only
from frontier_review.evals.tags import EvalsTag
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, authorize_visible, decide, refuse
from frontier_review.registry import service as registry
from frontier_review.security import addresses
from frontier_review.security import service as security

__all__ = [
    "Resealed",
    "RunView",
    "TargetView",
    "allow_classified",
    "cancel_run",
    "check_base_url",
    "claim",
    "create_gateway_target",
    "create_target",
    "export_log",
    "find_target",
    "get_run",
    "list_runs",
    "list_targets",
    "run_transcripts",
    "scaffold_version",
    "seal_legacy",
    "stale_runs",
    "start_run",
]

Dispatch = Callable[[uuid.UUID], None]


@dataclass(frozen=True)
class TargetView:
    """A target as the program office sees it: never its key, and of its base URL only the origin.

    The URL is sealed at rest: a path or a host name may carry a key.
    """

    id: uuid.UUID
    name: str
    model: str
    endpoint: str | None
    has_key: bool
    subject: str
    classified_allowed: bool
    created_at: datetime


@dataclass(frozen=True)
class RunView:
    """A run's aggregate state: what anyone allowed to see runs may see (never items or outputs)."""

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
    scores_withheld: bool  # a classified run's sealed score, not opened for this view
    input_tokens: int
    output_tokens: int
    duration_seconds: float | None
    failure_reason: str | None
    scaffold_version: str
    attempts: int
    created_by: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def _manage(uow: UnitOfWork, principal: Principal, classified: bool, what: str) -> None:
    authorize(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, Sensitivity(classified, what, "benchmark"))


def check_base_url(uow: UnitOfWork, url: str, *, resolve: addresses.Resolver = addresses.system_resolver) -> str:
    """A target's base URL under the platform's one address policy (the gateway's).

    http(s), no credentials, query or fragment, and a host that resolves to no metadata address
    (in any mode) and to no private address unless the operator allows private upstreams.
    """
    return addresses.check_url(
        url, require_https=False, allow_private=uow.settings.gateway_allow_private_upstreams, resolve=resolve
    )


URL_FIELD = "base_url_sealed"
SCORES_FIELD = "scores_sealed"


def target_base_url(uow: UnitOfWork, row: ModelTarget) -> str | None:
    """The decrypted base URL, for the runner and for adapters that need the origin."""
    if row.base_url_sealed is None:
        return row.base_url  # a target registered before URLs were sealed
    return security.open_field(
        uow.session, uow.keyring, row.base_url_sealed, table="model_targets", row_id=str(row.id), field=URL_FIELD
    ).decode()


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parsed = urlparse(url)
    host = f"[{parsed.hostname}]" if parsed.hostname and ":" in parsed.hostname else parsed.hostname
    return f"{parsed.scheme}://{host}" + (f":{parsed.port}" if parsed.port else "")


def create_target(
    uow: UnitOfWork,
    principal: Principal,
    *,
    name: str,
    model: str,
    base_url: str | None = None,
    api_key: str | None = None,
    model_version_id: uuid.UUID | None = None,
    reference_model: str | None = None,
) -> TargetView:
    """Register a model target.

    ``openai-api/<service>/<model>`` needs a base URL (not ``openai/…``, whose Responses API most
    compatible servers lack).
    """
    _manage(uow, principal, False, name)
    clean_name = name.strip()
    if not 2 <= len(clean_name) <= 120:
        raise ValidationFailed("name must have 2 to 120 characters", field="name")
    if not model or "/" not in model or model.startswith("openai/"):
        raise ValidationFailed(
            "model is an Inspect model string such as openai-api/local/smollm2 or mockllm/model", field="model"
        )
    if model.startswith("openai-api/") and (model.count("/") < 2 or not base_url):
        raise ValidationFailed("openai-api/<service>/<model> targets need a base_url", field="base_url")
    if (model_version_id is None) == (not reference_model):
        raise ValidationFailed(
            "a target stands for exactly one of a model version or a reference model", field="model_version_id"
        )
    if model_version_id is not None:
        registry.get_version_ref(uow, model_version_id)
    if uow.session.scalar(select(ModelTarget.id).where(ModelTarget.name == clean_name)):
        raise Conflict(f"a target named {clean_name!r} exists", field="name")
    clean_url = check_base_url(uow, base_url) if base_url else None
    row = ModelTarget(
        id=new_id(),
        name=clean_name,
        model=model,
        base_url=None,
        model_version_id=model_version_id,
        reference_model=reference_model.strip() if reference_model else None,
        created_by=principal.label,
        created_at=uow.clock.now(),
    )
    if clean_url:
        row.base_url_sealed = security.seal_field(
            uow, clean_url.encode(), table="model_targets", row_id=str(row.id), field=URL_FIELD
        )
    if api_key:
        row.api_key_sealed = security.seal_field(
            uow, api_key.encode(), table="model_targets", row_id=str(row.id), field="api_key_sealed"
        )
    uow.session.add(row)
    uow.flush_unique(f"a target named {clean_name!r} exists", "name")
    audit.record(
        uow,
        principal,
        EvalsTag.TARGET_CREATED,
        target_type="model_target",
        target_id=row.id,
        details={"name": clean_name, "model": model},
    )
    return _target_view(uow, row)


def _subject(uow: UnitOfWork, row: ModelTarget) -> str:
    if row.model_version_id is not None:
        return registry.get_version_ref(uow, row.model_version_id).display
    return row.reference_model or "?"


def _target_view(uow: UnitOfWork, row: ModelTarget) -> TargetView:
    return TargetView(
        id=row.id,
        name=row.name,
        model=row.model,
        endpoint=_origin(target_base_url(uow, row)),
        has_key=row.api_key_sealed is not None,
        subject=_subject(uow, row),
        classified_allowed=row.classified_allowed_at is not None,
        created_at=row.created_at,
    )


def _get_target_row(uow: UnitOfWork, name: str) -> ModelTarget:
    """The target named ``name``; NotFound otherwise."""
    row = uow.session.scalar(select(ModelTarget).where(ModelTarget.name == name))
    if row is None:
        raise NotFound(f"no target named {name!r}")
    return row


def find_target(uow: UnitOfWork, name: str) -> TargetView | None:
    """The target named ``name``, or ``None`` (a system read: callers authorize)."""
    row = uow.session.scalar(select(ModelTarget).where(ModelTarget.name == name))
    return _target_view(uow, row) if row is not None else None


def allow_classified(uow: UnitOfWork, principal: Principal, *, target: str, reason: str = "", allowed: bool = True) -> TargetView:
    """The platform operator's explicit override: classified suites may (or may no longer) run on ``target``.

    Every target counts as developer-hosted until then, because a classified suite's items reach
    the target's server in clear. Audited with the operator's reason.

    Raises:
        PermissionDenied: anyone but the operator on the server (CLI) asks.
        ValidationFailed: allowing without a reason.
    """
    row = _get_target_row(uow, target)
    decision = may_allow_classified(principal)
    if not decision.allowed:
        refuse(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, decision.reason, ("model_target", str(row.id)))
    clean_reason = reason.strip()
    if allowed and not 4 <= len(clean_reason) <= 2000:
        raise ValidationFailed(
            "say why this target may receive classified items (4 to 2000 characters), e.g. "
            "'hosted by the program office in its own enclave'",
            field="reason",
        )
    if allowed:
        row.classified_allowed_at, row.classified_allowed_by = uow.clock.now(), principal.label
        row.classified_allowed_reason = clean_reason
    else:
        row.classified_allowed_at = row.classified_allowed_by = row.classified_allowed_reason = None
    audit.record(
        uow,
        principal,
        EvalsTag.TARGET_CLASSIFIED_ALLOWED if allowed else EvalsTag.TARGET_CLASSIFIED_REVOKED,
        target_type="model_target",
        target_id=row.id,
        details={"name": row.name},
        reason=clean_reason or None,
    )
    return _target_view(uow, row)


@dataclass(frozen=True)
class Resealed:
    """What :func:`seal_legacy` sealed (row ids)."""

    results: list[str]
    runs: list[str]
    targets: list[str]


def seal_legacy(uow: UnitOfWork, principal: Principal) -> Resealed:
    """Seal what earlier versions stored in plaintext.

    That is classified results' and runs' scores, and target base URLs. Operator only; audited
    with the ids (never the values). Idempotent.
    """
    decision = operator_only(principal)
    if not decision.allowed:
        refuse(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, decision.reason, ("benchmark_run", "*"))
    sealed_results = results.seal_legacy_results(uow)
    sealed_runs: list[str] = []
    stmt = (
        select(BenchmarkRun)
        .where(BenchmarkRun.benchmark_id.in_(results.list_benchmark_ids(uow, classified=True)))
        .where(BenchmarkRun.scores_sealed.is_(None), BenchmarkRun.score.is_not(None))
    )
    for run in uow.session.scalars(stmt):
        record_scores(uow, run, classified=True, score=run.score, stderr=run.stderr)
        sealed_runs.append(str(run.id))
    sealed_targets: list[str] = []
    for target in uow.session.scalars(select(ModelTarget).where(ModelTarget.base_url.is_not(None))):
        assert target.base_url is not None
        target.base_url_sealed = security.seal_field(
            uow, target.base_url.encode(), table="model_targets", row_id=str(target.id), field=URL_FIELD
        )
        target.base_url = None
        sealed_targets.append(str(target.id))
    audit.record(
        uow,
        principal,
        EvalsTag.LEGACY_SEALED,
        details={"results": sealed_results, "runs": sealed_runs, "targets": sealed_targets},
    )
    return Resealed(sealed_results, sealed_runs, sealed_targets)


def _classified_refusal(row: ModelTarget, role: str) -> str | None:
    """Why a classified suite may not run on ``row`` (None when the operator allowed it)."""
    if row.classified_allowed_at is not None:
        return None
    return (
        f"the {role} {row.name!r} counts as developer-hosted: a classified suite's items would reach its "
        "server in clear; the platform operator must allow classified runs on it first "
        f"(frontier-review benchmark allow-classified {row.name!r} --reason ...)"
    )


def create_gateway_target(
    uow: UnitOfWork, principal: Principal, *, name: str, engagement_id: uuid.UUID, gateway_url: str
) -> TargetView:
    """A target that reaches the candidate through the program office's own engagement grant on the gateway.

    Its key is a personal gateway token of ``principal`` (sealed), so every benchmark call is
    admitted, metered and audited like a reviewer's, and stops at release.
    """
    _manage(uow, principal, False, name)
    engagement = engagements.get_engagement(uow, principal, engagement_id)
    issued = engagements.issue_token(uow, principal, engagement_id, name=f"benchmark target {name.strip()}"[:100])
    return create_target(
        uow,
        principal,
        name=name,
        model=f"openai-api/gateway/{engagement.model_id}",
        base_url=gateway_url.rstrip("/"),
        api_key=issued.plaintext,
        model_version_id=engagement.version_id,
    )


def list_targets(uow: UnitOfWork, principal: Principal) -> list[TargetView]:
    """Every target, by name (program office); never a key, and only the origin of a URL."""
    _manage(uow, principal, False, "targets")
    return [_target_view(uow, t) for t in uow.session.scalars(select(ModelTarget).order_by(ModelTarget.name))]


def target_api_key(uow: UnitOfWork, row: ModelTarget) -> str | None:
    """The decrypted key, for the runner only (never returned by any interface)."""
    if row.api_key_sealed is None:
        return None
    return security.open_field(
        uow.session, uow.keyring, row.api_key_sealed, table="model_targets", row_id=str(row.id), field="api_key_sealed"
    ).decode()


def scaffold_version(manifest: dict[str, object]) -> str:
    """Solver, scorer and prompt, so a changed scaffold is never compared silently with an old one."""
    prompt = hashlib.sha256(str(manifest.get("system_prompt", "")).encode()).hexdigest()[:8]
    scorer = str(manifest.get("scorer"))
    if scorer == "model_graded":  # another grader is another scaffold
        scorer = f"model_graded:{manifest.get('grader')}"
    return f"{manifest.get('solver')}/{scorer}/prompt-{prompt}"


def start_run(
    uow: UnitOfWork,
    principal: Principal,
    *,
    benchmark: str,
    target: str,
    dispatch: Dispatch,
    max_connections: int = 8,
    max_retries: int = 2,
    timeout_seconds: int = 120,
) -> RunView:
    """Queue a run; the job is dispatched only after the run is committed."""
    name, _, version = benchmark.partition("@")
    bench = results.get_benchmark(uow, name, version or "1")
    _manage(uow, principal, bench.classified, str(bench.id))
    suite = uow.session.scalar(select(SealedSuite).where(SealedSuite.benchmark_id == bench.id))
    if suite is None:
        raise ValidationFailed(f"{benchmark} has no sealed items; seal it first", field="benchmark")
    target_row = _get_target_row(uow, target)
    grader_row: ModelTarget | None = None
    if suite.manifest.get("scorer") == "model_graded":
        grader = str(suite.manifest.get("grader"))
        grader_row = uow.session.scalar(select(ModelTarget).where(ModelTarget.name == grader))
        if grader_row is None:
            raise ValidationFailed(
                f"{benchmark} is graded by the target {grader!r}, which is not registered; add it first", field="target"
            )
    if bench.classified:
        # Item 3 of the confidentiality review: refused at queue time, before anything is sent.
        for role, row in (("target", target_row), ("grader target", grader_row)):
            why = _classified_refusal(row, role) if row is not None else None
            if why:
                raise ValidationFailed(why, field="target")
    for field, value, low, high in (
        ("max_connections", max_connections, 1, 256),
        ("max_retries", max_retries, 0, 10),
        ("timeout_seconds", timeout_seconds, 1, 3600),
    ):
        if not low <= value <= high:
            raise ValidationFailed(f"{field} must be between {low} and {high}", field=field)
    run = BenchmarkRun(
        id=new_id(),
        benchmark_id=bench.id,
        target_id=target_row.id,
        grader_target_id=grader_row.id if grader_row is not None else None,
        status=RunStatus.QUEUED.value,
        max_connections=max_connections,
        max_retries=max_retries,
        timeout_seconds=timeout_seconds,
        scaffold_version=scaffold_version(suite.manifest),
        samples_total=suite.sample_count,
        created_by=principal.label,
        created_at=uow.clock.now(),
    )
    uow.session.add(run)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        EvalsTag.RUN_QUEUED,
        target_type="benchmark_run",
        target_id=run.id,
        details={"benchmark": f"{bench.name}@{bench.version}", "target": target_row.name},
    )
    run_id = run.id
    uow.on_commit(lambda: dispatch(run_id))
    return run_view(uow, run, open_scores=False)


def record_scores(uow: UnitOfWork, run: BenchmarkRun, *, classified: bool, score: float | None, stderr: float | None) -> None:
    """Store a run's aggregate score; a classified suite's is sealed, never in plaintext (item 1)."""
    if classified and score is not None:
        run.score = run.stderr = None
        payload = json.dumps({"score": score, "stderr": stderr}).encode()
        run.scores_sealed = security.seal_field(uow, payload, table="benchmark_runs", row_id=str(run.id), field=SCORES_FIELD)
    else:
        run.score, run.stderr = score, stderr


def _scores(uow: UnitOfWork, run: BenchmarkRun) -> tuple[float | None, float | None]:
    if run.scores_sealed is None:
        return run.score, run.stderr
    raw = json.loads(
        security.open_field(
            uow.session, uow.keyring, run.scores_sealed, table="benchmark_runs", row_id=str(run.id), field=SCORES_FIELD
        )
    )
    return raw["score"], raw["stderr"]


def run_view(uow: UnitOfWork, run: BenchmarkRun, *, open_scores: bool = True) -> RunView:
    """A run's aggregates; a sealed score is opened only with ``open_scores`` (callers authorize and audit)."""
    bench = results.get_benchmark_by_id(uow, run.benchmark_id)
    target = uow.session.get(ModelTarget, run.target_id)
    assert target is not None
    withheld = run.scores_sealed is not None and not open_scores
    score, stderr = (None, None) if withheld else _scores(uow, run)
    return RunView(
        id=run.id,
        benchmark=f"{bench.name}@{bench.version}",
        target=target.name,
        subject=_subject(uow, target),
        status=RunStatus(run.status),
        samples_total=run.samples_total,
        samples_done=run.samples_done,
        errors=run.errors,
        limits_hit=run.limits_hit,
        score=score,
        stderr=stderr,
        scores_withheld=withheld,
        input_tokens=run.input_tokens,
        output_tokens=run.output_tokens,
        duration_seconds=run.duration_seconds,
        failure_reason=run.failure_reason,
        scaffold_version=run.scaffold_version,
        attempts=run.attempts,
        created_by=run.created_by,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def _load_run(
    uow: UnitOfWork, principal: Principal, run_id: uuid.UUID, permission: Permission = Permission.COVERAGE_BENCHMARK_MANAGE
) -> tuple[BenchmarkRun, results.BenchmarkView]:
    """The run and its benchmark, once ``principal`` may act on it.

    A run of a classified suite is ``NotFound`` for anyone not cleared to see its scores, exactly
    like a missing run.
    """
    missing = f"run {run_id} not found"
    run = uow.session.get(BenchmarkRun, run_id)
    if run is None:
        raise NotFound(missing)
    bench = results.get_benchmark_by_id(uow, run.benchmark_id)  # a foreign key: always there
    authorize_visible(
        uow,
        principal,
        permission,
        Sensitivity(bench.classified, str(run.id), "benchmark_run"),
        not_found=missing,
        read=Permission.COVERAGE_BENCHMARK_MANAGE,
    )
    return run, bench


def get_run(uow: UnitOfWork, principal: Principal, run_id: uuid.UUID) -> RunView:
    """One run with its score; the read of a sealed score is audited.

    A classified run is shown only to cleared staff; anyone else is told it does not exist.
    """
    run, _bench = _load_run(uow, principal, run_id)
    if run.scores_sealed is not None:
        audit.record(uow, principal, EvalsTag.RUN_CLASSIFIED_SCORE_VIEWED, target_type="benchmark_run", target_id=run.id)
    return run_view(uow, run)


def list_runs(uow: UnitOfWork, principal: Principal, *, limit: int = 100) -> list[RunView]:
    """Recent runs; runs of classified suites only for viewers cleared to see their scores."""
    _manage(uow, principal, False, "runs")
    now = uow.clock.now()
    rows = list(uow.session.scalars(select(BenchmarkRun).order_by(BenchmarkRun.created_at.desc()).limit(limit)))
    classified = {b.id: b.classified for b in results.list_benchmarks_by_id(uow, {run.benchmark_id for run in rows})}
    # Lists never open a sealed score: the run's own page does, audited.
    return [
        run_view(uow, run, open_scores=False)
        for run in rows
        if decide(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, Sensitivity(classified[run.benchmark_id]), now).allowed
    ]


def cancel_run(uow: UnitOfWork, principal: Principal, run_id: uuid.UUID) -> RunView:
    """Cancel a queued run at once; a running one stops at the worker's next check."""
    run, _bench = _load_run(uow, principal, run_id)
    status = RunStatus(run.status)
    if status.finished:
        raise Conflict(f"the run already {status.value}", field="status")
    run.cancel_requested = True
    if status is RunStatus.QUEUED:
        run.status = transition(status, RunStatus.CANCELLED).value
        run.finished_at = uow.clock.now()
    audit.record(uow, principal, EvalsTag.RUN_CANCEL_REQUESTED, target_type="benchmark_run", target_id=run.id)
    return run_view(uow, run, open_scores=False)


# Worker side ------------------------------------------------------------------------------


def claim(uow: UnitOfWork, run_id: uuid.UUID, worker: str) -> bool:
    """Atomically move a queued run to running for this worker; False if someone else has it."""
    now = uow.clock.now()
    result = uow.session.execute(
        update(BenchmarkRun)
        .where(BenchmarkRun.id == run_id, BenchmarkRun.status == RunStatus.QUEUED.value, BenchmarkRun.cancel_requested.is_(False))
        .values(
            status=RunStatus.RUNNING.value,
            worker=worker,
            heartbeat_at=now,
            attempts=BenchmarkRun.attempts + 1,
            started_at=now,
            samples_done=0,
            errors=0,
            limits_hit=0,
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def stale_runs(uow: UnitOfWork) -> list[uuid.UUID]:
    """E2: running runs whose worker stopped beating, and queued runs whose job may be lost; re-queued."""
    now = uow.clock.now()
    stale_after = timedelta(seconds=uow.settings.run_stale_seconds)
    found: list[uuid.UUID] = []
    for run in uow.session.scalars(
        select(BenchmarkRun).where(BenchmarkRun.status.in_([RunStatus.RUNNING.value, RunStatus.QUEUED.value]))
    ):
        last = run.heartbeat_at or run.created_at
        if now - last < stale_after:
            continue
        if run.status == RunStatus.RUNNING.value:
            run.status = transition(RunStatus.RUNNING, RunStatus.QUEUED).value
            run.worker = None
            audit.append(
                uow,
                actor_label="system:evals-sweeper",
                actor_user_id=None,
                actor_org_id=None,
                action=EvalsTag.RUN_REQUEUED,
                target_type="benchmark_run",
                target_id=str(run.id),
                reason="worker stopped without finishing the run",
            )
        run.heartbeat_at = now
        found.append(run.id)
    return found


def _sealed_log(uow: UnitOfWork, principal: Principal, run_id: uuid.UUID, action: EvalsTag) -> tuple[BenchmarkRun, bytes]:
    run, _bench = _load_run(uow, principal, run_id, Permission.EVALS_ITEMS_READ)
    if run.log_sealed is None:
        raise NotFound("this run has no stored log")
    raw = security.open_field(
        uow.session, uow.keyring, run.log_sealed, table="benchmark_runs", row_id=str(run.id), field="log_sealed"
    )
    audit.record(uow, principal, action, target_type="benchmark_run", target_id=run.id)
    return run, raw


def run_transcripts(uow: UnitOfWork, principal: Principal, run_id: uuid.UUID) -> list[Transcript]:
    """Per-sample transcripts: cleared program-office staff only, and every view is audited (E1)."""
    _run, raw = _sealed_log(uow, principal, run_id, EvalsTag.RUN_TRANSCRIPTS_VIEWED)
    return transcripts(raw)


def export_log(uow: UnitOfWork, principal: Principal, run_id: uuid.UUID) -> bytes:
    """The Inspect log, for ``inspect view`` on a cleared workstation (audited)."""
    return _sealed_log(uow, principal, run_id, EvalsTag.RUN_LOG_EXPORTED)[1]
