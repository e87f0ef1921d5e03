"""Policy files: every shipped reference policy parses; bad input names its line and field."""

from __future__ import annotations

from importlib.resources import files

import pytest

from frontier_review.coverage.criteria import Evidence, Outcome, evaluate
from frontier_review.coverage.policy_file import PolicyInvalid, parse_policy

REFERENCE = files("frontier_review.coverage") / "reference_policies"

GOOD = """id = "demo-policy"
version = "3"
effective_from = 2026-06-02
[criteria]
any = [
  { fact = "training_compute_flop", op = ">", value = 1e26 },
]
"""


@pytest.mark.parametrize("name", sorted(p.name for p in REFERENCE.iterdir() if p.name.endswith(".toml")))
def test_reference_policies_parse(name: str) -> None:
    policy = parse_policy((REFERENCE / name).read_text())
    assert policy.criteria()
    assert len(policy.digest()) == 64


@pytest.mark.parametrize(
    ("flops", "bio", "expected"),
    [
        (2e26, None, Outcome.COVERED),
        (5e25, False, Outcome.NOT_COVERED),
        (5e25, None, Outcome.INSUFFICIENT_EVIDENCE),
        (5e23, True, Outcome.COVERED),
        (5e22, True, Outcome.NOT_COVERED),
    ],
)
def test_eo14110_thresholds(flops: float, bio: bool | None, expected: Outcome) -> None:
    policy = parse_policy((REFERENCE / "eo14110-4.2b-i.toml").read_text())
    facts: dict[str, object] = {"training_compute_flop": flops}
    if bio is not None:
        facts["primarily_biological_sequence_data"] = bio
    assert evaluate(policy, Evidence(facts=facts)).outcome is expected


def _problems(source: str, **kwargs: object) -> list[tuple[str, str]]:
    with pytest.raises(PolicyInvalid) as exc:
        parse_policy(source, **kwargs)  # type: ignore[arg-type]
    return [(p.field, p.message) for p in exc.value.problems]


def test_syntax_error_names_the_line() -> None:
    (problem,) = _problems(GOOD.replace('version = "3"', "version = "))
    assert problem[0] == "toml"
    assert "line 2" in problem[1]


@pytest.mark.parametrize(
    ("edit", "field", "line"),
    [
        (('fact = "training_compute_flop"', 'fact = "flops"'), "criteria.any[0].fact", 6),
        (("value = 1e26", 'value = "1e26"'), "criteria.any[0].value", 6),
        (("value = 1e26", "value = -1e26"), "criteria.any[0].value", 6),
        (('op = ">"', 'op = "=>"'), "criteria.any[0].op", 6),
        (("effective_from = 2026-06-02", 'effective_from = "next June"'), "effective_from", 3),
        (('version = "3"', "version = 3"), "version", 2),
    ],
)
def test_semantic_errors_name_line_and_field(edit: tuple[str, str], field: str, line: int) -> None:
    problems = _problems(GOOD.replace(*edit))
    assert [f for f, _ in problems] == [field]
    assert problems[0][1].startswith(f"line {line}: {field}:")


@pytest.mark.parametrize(
    "criterion",
    [
        '{ fact = "training_compute_flop", op = ">=", value = 0 }',
        '{ fact = "parameter_count", op = "<", value = 0 }',
        '{ benchmark = "b", benchmark_version = "1", op = ">=", score = 0.0 }',
        '{ benchmark = "b", benchmark_version = "1", op = ">", score = 1.0 }',
        '{ benchmark = "b", benchmark_version = "1", op = "<=", score = 1 }',
    ],
)
def test_thresholds_that_no_evidence_could_decide_are_refused(criterion: str) -> None:
    source = GOOD.replace('{ fact = "training_compute_flop", op = ">", value = 1e26 }', criterion)
    problems = _problems(source)
    assert "holds for every" in problems[0][1]


def test_unknown_benchmark_is_refused() -> None:
    source = GOOD.replace(
        '{ fact = "training_compute_flop", op = ">", value = 1e26 }',
        '{ benchmark = "nope", benchmark_version = "1", op = ">=", score = 0.5 }',
    )
    problems = _problems(source, known_benchmarks=lambda name, version: False)
    assert problems[0][0] == "criteria.any[0].benchmark"
    assert parse_policy(source, known_benchmarks=lambda name, version: True).benchmarks() == {("nope", "1")}


def test_classified_leaves_need_names_that_hide_thresholds() -> None:
    problems = _problems(GOOD.replace('version = "3"', 'version = "3"\nclassified = true'))
    assert problems[0][0] == "criteria.any[0].name"


def test_same_content_same_digest() -> None:
    assert parse_policy(GOOD).digest() == parse_policy("# a comment\n" + GOOD).digest()
    assert parse_policy(GOOD).digest() != parse_policy(GOOD.replace("1e26", "2e26")).digest()


MIXED = """id = "mixed"
version = "1"
effective_from = 2026-06-02
[criteria]
any = [
  { fact = "training_compute_flop", op = ">", value = 1e26 },
  { benchmark = "secret-bench", benchmark_version = "1", op = ">=", score = 0.7 },
]
"""


def test_an_unclassified_policy_reading_a_classified_benchmark_names_the_line_and_field() -> None:
    problems = _problems(MIXED, known_benchmarks=lambda n, v: True, classified_benchmarks=lambda n, v: n == "secret-bench")
    assert problems == [
        (
            "criteria.any[1].benchmark",
            "line 7: criteria.any[1].benchmark: secret-bench@1 is a classified benchmark: "
            "a policy that reads it must be marked classified = true",
        )
    ]


def test_a_classified_policy_may_read_a_classified_benchmark() -> None:
    source = """id = "mixed"
version = "1"
classified = true
effective_from = 2026-06-02
[criteria]
any = [
  { fact = "training_compute_flop", op = ">", value = 1e26, name = "Compute" },
  { benchmark = "secret-bench", benchmark_version = "1", op = ">=", score = 0.7, name = "Secret bench" },
]
"""
    policy = parse_policy(source, known_benchmarks=lambda n, v: True, classified_benchmarks=lambda n, v: True)
    assert policy.classified
