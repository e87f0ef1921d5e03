"""Coverage policies and their evaluation (pure).

A policy is a tree: ``any``/``all`` groups over criteria. A criterion compares a declared
fact with a value, or a benchmark score with an absolute threshold or with a reference
model's score on the same benchmark version. Evaluation uses three-valued (Kleene) logic: a
missing input makes its criterion ``unknown``, never ``not_met``; ``any`` is met when one
child is met and not met only when all are not met; ``all`` the other way round. Since no
criterion is negated, the root is ``unknown`` exactly when the missing inputs could change
the outcome, which is when the outcome is ``insufficient_evidence``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from frontier_review.registry.facts import CATALOGUE, FactKind

__all__ = [
    "ORDERING",
    "BenchmarkCriterion",
    "Evaluation",
    "Evidence",
    "FactCriterion",
    "Group",
    "Node",
    "Op",
    "Outcome",
    "Policy",
    "Result",
    "Score",
    "Status",
    "evaluate",
    "node_to_json",
    "redact_trace",
]


class Op(StrEnum):
    """Comparison operators."""

    GE = ">="
    GT = ">"
    LE = "<="
    LT = "<"
    EQ = "=="
    IN = "in"


ORDERING = frozenset({Op.GE, Op.GT, Op.LE, Op.LT})


class Status(StrEnum):
    """A criterion's result."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


class Outcome(StrEnum):
    """A determination's outcome."""

    COVERED = "covered"
    NOT_COVERED = "not_covered"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"


@dataclass(frozen=True)
class FactCriterion:
    """``fact op value``."""

    key: str
    name: str
    fact: str
    op: Op
    value: Any

    def describe(self) -> str:
        return f"{self.fact} {self.op} {_show(self.value)}"


@dataclass(frozen=True)
class BenchmarkCriterion:
    """``score(benchmark@version) op threshold`` or ``op score of reference_model``."""

    key: str
    name: str
    benchmark: str
    benchmark_version: str
    op: Op
    score: float | None = None
    reference_model: str | None = None

    def describe(self) -> str:
        target = _show(self.score) if self.reference_model is None else f"the score of {self.reference_model}"
        return f"score on {self.benchmark}@{self.benchmark_version} {self.op} {target}"


@dataclass(frozen=True)
class Group:
    """``any`` or ``all`` of its items."""

    key: str
    name: str
    mode: Literal["any", "all"]
    items: tuple[Node, ...]

    def describe(self) -> str:
        return f"{self.mode} of {len(self.items)}"


Node = FactCriterion | BenchmarkCriterion | Group


@dataclass(frozen=True)
class Policy:
    """A parsed, validated policy version."""

    identifier: str
    version: str
    title: str
    effective_from: datetime
    classified: bool
    description: str
    root: Node

    def criteria(self) -> list[FactCriterion | BenchmarkCriterion]:
        """Every leaf criterion, in document order."""
        out: list[FactCriterion | BenchmarkCriterion] = []

        def walk(node: Node) -> None:
            if isinstance(node, Group):
                for item in node.items:
                    walk(item)
            else:
                out.append(node)

        walk(self.root)
        return out

    def benchmarks(self) -> set[tuple[str, str]]:
        """The (benchmark, version) pairs the policy reads."""
        return {(c.benchmark, c.benchmark_version) for c in self.criteria() if isinstance(c, BenchmarkCriterion)}

    def content(self) -> dict[str, Any]:
        """Canonical content: two files with the same content publish the same policy."""
        return {
            "identifier": self.identifier,
            "version": self.version,
            "title": self.title,
            "effective_from": self.effective_from.isoformat(),
            "classified": self.classified,
            "description": self.description,
            "criteria": node_to_json(self.root),
        }

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.content(), sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    @property
    def ref(self) -> str:
        return f"{self.identifier}@{self.version}"

    def classified_benchmarks(self, is_classified: Callable[[str, str], bool]) -> list[str]:
        """The ``name@version`` of every benchmark the policy reads that ``is_classified``."""
        return sorted(f"{name}@{version}" for name, version in self.benchmarks() if is_classified(name, version))


def node_to_json(node: Node) -> dict[str, Any]:
    """A node as JSON (stored with the policy, and diffed)."""
    if isinstance(node, Group):
        return {"key": node.key, "name": node.name, node.mode: [node_to_json(i) for i in node.items]}
    if isinstance(node, FactCriterion):
        return {"key": node.key, "name": node.name, "fact": node.fact, "op": str(node.op), "value": node.value}
    out: dict[str, Any] = {
        "key": node.key,
        "name": node.name,
        "benchmark": node.benchmark,
        "benchmark_version": node.benchmark_version,
        "op": str(node.op),
    }
    if node.reference_model is not None:
        out["reference_model"] = node.reference_model
    else:
        out["score"] = node.score
    return out


@dataclass(frozen=True)
class Score:
    """A benchmark result used as evidence."""

    benchmark: str
    benchmark_version: str
    score: float
    result_id: str
    stderr: float | None = None


@dataclass(frozen=True)
class Evidence:
    """Everything an evaluation may read.

    Attributes:
        facts: the version's declared facts, normalised (see registry.facts).
        fact_ids: the declaration id behind each fact, cited in the trace.
        scores: the version's benchmark results by (benchmark, version).
        reference_scores: reference models' results by (reference, benchmark, version).
    """

    facts: Mapping[str, Any] = field(default_factory=dict)
    fact_ids: Mapping[str, str] = field(default_factory=dict)
    scores: Mapping[tuple[str, str], Score] = field(default_factory=dict)
    reference_scores: Mapping[tuple[str, str, str], Score] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """One node's result in the trace, with the values it used."""

    key: str
    name: str
    kind: Literal["fact", "benchmark", "any", "all"]
    status: Status
    expected: str
    observed: Any = None
    evidence: tuple[str, ...] = ()
    children: tuple[Result, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "kind": self.kind,
            "status": str(self.status),
            "expected": self.expected,
            "observed": self.observed,
            "evidence": list(self.evidence),
            "children": [c.to_json() for c in self.children],
        }


@dataclass(frozen=True)
class Evaluation:
    """An outcome and the trace that explains it."""

    outcome: Outcome
    trace: Result

    def evidence_ids(self) -> list[str]:
        found: list[str] = []

        def walk(r: Result) -> None:
            found.extend(e for e in r.evidence if e not in found)
            for c in r.children:
                walk(c)

        walk(self.trace)
        return found


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, str | bool) else str(value)


_ORDERED = {
    Op.GE: lambda a, b: a >= b,
    Op.GT: lambda a, b: a > b,
    Op.LE: lambda a, b: a <= b,
    Op.LT: lambda a, b: a < b,
    Op.EQ: lambda a, b: a == b,
}


def _compare(op: Op, observed: Any, expected: Any) -> bool:
    if op is Op.IN:
        # A set fact meets "in" when any member is listed; a scalar when it is listed.
        if isinstance(observed, list):
            return any(member in expected for member in observed)
        return bool(observed in expected)
    return bool(_ORDERED[op](observed, expected))


def _fact_value(fact: str, raw: Any) -> Any:
    spec = CATALOGUE[fact]
    if spec.kind is FactKind.INSTANT and isinstance(raw, str):
        return datetime.fromisoformat(raw)
    return raw


def _leaf(node: FactCriterion | BenchmarkCriterion, evidence: Evidence) -> Result:
    if isinstance(node, FactCriterion):
        if node.fact not in evidence.facts:
            return Result(node.key, node.name, "fact", Status.UNKNOWN, node.describe())
        declared = evidence.facts[node.fact]
        expected = _fact_value(node.fact, node.value) if not isinstance(node.value, list) else node.value
        met = _compare(node.op, _fact_value(node.fact, declared), expected)
        cited = (evidence.fact_ids[node.fact],) if node.fact in evidence.fact_ids else ()
        return Result(node.key, node.name, "fact", Status.MET if met else Status.NOT_MET, node.describe(), declared, cited)
    own = evidence.scores.get((node.benchmark, node.benchmark_version))
    if own is None:
        return Result(node.key, node.name, "benchmark", Status.UNKNOWN, node.describe())
    ids: tuple[str, ...]
    observed: Any
    if node.reference_model is None:
        threshold = node.score
        ids = (own.result_id,)
        observed = own.score
    else:
        ref = evidence.reference_scores.get((node.reference_model, node.benchmark, node.benchmark_version))
        if ref is None:
            return Result(node.key, node.name, "benchmark", Status.UNKNOWN, node.describe(), own.score, (own.result_id,))
        threshold = ref.score
        ids = (own.result_id, ref.result_id)
        observed = {"score": own.score, "reference_score": ref.score}
    met = _compare(node.op, own.score, threshold)
    return Result(node.key, node.name, "benchmark", Status.MET if met else Status.NOT_MET, node.describe(), observed, ids)


def _combine(mode: Literal["any", "all"], statuses: list[Status]) -> Status:
    decisive, other = (Status.MET, Status.NOT_MET) if mode == "any" else (Status.NOT_MET, Status.MET)
    if decisive in statuses:
        return decisive
    if statuses and all(s is other for s in statuses):
        return other
    return Status.UNKNOWN if statuses else other


def _evaluate(node: Node, evidence: Evidence) -> Result:
    if isinstance(node, Group):
        children = tuple(_evaluate(item, evidence) for item in node.items)
        status = _combine(node.mode, [c.status for c in children])
        return Result(node.key, node.name, node.mode, status, node.describe(), children=children)
    return _leaf(node, evidence)


WITHHELD = "score threshold withheld"


def redact_trace(trace: Mapping[str, Any]) -> dict[str, Any]:
    """A stored trace as shown to anyone but cleared program-office staff.

    Each benchmark criterion keeps its name and its status (met, not met, unknown), never the
    observed score or the threshold it was compared with (item 2 of the confidentiality review).

    Args:
        trace: a trace as stored (``Result.to_json``).

    Returns:
        A copy with every benchmark criterion's ``observed`` emptied and ``expected`` withheld.
    """
    out = dict(trace)
    if out.get("kind") == "benchmark":
        out["observed"] = None
        out["expected"] = WITHHELD
    out["children"] = [redact_trace(child) for child in trace.get("children", [])]
    return out


def evaluate(policy: Policy, evidence: Evidence) -> Evaluation:
    """Evaluate ``policy`` on ``evidence``: deterministic, no I/O."""
    trace = _evaluate(policy.root, evidence)
    outcome = {
        Status.MET: Outcome.COVERED,
        Status.NOT_MET: Outcome.NOT_COVERED,
        Status.UNKNOWN: Outcome.INSUFFICIENT_EVIDENCE,
    }[trace.status]
    return Evaluation(outcome=outcome, trace=trace)
