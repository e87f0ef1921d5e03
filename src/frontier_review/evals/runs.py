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

from sqlalchemy import select, update

from frontier_review.audit import service as audit
from frontier_review.coverage import results
from frontier_review.coverage.policy import Sensitivity
from frontier_review.db.uow import UnitOfWork
from frontier_review.evals.domain import RunStatus, transition
from frontier_review.evals.logfile import Transcript, transcripts
from frontier_review.evals.orm import BenchmarkRun, ModelTarget, SealedSuite
from frontier_review.evals.policy import operator_only
from frontier_review.evals.tags import EvalsTag
from frontier_review.evals.targets import (
    URL_FIELD,
    check_manage,
    classified_refusal,
    get_target_row,
    target_subject,
)
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize_visible, decide, refuse
from frontier_review.security import service as security

__all__ = [
    "Resealed",
    "RunView",
    "cancel_run",
    "claim",
    "export_log",
    "get_run",
    "list_runs",
    "run_transcripts",
    "scaffold_version",
    "seal_legacy",
    "stale_runs",
    "start_run",
]


Dispatch = Callable[[uuid.UUID], None]


@dataclass(frozen=True)
class RunView:
    """A run's aggregate state: what anyone allowed to see runs may see (never items or outputs)."""

    id: uuid.UUID
    benchmark: str
    benchmark_id: uuid.UUID
    classified: bool  # a classified suite's run
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


SCORES_FIELD = "scores_sealed"


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
    check_manage(uow, principal, bench.classified, str(bench.id))
    suite = uow.session.scalar(select(SealedSuite).where(SealedSuite.benchmark_id == bench.id))
    if suite is None:
        raise ValidationFailed(f"{benchmark} has no sealed items; seal it first", field="benchmark")
    target_row = get_target_row(uow, target)
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
            why = classified_refusal(row, role) if row is not None else None
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
        benchmark_id=bench.id,
        classified=bench.classified,
        target=target.name,
        subject=target_subject(uow, target),
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
    check_manage(uow, principal, False, "runs")
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
