"""The evaluator: determinism, monotonicity of >= thresholds, and unknown propagation (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from frontier_review.coverage.criteria import (
    BenchmarkCriterion,
    Evidence,
    FactCriterion,
    Group,
    Node,
    Op,
    Outcome,
    Policy,
    Score,
    Status,
    evaluate,
    redact_trace,
)

FACTS = ["training_compute_flop", "parameter_count"]
WHEN = datetime(2026, 6, 2, tzinfo=UTC)


def _policy(root: Node) -> Policy:
    return Policy("p", "1", "p", WHEN, False, "", root)


counter = iter(range(10**9))


@st.composite
def ge_trees(draw: st.DrawFn, depth: int = 2) -> Node:
    """Trees of any/all over ">=" fact and benchmark thresholds."""
    if depth == 0 or draw(st.booleans()):
        if draw(st.booleans()):
            # Valid thresholds only: the parser refuses ">= 0", which no evidence could fail.
            return FactCriterion(f"c{next(counter)}", "f", draw(st.sampled_from(FACTS)), Op.GE, draw(st.floats(1e-3, 1e27)))
        return BenchmarkCriterion(f"c{next(counter)}", "b", "bench", "1", Op.GE, score=draw(st.floats(1e-3, 1)))
    items = tuple(draw(st.lists(ge_trees(depth - 1), min_size=1, max_size=3)))
    return Group(f"g{next(counter)}", "g", draw(st.sampled_from(["any", "all"])), items)


facts_st = st.fixed_dictionaries({}, optional={name: st.floats(0, 1e27) for name in FACTS})
score_st = st.one_of(st.none(), st.floats(0, 1))


def _evidence(facts: dict[str, Any], score: float | None) -> Evidence:
    scores = {} if score is None else {("bench", "1"): Score("bench", "1", score, "r1")}
    return Evidence(facts=facts, fact_ids={k: f"d-{k}" for k in facts}, scores=scores)


@settings(max_examples=300, deadline=None)
@given(tree=ge_trees(), facts=facts_st, score=score_st)
def test_evaluation_is_deterministic(tree: Node, facts: dict[str, Any], score: float | None) -> None:
    policy = _policy(tree)
    first = evaluate(policy, _evidence(facts, score))
    second = evaluate(policy, _evidence(dict(facts), score))
    assert first == second


@settings(max_examples=300, deadline=None)
@given(tree=ge_trees(), facts=facts_st, score=score_st, bump=st.floats(0, 1e27), which=st.sampled_from(FACTS))
def test_raising_a_fact_never_uncovers(tree: Node, facts: dict[str, Any], score: float | None, bump: float, which: str) -> None:
    policy = _policy(tree)
    before = evaluate(policy, _evidence(facts, score)).outcome
    if which not in facts:
        return
    raised = {**facts, which: facts[which] + bump}
    after = evaluate(policy, _evidence(raised, score)).outcome
    if before is Outcome.COVERED:
        assert after is Outcome.COVERED


@settings(max_examples=300, deadline=None)
@given(tree=ge_trees(), facts=facts_st, score=score_st)
def test_insufficient_evidence_exactly_when_missing_inputs_could_change_the_outcome(
    tree: Node, facts: dict[str, Any], score: float | None
) -> None:
    """Fill every missing input with its extremes: the outcome is decided iff both agree."""
    policy = _policy(tree)
    outcome = evaluate(policy, _evidence(facts, score)).outcome
    low = evaluate(policy, _evidence({n: facts.get(n, 0.0) for n in FACTS}, 0.0 if score is None else score)).outcome
    high = evaluate(policy, _evidence({n: facts.get(n, 1e30) for n in FACTS}, 1.0 if score is None else score)).outcome
    if outcome is Outcome.INSUFFICIENT_EVIDENCE:
        assert low is not high
    else:
        assert low is high is outcome


def test_missing_fact_is_unknown_never_false() -> None:
    policy = _policy(FactCriterion("c1", "compute", "training_compute_flop", Op.GT, 1e26))
    evaluation = evaluate(policy, Evidence())
    assert evaluation.trace.status is Status.UNKNOWN
    assert evaluation.outcome is Outcome.INSUFFICIENT_EVIDENCE


def test_any_is_decided_by_one_met_criterion_despite_unknowns() -> None:
    root = Group(
        "g",
        "g",
        "any",
        (
            FactCriterion("c1", "compute", "training_compute_flop", Op.GT, 1e26),
            BenchmarkCriterion("c2", "bench", "bench", "1", Op.GE, score=0.5),
        ),
    )
    evaluation = evaluate(
        _policy(root), Evidence(facts={"training_compute_flop": 2e26}, fact_ids={"training_compute_flop": "d1"})
    )
    assert evaluation.outcome is Outcome.COVERED
    assert [c.status for c in evaluation.trace.children] == [Status.MET, Status.UNKNOWN]
    assert evaluation.evidence_ids() == ["d1"]
    assert evaluation.trace.children[0].observed == 2e26


def test_relative_criterion_compares_with_the_reference_score() -> None:
    root = BenchmarkCriterion("c1", "vs reference", "bench", "1", Op.GE, reference_model="ref")
    own = {("bench", "1"): Score("bench", "1", 0.5, "r-own")}
    unknown = evaluate(_policy(root), Evidence(scores=own))
    assert unknown.outcome is Outcome.INSUFFICIENT_EVIDENCE
    met = evaluate(
        _policy(root), Evidence(scores=own, reference_scores={("ref", "bench", "1"): Score("bench", "1", 0.45, "r-ref")})
    )
    assert met.outcome is Outcome.COVERED
    assert met.evidence_ids() == ["r-own", "r-ref"]


def test_in_and_boolean_criteria() -> None:
    modal = FactCriterion("c1", "bio", "modalities", Op.IN, ["biological_sequence"])
    assert evaluate(_policy(modal), Evidence(facts={"modalities": ["text", "biological_sequence"]})).outcome is Outcome.COVERED
    assert evaluate(_policy(modal), Evidence(facts={"modalities": ["text"]})).outcome is Outcome.NOT_COVERED
    flag = FactCriterion("c2", "bio", "primarily_biological_sequence_data", Op.EQ, True)
    assert evaluate(_policy(flag), Evidence(facts={"primarily_biological_sequence_data": False})).outcome is Outcome.NOT_COVERED


@settings(max_examples=200, deadline=None)
@given(tree=ge_trees(), facts=facts_st, score=score_st, reference=score_st)
def test_a_redacted_trace_keeps_every_status_and_no_score_or_threshold(
    tree: Node, facts: dict[str, Any], score: float | None, reference: float | None
) -> None:
    """Item 2: what anyone but cleared staff reads says met / not met / unknown per criterion,
    never the observed score or the threshold."""
    root = Group("root", "root", "any", (tree, BenchmarkCriterion("rel", "vs ref", "bench", "1", Op.GE, reference_model="ref")))
    evidence = _evidence(facts, score)
    if reference is not None:
        evidence = Evidence(
            facts=evidence.facts,
            fact_ids=evidence.fact_ids,
            scores=evidence.scores,
            reference_scores={("ref", "bench", "1"): Score("bench", "1", reference, "r-ref")},
        )
    full = evaluate(_policy(root), evidence).trace.to_json()
    shown = redact_trace(full)

    def pairs(a: dict[str, Any], b: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        return [(a, b), *(p for x, y in zip(a["children"], b["children"], strict=True) for p in pairs(x, y))]

    for original, redacted in pairs(full, shown):
        assert redacted["status"] == original["status"] and redacted["name"] == original["name"]
        if original["kind"] == "benchmark":
            assert redacted["observed"] is None
            assert redacted["expected"] == "score threshold withheld"
        else:
            assert redacted == {**original, "children": redacted["children"]}
