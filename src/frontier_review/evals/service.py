"""Sealing benchmark packages and reading them back (items only for cleared staff, audited)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.coverage import results
from frontier_review.coverage.policy import Sensitivity
from frontier_review.db.uow import UnitOfWork
from frontier_review.evals.orm import SealedSuite
from frontier_review.evals.package import Package, Sample
from frontier_review.evals.tags import EvalsTag
from frontier_review.kernel.errors import Conflict, NotFound
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize
from frontier_review.security import service as security

__all__ = ["SuiteView", "list_suites", "read_items", "seal_package"]

FIELD = "samples_sealed"


@dataclass(frozen=True)
class SuiteView:
    """Metadata of a sealed suite: never its items."""

    benchmark_id: uuid.UUID
    name: str
    version: str
    title: str
    domain: str
    classified: bool
    sample_count: int
    solver: str
    scorer: str
    sealed_by: str
    sealed_at: datetime

    @property
    def ref(self) -> str:
        return f"{self.name}@{self.version}"


def suite_view(bench: results.BenchmarkView, suite: SealedSuite) -> SuiteView:
    """A sealed suite's metadata as views show it."""
    return SuiteView(
        benchmark_id=bench.id,
        name=bench.name,
        version=bench.version,
        title=bench.title,
        domain=bench.domain,
        classified=bench.classified,
        sample_count=suite.sample_count,
        solver=str(suite.manifest.get("solver")),
        scorer=str(suite.manifest.get("scorer")),
        sealed_by=suite.sealed_by,
        sealed_at=suite.sealed_at,
    )


def _canonical(samples: tuple[Sample, ...] | list[Sample]) -> bytes:
    return json.dumps([s.to_json() for s in samples], sort_keys=True, separators=(",", ":")).encode()


def _open(uow: UnitOfWork, suite: SealedSuite) -> list[Sample]:
    raw = security.open_field(
        uow.session, uow.keyring, suite.samples_sealed, table="sealed_suites", row_id=str(suite.id), field=FIELD
    )
    return [
        Sample(id=s["id"], input=s["input"], target=s["target"], choices=tuple(s.get("choices", ())), metadata=s.get("metadata"))
        for s in json.loads(raw)
    ]


def seal_package(uow: UnitOfWork, principal: Principal, package: Package) -> tuple[SuiteView, bool]:
    """Seal a validated package.

    Sealing the same samples again is a no-op; different samples under a sealed name@version are
    a Conflict (publish a new version instead).
    """
    m = package.manifest
    authorize(uow, principal, Permission.COVERAGE_BENCHMARK_MANAGE, Sensitivity(m.classified, package.ref, "benchmark"))
    bench = results.find_benchmark(uow, m.name, m.version)
    if bench is None:
        bench = results.register_benchmark(
            uow, principal, name=m.name, version=m.version, title=m.title, domain=m.domain, classified=m.classified
        )
    elif bench.classified != m.classified:
        raise Conflict(
            f"{package.ref} is registered as {'classified' if bench.classified else 'unclassified'}", field="classification"
        )
    existing = uow.session.scalar(select(SealedSuite).where(SealedSuite.benchmark_id == bench.id))
    if existing is not None:
        if _canonical(_open(uow, existing)) == _canonical(package.samples) and existing.manifest == m.to_json():
            return suite_view(bench, existing), False
        raise Conflict(f"{package.ref} is already sealed with different content; seal a new version", field="version")
    suite = SealedSuite(
        id=new_id(),
        benchmark_id=bench.id,
        manifest=m.to_json(),
        sample_count=len(package.samples),
        samples_sealed=b"",
        sealed_by=principal.label,
        sealed_at=uow.clock.now(),
    )
    suite.samples_sealed = security.seal_field(
        uow, _canonical(package.samples), table="sealed_suites", row_id=str(suite.id), field=FIELD
    )
    uow.session.add(suite)
    uow.session.flush()
    # Counts only: item text never enters the audit log (E1).
    audit.record(
        uow,
        principal,
        EvalsTag.BENCHMARK_SEALED,
        target_type="benchmark",
        target_id=bench.id,
        details={"benchmark": package.ref, "samples": len(package.samples), "classified": m.classified},
    )
    return suite_view(bench, suite), True


def _find(uow: UnitOfWork, ref: str) -> tuple[results.BenchmarkView, SealedSuite]:
    """The suite sealed for ``ref`` (``name@version``, or ``name`` for its most recently sealed version)."""
    name, _, version = ref.partition("@")
    benches = {b.id: b for b in results.list_benchmarks_named(uow, name, version or None)}
    suite = (
        uow.session.scalars(
            select(SealedSuite).where(SealedSuite.benchmark_id.in_(benches)).order_by(SealedSuite.sealed_at.desc()).limit(1)
        ).first()
        if benches
        else None
    )
    if suite is None:
        raise NotFound(f"no sealed benchmark {ref}")
    return benches[suite.benchmark_id], suite


def list_suites(uow: UnitOfWork, principal: Principal) -> list[SuiteView]:
    """Sealed suites' metadata (every participant may see that a suite exists and its size)."""
    authorize(uow, principal, Permission.COVERAGE_POLICY_READ, None)
    suites = {suite.benchmark_id: suite for suite in uow.session.scalars(select(SealedSuite))}
    # One suite per benchmark (unique benchmark_id); coverage orders them by name, then version.
    return [suite_view(bench, suites[bench.id]) for bench in results.list_benchmarks_by_id(uow, suites)]


def read_items(uow: UnitOfWork, principal: Principal, ref: str) -> tuple[SuiteView, list[Sample]]:
    """The items of a suite, for cleared program-office staff only; every read is audited (E1)."""
    bench, suite = _find(uow, ref)
    authorize(uow, principal, Permission.EVALS_ITEMS_READ, Sensitivity(bench.classified, str(bench.id), "benchmark"))
    samples = _open(uow, suite)
    audit.record(
        uow,
        principal,
        EvalsTag.BENCHMARK_ITEMS_VIEWED,
        target_type="benchmark",
        target_id=bench.id,
        details={"benchmark": f"{bench.name}@{bench.version}"},
    )
    return suite_view(bench, suite), samples
