"""Evals' lists for tables and its names for audit targets, for one reader.

:func:`page_suites` and :func:`page_runs` sort, filter and page in their queries; a run of a
classified suite is left out of the query itself for a reader not cleared to see its scores, so a
page is never short and the count never includes it. :func:`name_runs` answers the audit
browser's question (``audit.targets``) with the same rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import select

from frontier_review.audit.targets import TargetLink, uuid_ids
from frontier_review.coverage import browse as coverage
from frontier_review.coverage import results
from frontier_review.coverage.policy import Sensitivity
from frontier_review.db.listing import SortColumns, by_position, fetch_page, search_any
from frontier_review.db.uow import UnitOfWork
from frontier_review.evals.domain import RunStatus
from frontier_review.evals.orm import BenchmarkRun, ModelTarget, SealedSuite
from frontier_review.evals.runs import RunView, run_view
from frontier_review.evals.service import SuiteView, suite_view
from frontier_review.evals.targets import check_manage
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide

__all__ = ["name_runs", "page_runs", "page_suites"]


def _sees_classified_runs(uow: UnitOfWork, principal: Principal) -> bool:
    return decide(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, Sensitivity(True), uow.clock.now()).allowed


def page_suites(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[SuiteView]:
    """A page of the sealed suites' metadata (every participant may see that a suite exists and its size).

    Args:
        uow: The unit of work.
        principal: The reader.
        query: Sort keys ``benchmark`` (default: name, then version), ``samples``, ``sealed``;
            filter ``marking`` (``classified`` or ``unclassified``); the search matches part of
            the benchmark's ``name@version`` or title.

    Returns:
        The page, with the total of the filtered list.
    """
    authorize(uow, principal, Permission.COVERAGE_POLICY_READ, None)
    stmt = select(SealedSuite)
    if query.search:
        stmt = stmt.where(SealedSuite.benchmark_id.in_(coverage.benchmark_ids_matching(uow, query.search)))
    if marking := query.filter("marking"):
        stmt = stmt.where(SealedSuite.benchmark_id.in_(results.list_benchmark_ids(uow, classified=marking == "classified")))
    sorts: SortColumns = {
        # Benchmarks are coverage's: sort by their position in coverage's name order.
        "benchmark": [by_position(SealedSuite.benchmark_id, coverage.benchmark_ids_by_name(uow))],
        "samples": [SealedSuite.sample_count],
        "sealed": [SealedSuite.sealed_at],
    }
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("benchmark"), unique=SealedSuite.id)
    benches = {b.id: b for b in results.list_benchmarks_by_id(uow, [row[0].benchmark_id for row in page.items])}
    return page.map(lambda row: suite_view(benches[row[0].benchmark_id], row[0]))


def page_runs(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[RunView]:
    """A page of the benchmark runs the principal may see (never a sealed score: the run's page opens it).

    Args:
        uow: The unit of work.
        principal: The reader (program-office staff; classified suites' runs only when cleared).
        query: Sort keys ``queued`` (default: newest first), ``status``, ``benchmark``,
            ``target``, ``errors``; filters ``status`` and ``benchmark`` (a benchmark id); the
            search matches part of the target's name.

    Returns:
        The page, with the total of the filtered list.
    """
    check_manage(uow, principal, False, "runs")
    stmt = select(BenchmarkRun).join(ModelTarget, ModelTarget.id == BenchmarkRun.target_id)
    if not _sees_classified_runs(uow, principal):
        stmt = stmt.where(BenchmarkRun.benchmark_id.not_in(results.list_benchmark_ids(uow, classified=True)))
    if query.search:
        stmt = stmt.where(search_any(query.search, ModelTarget.name))
    if status := query.filter("status"):
        stmt = stmt.where(BenchmarkRun.status == status)
    if benchmark := query.filter("benchmark"):
        try:
            stmt = stmt.where(BenchmarkRun.benchmark_id == uuid.UUID(benchmark))
        except ValueError:
            stmt = stmt.where(BenchmarkRun.id.is_(None))
    sorts: SortColumns = {
        "queued": [BenchmarkRun.created_at],
        "status": [by_position(BenchmarkRun.status, [s.value for s in RunStatus]), BenchmarkRun.created_at],
        "benchmark": [by_position(BenchmarkRun.benchmark_id, coverage.benchmark_ids_by_name(uow)), BenchmarkRun.created_at],
        "target": [ModelTarget.name, BenchmarkRun.created_at],
        "errors": [BenchmarkRun.errors],
    }
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("queued", descending=True), unique=BenchmarkRun.id)
    # Lists never open a sealed score: the run's own page does, audited.
    return page.map(lambda row: run_view(uow, row[0], open_scores=False))


def name_runs(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The runs among ``ids`` that ``reader`` may see, as "Run <id> of <benchmark> on <target>"."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    now = uow.clock.now()
    rows = list(
        uow.session.execute(
            select(BenchmarkRun, ModelTarget.name)
            .join(ModelTarget, ModelTarget.id == BenchmarkRun.target_id)
            .where(BenchmarkRun.id.in_(list(wanted)))
        )
    )
    benches = {b.id: b for b in results.list_benchmarks_by_id(uow, {run.benchmark_id for run, _ in rows})}
    out = {}
    for run, target in rows:
        bench = benches[run.benchmark_id]
        sensitivity = Sensitivity(bench.classified, str(run.id), "benchmark_run")
        if decide(uow, reader, Permission.COVERAGE_BENCHMARK_MANAGE, sensitivity, now).allowed:
            out[wanted[run.id]] = TargetLink(f"Run {str(run.id)[:8]} of {bench.ref} on {target}", f"/evals/runs/{run.id}")
    return out
