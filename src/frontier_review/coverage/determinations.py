"""Determinations: a version's coverage outcome under a policy version.

Evaluate a version under a policy version, store the decision immutably with its evidence,
re-check it (C1), show it to each viewer at the right level of detail (C2), and reassess every
version under a new policy version.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.coverage import policies, results
from frontier_review.coverage.criteria import Evaluation, Evidence, Outcome, Policy, Score, Status, evaluate, redact_trace
from frontier_review.coverage.orm import Benchmark, BenchmarkResult, Determination, PublishedPolicy
from frontier_review.coverage.policy import Sensitivity, VersionOwner
from frontier_review.coverage.tags import CoverageTag
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, authorize_visible, decide
from frontier_review.registry import service as registry
from frontier_review.security import service as security

__all__ = [
    "Change",
    "DeterminationView",
    "Recheck",
    "current_evidence",
    "get_determination",
    "inputs_digest",
    "list_determinations_for_version",
    "met_criteria",
    "pinned_evidence",
    "reassess",
    "recheck",
    "record_determination",
    "trace_as_seen",
]

TRACE_FIELD = "trace_sealed"


@dataclass(frozen=True)
class DeterminationView:
    """A determination as one viewer may see it; ``trace`` is None when its details are classified for them."""

    id: uuid.UUID
    model_version_id: uuid.UUID
    version_display: str
    organization_id: uuid.UUID
    policy_ref: str
    policy_title: str
    classified: bool
    outcome: Outcome
    met_criteria: tuple[str, ...]
    criterion_names: tuple[str, ...]
    trace: dict[str, Any] | None
    evidence: dict[str, Any] | None
    rationale: str
    decided_by: str
    decided_at: datetime
    supersedes_id: uuid.UUID | None
    superseded: bool
    inquiry_id: uuid.UUID | None


def _latest_results(
    uow: UnitOfWork,
    *,
    version_id: uuid.UUID | None,
    reference: str | None,
    wanted: set[tuple[str, str]],
    scaffold: str | None = None,
) -> dict[tuple[str, str], BenchmarkResult]:
    """The newest result per (benchmark, version) for a version or a reference model.

    Only results run with ``scaffold`` count, when it is given.
    """
    if not wanted:
        return {}
    stmt = select(BenchmarkResult, Benchmark).join(Benchmark, Benchmark.id == BenchmarkResult.benchmark_id)
    if scaffold is not None:
        stmt = stmt.where(BenchmarkResult.scaffold_version == scaffold)
    stmt = (
        stmt.where(BenchmarkResult.model_version_id == version_id)
        if version_id
        else stmt.where(BenchmarkResult.reference_model == reference)
    )
    found: dict[tuple[str, str], BenchmarkResult] = {}
    for row, bench in uow.session.execute(stmt.order_by(BenchmarkResult.recorded_at)):
        key = (bench.name, bench.version)
        if key in wanted:
            found[key] = row  # ordered by time: the last one wins
    return found


def _score(uow: UnitOfWork, row: BenchmarkResult, bench: tuple[str, str]) -> Score:
    # A classified score is opened here, inside the evaluating transaction, and goes no further
    # than the evaluation and its trace (sealed, or redacted for anyone but cleared staff).
    score, stderr = results.result_scores(uow, row)
    return Score(benchmark=bench[0], benchmark_version=bench[1], score=score, result_id=str(row.id), stderr=stderr)


def current_evidence(uow: UnitOfWork, version_id: uuid.UUID, policy: Policy) -> tuple[Evidence, dict[str, Any]]:
    """Evidence as it stands now, and the ids that pin it down for a later re-check."""
    facts = registry.list_current_facts(uow, version_id)
    wanted = policy.benchmarks()
    own = _latest_results(uow, version_id=version_id, reference=None, wanted=wanted)
    references: dict[tuple[str, str, str], BenchmarkResult] = {}
    for criterion in policy.criteria():
        ref = getattr(criterion, "reference_model", None)
        if ref:
            key = (criterion.benchmark, criterion.benchmark_version)  # type: ignore[union-attr]
            if key not in own:
                continue
            # A relative criterion compares like with like: the reference's result must come from
            # the same scaffold (solver, scorer, prompt) as the version's, or it stays unknown.
            scaffold = own[key].scaffold_version
            hit = _latest_results(uow, version_id=None, reference=ref, wanted={key}, scaffold=scaffold).get(key)
            if hit is not None:
                references[(ref, *key)] = hit
    evidence = Evidence(
        facts={f.name: f.value for f in facts},
        fact_ids={f.name: str(f.id) for f in facts},
        scores={k: _score(uow, v, k) for k, v in own.items()},
        reference_scores={k: _score(uow, v, (k[1], k[2])) for k, v in references.items()},
    )
    pinned = {
        "facts": {f.name: str(f.id) for f in facts},
        "results": {f"{k[0]}@{k[1]}": str(v.id) for k, v in own.items()},
        "reference_results": {f"{k[0]}|{k[1]}@{k[2]}": str(v.id) for k, v in references.items()},
    }
    return evidence, pinned


def pinned_evidence(uow: UnitOfWork, pinned: dict[str, Any]) -> Evidence:
    """Rebuild exactly the evidence a determination used, from the ids it stored."""
    facts: dict[str, Any] = {}
    fact_ids: dict[str, str] = {}
    for name, decl_id in pinned.get("facts", {}).items():
        decl = registry.find_fact(uow, uuid.UUID(decl_id))
        if decl is not None:
            facts[name], fact_ids[name] = decl.value, decl_id
    scores: dict[tuple[str, str], Score] = {}
    for key, result_id in pinned.get("results", {}).items():
        row = uow.session.get(BenchmarkResult, uuid.UUID(result_id))
        name, _, version = key.rpartition("@")
        if row is not None:
            scores[(name, version)] = _score(uow, row, (name, version))
    references: dict[tuple[str, str, str], Score] = {}
    for key, result_id in pinned.get("reference_results", {}).items():
        row = uow.session.get(BenchmarkResult, uuid.UUID(result_id))
        ref, _, bench = key.partition("|")
        name, _, version = bench.rpartition("@")
        if row is not None:
            references[(ref, name, version)] = _score(uow, row, (name, version))
    return Evidence(facts=facts, fact_ids=fact_ids, scores=scores, reference_scores=references)


def met_criteria(evaluation: Evaluation) -> list[str]:
    """The names of the fact and benchmark criteria an evaluation found met, in the policy's order."""
    names: list[str] = []

    def walk(node: Any) -> None:
        if node.kind in ("fact", "benchmark") and node.status is Status.MET:
            names.append(node.name)
        for child in node.children:
            walk(child)

    walk(evaluation.trace)
    return names


def _short(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def inputs_digest(uow: UnitOfWork, row: PublishedPolicy, pinned: dict[str, Any]) -> str:
    """A digest of everything a decision under ``row`` depends on, in three parts.

    The policy version (and the newest version of that policy, so that a newer one published in
    between is noticed), the facts read, and the benchmark results read (the version's and the
    reference models'). Two evaluations with the same digest give the same outcome and trace. The
    parts are joined with ``-`` so that :func:`frontier_review.coverage.previews.changed_inputs`
    can say which one changed. Ids only: nothing classified goes into it.
    """
    latest = policies.get_policy_row(uow, row.identifier)
    return "-".join(
        (
            _short([str(row.id), str(latest.id)]),
            _short(pinned.get("facts", {})),
            _short([pinned.get("results", {}), pinned.get("reference_results", {})]),
        )
    )


def trace_as_seen(
    uow: UnitOfWork, principal: Principal, row: PublishedPolicy, trace: Callable[[], dict[str, Any]]
) -> dict[str, Any] | None:
    """A determination's trace (or a preview's) at the detail ``principal`` may see.

    None when the policy's details are classified for them; observed scores and thresholds only
    for cleared program-office staff (and the operator): everyone else reads met / not met /
    unknown per criterion (developers never see scores). ``trace`` is called only when some of it
    is shown, so a sealed trace is opened only then.
    """
    now = uow.clock.now()
    if not decide(uow, principal, Permission.COVERAGE_THRESHOLDS_READ, Sensitivity(row.classified, str(row.id)), now).allowed:
        return None
    cleared = decide(uow, principal, Permission.COVERAGE_THRESHOLDS_READ, Sensitivity(True, str(row.id)), now).allowed
    return trace() if cleared else redact_trace(trace())


def _trace(uow: UnitOfWork, row: Determination) -> dict[str, Any]:
    if row.trace is not None:
        return row.trace
    assert row.trace_sealed is not None
    raw = security.open_field(
        uow.session, uow.keyring, row.trace_sealed, table="determinations", row_id=str(row.id), field=TRACE_FIELD
    )
    trace: dict[str, Any] = json.loads(raw)
    return trace


def _latest_determination(uow: UnitOfWork, version_id: uuid.UUID, policy_id: uuid.UUID) -> Determination | None:
    return uow.session.scalars(
        select(Determination)
        .where(Determination.model_version_id == version_id, Determination.policy_id == policy_id)
        .order_by(Determination.decided_at.desc())
        .limit(1)
    ).first()


def record_determination(
    uow: UnitOfWork,
    principal: Principal,
    version_id: uuid.UUID,
    *,
    policy_ref: str,
    rationale: str = "",
    inquiry_id: uuid.UUID | None = None,
    expected_inputs: str | None = None,
) -> DeterminationView:
    """Evaluate on current evidence and store the decision (superseding the previous one).

    Args:
        uow: The unit of work.
        principal: Who decides (program office; cleared for a classified policy).
        version_id: The model version decided on.
        policy_ref: ``identifier@version`` (a bare identifier means its latest version).
        rationale: Why, in the decider's words; stored, shown with the determination, audited.
        inquiry_id: The inquiry this answers, if any.
        expected_inputs: The :func:`inputs_digest` of the preview the decider confirmed; when
            given, the decision is recorded only on exactly those inputs.

    Raises:
        Conflict: ``expected_inputs`` was given and the inputs changed since (field ``inputs``).
    """
    version = registry.get_version_ref(uow, version_id)
    row = policies.get_policy_row(uow, policy_ref)
    authorize(uow, principal, Permission.COVERAGE_DETERMINE, Sensitivity(row.classified, str(row.id)))
    if len(rationale) > 10_000:
        raise ValidationFailed("rationale must have at most 10000 characters", field="rationale")
    policy = policies.load_policy(uow, row)
    evidence, pinned = current_evidence(uow, version.id, policy)
    if expected_inputs is not None and expected_inputs != inputs_digest(uow, row, pinned):
        raise Conflict("what this decision depends on changed since the preview; preview it again", field="inputs")
    evaluation = evaluate(policy, evidence)
    previous = _latest_determination(uow, version.id, row.id)
    det = Determination(
        id=new_id(),
        model_version_id=version.id,
        policy_id=row.id,
        outcome=evaluation.outcome.value,
        met_criteria=met_criteria(evaluation),
        evidence=pinned,
        rationale=rationale.strip(),
        inquiry_id=inquiry_id,
        supersedes_id=previous.id if previous else None,
        decided_by=principal.label,
        decided_at=uow.clock.now(),
    )
    trace = evaluation.trace.to_json()
    # A trace that holds a classified score is sealed, whatever the policy's own marking (a
    # policy published before mixed policies were refused may read a classified benchmark).
    if row.classified or policies.classified_benchmarks(uow, policy):
        det.trace_sealed = security.seal_field(
            uow, json.dumps(trace).encode(), table="determinations", row_id=str(det.id), field=TRACE_FIELD
        )
    else:
        det.trace = trace
    uow.session.add(det)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        CoverageTag.DETERMINATION_RECORDED,
        target_type="determination",
        target_id=det.id,
        details={
            "version": str(version.id),
            "policy": f"{row.identifier}@{row.version}",
            "outcome": det.outcome,
            "evidence": evaluation.evidence_ids(),
            # The decider's own words, shown to the developer; thresholds and scores never go here.
            "rationale": det.rationale,
        },
    )
    return _view(uow, principal, det, row, version)


def _view(
    uow: UnitOfWork, principal: Principal, det: Determination, row: PublishedPolicy, version: registry.VersionRef
) -> DeterminationView:
    trace = trace_as_seen(uow, principal, row, lambda: _trace(uow, det))
    superseded = uow.session.scalar(select(Determination.id).where(Determination.supersedes_id == det.id)) is not None
    return DeterminationView(
        id=det.id,
        model_version_id=version.id,
        version_display=version.display,
        organization_id=version.organization_id,
        policy_ref=f"{row.identifier}@{row.version}",
        policy_title=row.title,
        classified=row.classified,
        outcome=Outcome(det.outcome),
        met_criteria=tuple(det.met_criteria),
        criterion_names=tuple(row.criterion_names),
        trace=trace,
        evidence=det.evidence if trace is not None else None,
        rationale=det.rationale,
        decided_by=det.decided_by,
        decided_at=det.decided_at,
        supersedes_id=det.supersedes_id,
        superseded=superseded,
        inquiry_id=det.inquiry_id,
    )


def get_determination(uow: UnitOfWork, principal: Principal, determination_id: uuid.UUID) -> DeterminationView:
    """One determination, at the detail the viewer may see (classified traces are audited when shown)."""
    det = uow.session.get(Determination, determination_id)
    if det is None:
        raise NotFound(f"determination {determination_id} not found")
    version = registry.get_version_ref(uow, det.model_version_id)
    authorize_visible(
        uow,
        principal,
        Permission.COVERAGE_READ,
        VersionOwner(version.organization_id, str(det.id), "determination"),
        not_found=f"determination {determination_id} not found",
    )
    row = uow.session.get(PublishedPolicy, det.policy_id)
    assert row is not None
    view = _view(uow, principal, det, row, version)
    if (row.classified or det.trace_sealed is not None) and view.trace is not None and _cleared(uow, principal):
        audit.record(uow, principal, CoverageTag.DETERMINATION_CLASSIFIED_VIEWED, target_type="determination", target_id=det.id)
    return view


def _cleared(uow: UnitOfWork, principal: Principal) -> bool:
    return decide(uow, principal, Permission.COVERAGE_THRESHOLDS_READ, Sensitivity(True), uow.clock.now()).allowed


def list_determinations_for_version(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID) -> list[DeterminationView]:
    """Every determination of a version, newest first."""
    version = registry.get_version_ref(uow, version_id)
    owner = VersionOwner(version.organization_id, str(version.id))
    authorize_visible(uow, principal, Permission.COVERAGE_READ, owner, not_found=registry.version_missing(version_id))
    out = []
    for det in uow.session.scalars(
        select(Determination).where(Determination.model_version_id == version.id).order_by(Determination.decided_at.desc())
    ):
        row = uow.session.get(PublishedPolicy, det.policy_id)
        assert row is not None
        view = _view(uow, principal, det, row, version)
        if (row.classified or det.trace_sealed is not None) and view.trace is not None and _cleared(uow, principal):
            audit.record(
                uow, principal, CoverageTag.DETERMINATION_CLASSIFIED_VIEWED, target_type="determination", target_id=det.id
            )
        out.append(view)
    return out


@dataclass(frozen=True)
class Recheck:
    """C1: the stored outcome, the outcome re-evaluated on the same evidence, and on today's evidence."""

    determination_id: uuid.UUID | None
    stored: Outcome | None
    on_stored_evidence: Outcome | None
    on_current_evidence: Outcome
    trace_matches: bool | None

    @property
    def reproducible(self) -> bool | None:
        if self.stored is None:
            return None
        return self.stored is self.on_stored_evidence and bool(self.trace_matches)


def recheck(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, *, policy_ref: str) -> Recheck:
    """Re-evaluate the latest stored determination on its own evidence, and on current evidence."""
    version = registry.get_version_ref(uow, version_id)
    row = policies.get_policy_row(uow, policy_ref)
    authorize(uow, principal, Permission.COVERAGE_DETERMINE, Sensitivity(row.classified, str(row.id)))
    policy = policies.load_policy(uow, row)
    current, _ = current_evidence(uow, version.id, policy)
    now_outcome = evaluate(policy, current).outcome
    stored = _latest_determination(uow, version.id, row.id)
    if stored is None:
        return Recheck(None, None, None, now_outcome, None)
    again = evaluate(policy, pinned_evidence(uow, stored.evidence))
    return Recheck(stored.id, Outcome(stored.outcome), again.outcome, now_outcome, again.trace.to_json() == _trace(uow, stored))


@dataclass(frozen=True)
class Change:
    """A version whose outcome differs between two policy versions."""

    version_id: uuid.UUID
    version_display: str
    organization_name: str
    before: Outcome | None
    after: Outcome


def reassess(
    uow: UnitOfWork, principal: Principal, *, policy_ref: str, against: str | None = None
) -> tuple[str | None, list[Change]]:
    """Every registered version whose outcome changes under ``policy_ref``.

    Compared with the policy's previous version (or ``against``), both evaluated on today's
    evidence. Returns (the compared version, changes).
    """
    authorize(uow, principal, Permission.COVERAGE_REASSESS, None)
    new_row = policies.get_policy_row(uow, policy_ref)
    old_row = policies.get_policy_row(uow, against) if against else policies.previous_version(uow, new_row)
    for r in (new_row, old_row):
        if r is not None:
            authorize(uow, principal, Permission.COVERAGE_DETERMINE, Sensitivity(r.classified, str(r.id)))
    new_policy = policies.load_policy(uow, new_row)
    old_policy = policies.load_policy(uow, old_row) if old_row else None
    changes: list[Change] = []
    versions = registry.list_version_refs(uow)
    names = directory.organization_names(uow, {v.organization_id for v in versions})
    for version in versions:
        after = evaluate(new_policy, current_evidence(uow, version.id, new_policy)[0]).outcome
        before = evaluate(old_policy, current_evidence(uow, version.id, old_policy)[0]).outcome if old_policy else None
        if after is not before:
            changes.append(Change(version.id, version.display, names.get(version.organization_id, "?"), before, after))
    audit.record(
        uow,
        principal,
        CoverageTag.POLICY_REASSESSED,
        target_type="coverage_policy",
        target_id=new_row.id,
        details={
            "policy": f"{new_row.identifier}@{new_row.version}",
            "against": f"{old_row.identifier}@{old_row.version}" if old_row else None,
            "changes": len(changes),
        },
    )
    return (f"{old_row.identifier}@{old_row.version}" if old_row else None), changes
