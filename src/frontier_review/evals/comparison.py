"""A run's score against the reference models' on the same suite version and scaffold.

Shown to cleared program-office staff only, whatever the suite's marking (issue 12): the
comparison is held to the rule for classified scores (``coverage:thresholds:read`` on a
classified resource). Like coverage's relative criteria, it compares like with like: only
reference results recorded with the run's scaffold (solver, scorer, prompt) count.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from frontier_review.coverage import results
from frontier_review.coverage.policy import Sensitivity
from frontier_review.db.uow import UnitOfWork
from frontier_review.evals.domain import RunStatus, combined_stderr, within_noise
from frontier_review.evals.runs import RunView
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide

__all__ = ["Comparison", "ReferencePoint", "compare_run", "may_compare"]


@dataclass(frozen=True)
class ReferencePoint:
    """A reference model's newest result, and how the run's score stands against it."""

    subject: str
    score: float
    stderr: float | None
    samples: int | None
    recorded_at: datetime
    difference: float  # the run's score minus this one
    combined_stderr: float | None  # sqrt(se_run² + se_ref²); None when either is unknown
    within_noise: bool | None  # |difference| <= combined_stderr; None when that is unknown


@dataclass(frozen=True)
class Comparison:
    """A succeeded run's score and stderr next to each reference model's on the same suite and scaffold."""

    run_id: uuid.UUID
    benchmark: str
    subject: str
    score: float
    stderr: float | None
    scaffold_version: str
    references: tuple[ReferencePoint, ...]


def _resource(run_id: uuid.UUID) -> Sensitivity:
    # Held like a classified score whatever the suite's marking: cleared program-office staff only.
    return Sensitivity(True, str(run_id), "benchmark_run")


def may_compare(uow: UnitOfWork, principal: Principal, run_id: uuid.UUID) -> bool:
    """Whether ``principal`` may see run comparisons (for pages choosing what to show)."""
    return decide(uow, principal, Permission.COVERAGE_THRESHOLDS_READ, _resource(run_id), uow.clock.now()).allowed


def compare_run(uow: UnitOfWork, principal: Principal, run: RunView) -> Comparison | None:
    """The run's score against each reference model's newest result; ``None`` for a run without a score.

    ``run`` is the view :func:`frontier_review.evals.runs.get_run` returned to this principal
    (which authorized it and audited the read of a sealed score). The comparison itself is for
    cleared program-office staff only; reading the references' scores is authorized and audited
    by coverage.
    """
    authorize(uow, principal, Permission.COVERAGE_THRESHOLDS_READ, _resource(run.id))
    if run.status is not RunStatus.SUCCEEDED or run.score is None:
        return None
    found = results.list_reference_results(uow, principal, benchmark_id=run.benchmark_id, scaffold_version=run.scaffold_version)
    points = tuple(
        ReferencePoint(
            subject=ref.subject,
            score=ref.score,
            stderr=ref.stderr,
            samples=ref.samples,
            recorded_at=ref.recorded_at,
            difference=run.score - ref.score,
            combined_stderr=combined_stderr(run.stderr, ref.stderr),
            within_noise=within_noise(run.score, run.stderr, ref.score, ref.stderr),
        )
        for ref in found
        if ref.run_ref != str(run.id)  # a run of a reference model is not its own reference
    )
    return Comparison(
        run_id=run.id,
        benchmark=run.benchmark,
        subject=run.subject,
        score=run.score,
        stderr=run.stderr,
        scaffold_version=run.scaffold_version,
        references=points,
    )
