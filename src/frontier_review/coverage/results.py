"""Benchmarks known to the platform and the aggregate results that serve as coverage evidence.

The evaluations area seals benchmark items and runs them; here a benchmark is its name,
version and classification, and a result is an aggregate score with its provenance (a run
reference, or a recorded import by program-office staff).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.coverage.orm import Benchmark, BenchmarkResult
from frontier_review.coverage.policy import Sensitivity
from frontier_review.coverage.tags import CoverageTag
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, authorize_visible
from frontier_review.registry import service as registry
from frontier_review.security import service as security

__all__ = [
    "BenchmarkView",
    "ResultView",
    "find_benchmark",
    "get_benchmark",
    "get_benchmark_by_id",
    "list_benchmark_ids",
    "list_benchmarks",
    "list_benchmarks_by_id",
    "list_benchmarks_named",
    "list_reference_results",
    "list_results_for_version",
    "record_result",
    "register_benchmark",
    "seal_legacy_results",
]

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
SCORES_FIELD = "scores_sealed"


@dataclass(frozen=True)
class BenchmarkView:
    """A registered benchmark version: metadata only, never items or scores."""

    id: uuid.UUID
    name: str
    version: str
    title: str
    domain: str
    classified: bool

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class ResultView:
    """A recorded result with its score opened (callers decide who may see it)."""

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


def _bview(b: Benchmark) -> BenchmarkView:
    return BenchmarkView(b.id, b.name, b.version, b.title, b.domain, b.classified)


def register_benchmark(
    uow: UnitOfWork, principal: Principal, *, name: str, version: str, title: str, domain: str, classified: bool
) -> BenchmarkView:
    """Make a benchmark version known (so policies may put thresholds on it)."""
    authorize(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, Sensitivity(classified, f"{name}@{version}", "benchmark"))
    if not NAME.match(name):
        raise ValidationFailed("name: lower-case letters, digits, '.', '_' or '-' (2-80)", field="name")
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$", version):
        raise ValidationFailed("version must be text such as 1 or 2026.1", field="version")
    if uow.session.scalar(select(Benchmark.id).where(Benchmark.name == name, Benchmark.version == version)):
        raise Conflict(f"benchmark {name}@{version} already exists", field="version")
    row = Benchmark(
        id=new_id(),
        name=name,
        version=version,
        title=title.strip() or name,
        domain=domain.strip() or "general",
        classified=classified,
        registered_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        CoverageTag.BENCHMARK_REGISTERED,
        target_type="benchmark",
        target_id=row.id,
        details={"benchmark": f"{name}@{version}", "classified": classified},
    )
    return _bview(row)


def _benchmark_row(uow: UnitOfWork, name: str, version: str) -> Benchmark | None:
    return uow.session.scalar(select(Benchmark).where(Benchmark.name == name, Benchmark.version == version))


# System reads of benchmark metadata, for the evaluations area (which seals items and runs them)
# and for coverage itself. They do not authorize: metadata is visible to every participant, and
# callers authorize what they do with it. Never items or scores.


def find_benchmark(uow: UnitOfWork, name: str, version: str) -> BenchmarkView | None:
    """The benchmark ``name``@``version``, or ``None`` when it is not registered."""
    row = _benchmark_row(uow, name, version)
    return None if row is None else _bview(row)


def get_benchmark(uow: UnitOfWork, name: str, version: str) -> BenchmarkView:
    """The benchmark ``name``@``version``; ``NotFound`` when it is not registered."""
    found = find_benchmark(uow, name, version)
    if found is None:
        raise NotFound(f"unknown benchmark {name}@{version}")
    return found


def get_benchmark_by_id(uow: UnitOfWork, benchmark_id: uuid.UUID) -> BenchmarkView:
    """The benchmark with this id; ``NotFound`` when there is none."""
    row = uow.session.get(Benchmark, benchmark_id)
    if row is None:
        raise NotFound(f"unknown benchmark {benchmark_id}")
    return _bview(row)


def list_benchmarks_by_id(uow: UnitOfWork, ids: Iterable[uuid.UUID]) -> list[BenchmarkView]:
    """The benchmarks among ``ids`` that exist, by name then version."""
    wanted = set(ids)
    if not wanted:
        return []
    stmt = select(Benchmark).where(Benchmark.id.in_(wanted)).order_by(Benchmark.name, Benchmark.version)
    return [_bview(b) for b in uow.session.scalars(stmt)]


def list_benchmarks_named(uow: UnitOfWork, name: str, version: str | None = None) -> list[BenchmarkView]:
    """Every registered version of ``name`` (only ``version`` when given), by version."""
    stmt = select(Benchmark).where(Benchmark.name == name)
    if version:
        stmt = stmt.where(Benchmark.version == version)
    return [_bview(b) for b in uow.session.scalars(stmt.order_by(Benchmark.version))]


def list_benchmark_ids(uow: UnitOfWork, *, classified: bool) -> list[uuid.UUID]:
    """The ids of every classified (or every unclassified) benchmark."""
    return list(uow.session.scalars(select(Benchmark.id).where(Benchmark.classified.is_(classified))))


def list_benchmarks(uow: UnitOfWork, principal: Principal) -> list[BenchmarkView]:
    """Benchmark metadata (never items): visible to every participant."""
    authorize(uow, principal, Permission.COVERAGE_POLICY_READ, None)
    return [_bview(b) for b in uow.session.scalars(select(Benchmark).order_by(Benchmark.name, Benchmark.version))]


def record_result(
    uow: UnitOfWork,
    principal: Principal,
    *,
    benchmark: str,
    benchmark_version: str,
    score: float,
    model_version_id: uuid.UUID | None = None,
    reference_model: str | None = None,
    stderr: float | None = None,
    samples: int | None = None,
    scaffold_version: str = "",
    run_ref: str | None = None,
    note: str = "",
) -> ResultView:
    """Record an aggregate result for a registered version or a named reference model."""
    bench = _benchmark_row(uow, benchmark, benchmark_version)
    if bench is None:
        raise NotFound(f"unknown benchmark {benchmark}@{benchmark_version}")
    authorize(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, Sensitivity(bench.classified, str(bench.id), "benchmark"))
    if (model_version_id is None) == (reference_model is None or not reference_model.strip()):
        raise ValidationFailed("give exactly one of model_version_id or reference_model", field="model_version_id")
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score) or not 0 <= score <= 1:
        raise ValidationFailed("score must be a number between 0 and 1", field="score")
    if stderr is not None and (not math.isfinite(stderr) or stderr < 0):
        raise ValidationFailed("stderr must be a non-negative number", field="stderr")
    if samples is not None and samples < 1:
        raise ValidationFailed("samples must be at least 1", field="samples")
    subject = reference_model.strip() if reference_model else ""
    if model_version_id is not None:
        version = registry.get_version_ref(uow, model_version_id)
        subject = version.display
    row = BenchmarkResult(
        id=new_id(),
        benchmark_id=bench.id,
        model_version_id=model_version_id,
        reference_model=reference_model.strip() if reference_model else None,
        samples=samples,
        scaffold_version=scaffold_version.strip(),
        run_ref=run_ref,
        note=note.strip(),
        recorded_by=principal.label,
        recorded_at=uow.clock.now(),
    )
    if bench.classified:
        # A classified suite's scores are classified: sealed like its items, never in plaintext.
        payload = json.dumps({"score": float(score), "stderr": stderr}).encode()
        row.scores_sealed = security.seal_field(uow, payload, table="benchmark_results", row_id=str(row.id), field=SCORES_FIELD)
    else:
        row.score, row.stderr = float(score), stderr
    uow.session.add(row)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        CoverageTag.RESULT_RECORDED,
        target_type="benchmark_result",
        target_id=row.id,
        details={"benchmark": f"{benchmark}@{benchmark_version}", "subject": subject},
    )
    return _rview(uow, row, bench, subject)


def result_scores(uow: UnitOfWork, row: BenchmarkResult) -> tuple[float, float | None]:
    """A result's score and stderr, opened from the seal for a classified benchmark.

    For the coverage evaluator inside its transaction and for views that the caller has
    authorized (and audited); never for display to anyone else.
    """
    if row.scores_sealed is None:
        assert row.score is not None
        return row.score, row.stderr
    raw = json.loads(
        security.open_field(
            uow.session, uow.keyring, row.scores_sealed, table="benchmark_results", row_id=str(row.id), field=SCORES_FIELD
        )
    )
    return float(raw["score"]), raw["stderr"]


def seal_legacy_results(uow: UnitOfWork) -> list[str]:
    """Seal classified results stored in plaintext by earlier versions; returns their ids.

    The caller authorizes (operator only) and audits.
    """
    done: list[str] = []
    rows = uow.session.execute(
        select(BenchmarkResult)
        .join(Benchmark, Benchmark.id == BenchmarkResult.benchmark_id)
        .where(Benchmark.classified.is_(True), BenchmarkResult.scores_sealed.is_(None))
    )
    for (row,) in rows:
        assert row.score is not None
        payload = json.dumps({"score": row.score, "stderr": row.stderr}).encode()
        row.scores_sealed = security.seal_field(uow, payload, table="benchmark_results", row_id=str(row.id), field=SCORES_FIELD)
        row.score = row.stderr = None
        done.append(str(row.id))
    return done


def _rview(uow: UnitOfWork, row: BenchmarkResult, bench: Benchmark, subject: str) -> ResultView:
    score, stderr = result_scores(uow, row)
    return ResultView(
        id=row.id,
        benchmark=bench.name,
        benchmark_version=bench.version,
        subject=subject,
        model_version_id=row.model_version_id,
        reference_model=row.reference_model,
        score=score,
        stderr=stderr,
        samples=row.samples,
        scaffold_version=row.scaffold_version,
        run_ref=row.run_ref,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
    )


def list_results_for_version(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID) -> list[ResultView]:
    """A version's results, for the program office only (cleared staff for classified benchmarks).

    Developers never see scores, even their own on an unclassified suite: a score read next to a
    classified policy's outcome would reveal where its threshold lies.
    """
    version = registry.get_version_ref(uow, version_id)
    from frontier_review.coverage.policy import VersionOwner
    from frontier_review.policies import decide

    owner = VersionOwner(version.organization_id, str(version.id))
    authorize_visible(uow, principal, Permission.COVERAGE_READ, owner, not_found=registry.version_missing(version_id))
    out = []
    rows = uow.session.execute(
        select(BenchmarkResult, Benchmark)
        .join(Benchmark, Benchmark.id == BenchmarkResult.benchmark_id)
        .where(BenchmarkResult.model_version_id == version.id)
        .order_by(BenchmarkResult.recorded_at.desc())
    )
    opened: list[str] = []
    for row, bench in rows:
        if decide(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, Sensitivity(bench.classified), uow.clock.now()).allowed:
            out.append(_rview(uow, row, bench, version.display))
            if row.scores_sealed is not None:
                opened.append(str(row.id))
    if opened:
        # Every read of a classified score is audited, by result id (never the value).
        audit.record(
            uow,
            principal,
            CoverageTag.RESULT_CLASSIFIED_VIEWED,
            target_type="model_version",
            target_id=version.id,
            details={"results": opened},
        )
    return out


def list_reference_results(
    uow: UnitOfWork, principal: Principal, *, benchmark_id: uuid.UUID, scaffold_version: str
) -> list[ResultView]:
    """Each reference model's newest result on a benchmark version with one scaffold, by reference name.

    For the program office (cleared staff for a classified benchmark), to compare a run with
    like-for-like references; every classified score opened is audited by result id (never the value).
    """
    bench = uow.session.get(Benchmark, benchmark_id)
    if bench is None:
        raise NotFound(f"unknown benchmark {benchmark_id}")
    authorize(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, Sensitivity(bench.classified, str(bench.id), "benchmark"))
    stmt = (
        select(BenchmarkResult)
        .where(BenchmarkResult.benchmark_id == bench.id, BenchmarkResult.reference_model.is_not(None))
        .where(BenchmarkResult.scaffold_version == scaffold_version)
        .order_by(BenchmarkResult.recorded_at)
    )
    newest = {row.reference_model: row for row in uow.session.scalars(stmt)}  # by time: the last one wins
    opened = [str(row.id) for row in newest.values() if row.scores_sealed is not None]
    if opened:
        audit.record(
            uow,
            principal,
            CoverageTag.RESULT_CLASSIFIED_VIEWED,
            target_type="benchmark",
            target_id=bench.id,
            details={"results": sorted(opened)},
        )
    return [_rview(uow, newest[name], bench, name) for name in sorted(n for n in newest if n)]
