"""What a home page shows of benchmark runs: the queued and running ones, with their progress.

Bounded (a fixed number of queries) and never a score: only progress. A run of a classified
suite is shown, and counted, only to readers the benchmark rule admits for it
(``COVERAGE_BENCHMARK_MANAGE`` on its ``Sensitivity``, as :func:`.runs.list_runs` asks): cleared
program-office staff. Readers who may not manage runs at all get ``None``, without a refusal
being recorded, because nothing was attempted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontier_review.coverage import results
from frontier_review.coverage.policy import Sensitivity
from frontier_review.db.uow import UnitOfWork
from frontier_review.evals.domain import RunStatus
from frontier_review.evals.orm import BenchmarkRun, ModelTarget
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide

__all__ = ["ActiveRun", "ActiveRuns", "active_runs"]


@dataclass(frozen=True)
class ActiveRun:
    """A queued or running benchmark run: what it is and how far it got."""

    id: uuid.UUID
    benchmark: str
    target: str
    status: RunStatus
    samples_done: int
    samples_total: int
    created_at: datetime
    started_at: datetime | None


@dataclass(frozen=True)
class ActiveRuns:
    """Runs in progress the reader may see: ``running`` and ``queued`` counts, and the oldest first."""

    running: int
    queued: int
    items: tuple[ActiveRun, ...]
    more: int


def active_runs(uow: UnitOfWork, principal: Principal, *, limit: int = 10) -> ActiveRuns | None:
    """The queued and running runs ``principal`` may see, or None if it may not manage runs at all."""
    now = uow.clock.now()
    if not decide(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, Sensitivity(False, "runs", "benchmark"), now).allowed:
        return None
    # Columns, not rows: a run's row carries its sealed log.
    rows = list(
        uow.session.execute(
            select(
                BenchmarkRun.id,
                BenchmarkRun.benchmark_id,
                BenchmarkRun.status,
                BenchmarkRun.samples_done,
                BenchmarkRun.samples_total,
                BenchmarkRun.created_at,
                BenchmarkRun.started_at,
                ModelTarget.name.label("target"),
            )
            .join(ModelTarget, ModelTarget.id == BenchmarkRun.target_id)
            .where(BenchmarkRun.status.in_([RunStatus.QUEUED.value, RunStatus.RUNNING.value]))
            .order_by(BenchmarkRun.created_at)
        )
    )
    benchmarks = {b.id: b for b in results.list_benchmarks_by_id(uow, {run.benchmark_id for run in rows})}
    visible = [
        run
        for run in rows
        if decide(
            uow,
            principal,
            Permission.COVERAGE_BENCHMARK_MANAGE,
            Sensitivity(benchmarks[run.benchmark_id].classified, str(run.id), "benchmark_run"),
            now,
        ).allowed
    ]
    running = sum(1 for run in visible if run.status == RunStatus.RUNNING.value)
    items = tuple(
        ActiveRun(
            id=run.id,
            benchmark=benchmarks[run.benchmark_id].ref,
            target=run.target,
            status=RunStatus(run.status),
            samples_done=run.samples_done,
            samples_total=run.samples_total,
            created_at=run.created_at,
            started_at=run.started_at,
        )
        for run in visible[:limit]
    )
    return ActiveRuns(running=running, queued=len(visible) - running, items=items, more=max(0, len(visible) - limit))
