"""The benchmark package format: every problem names its file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from frontier_review.evals.package import PackageInvalid, load_package, parse_samples

MANIFEST = """name = "tiny-suite"
version = "1"
title = "Tiny"
domain = "cyber-offense"
classification = "classified"
samples = "samples.jsonl"
metrics = ["accuracy", "stderr"]

[solver]
kind = "multiple_choice_or_generate"
system_prompt = "Answer precisely."

[scorer]
kind = "choice_or_match"

[limits]
time_limit_seconds = 30
token_limit = 512
"""

GOOD = [
    {"id": "mc-1", "input": "Which CWE?", "choices": ["CWE-79", "CWE-89"], "target": "B"},
    {"id": "em-1", "input": "Which line?", "target": "3"},
]


def _package(tmp_path: Path, manifest: str = MANIFEST, lines: list[str] | None = None) -> Path:
    (tmp_path / "manifest.toml").write_text(manifest)
    (tmp_path / "samples.jsonl").write_text("\n".join(lines if lines is not None else [json.dumps(x) for x in GOOD]) + "\n")
    return tmp_path


def test_a_valid_package_loads(tmp_path: Path) -> None:
    package = load_package(_package(tmp_path))
    assert package.ref == "tiny-suite@1"
    assert package.manifest.classified
    assert [s.id for s in package.samples] == ["mc-1", "em-1"]
    assert package.samples[0].choices == ("CWE-79", "CWE-89")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("{not json", "line 2.sample"),
        ('{"id": "mc-1", "input": "dup", "target": "x"}', "line 2.id"),
        ('{"id": "x", "input": "q", "choices": ["a", "b"], "target": "C"}', "line 2.target"),
        ('{"id": "x", "input": "q", "choices": ["only one"], "target": "A"}', "line 2.choices"),
        ('{"id": "x", "input": "", "target": "A"}', "line 2.input"),
        ('{"id": "x", "input": "q", "target": "A", "answer": "A"}', "line 2.sample"),
        ('["not", "an", "object"]', "line 2.sample"),
    ],
)
def test_bad_lines_are_reported_with_their_number(tmp_path: Path, line: str, field: str) -> None:
    with pytest.raises(PackageInvalid) as exc:
        load_package(_package(tmp_path, lines=[json.dumps(GOOD[0]), line]))
    assert [p.field for p in exc.value.problems] == [field]
    assert "samples.jsonl: line 2:" in exc.value.problems[0].message


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (('kind = "choice_or_match"', 'kind = "fuzzy"'), "scorer.kind"),
        (('kind = "multiple_choice_or_generate"', 'kind = "chain_of_thought"'), "solver.kind"),
        (('classification = "classified"', 'classification = "secret"'), "classification"),
        (('version = "1"', "version = 1"), "version"),
        (("token_limit = 512", "token_limit = -1"), "limits.token_limit"),
        (('kind = "choice_or_match"', 'kind = "model_graded"'), "scorer.grader"),
    ],
)
def test_bad_manifests_name_the_field(tmp_path: Path, edit: tuple[str, str], field: str) -> None:
    with pytest.raises(PackageInvalid) as exc:
        load_package(_package(tmp_path, manifest=MANIFEST.replace(*edit)))
    assert [p.field for p in exc.value.problems] == [field]


def test_multiple_choice_solver_needs_choices_everywhere(tmp_path: Path) -> None:
    with pytest.raises(PackageInvalid) as exc:
        load_package(_package(tmp_path, manifest=MANIFEST.replace('"multiple_choice_or_generate"', '"multiple_choice"')))
    assert exc.value.problems[0].field == "solver.kind"


def test_blank_lines_are_ignored_and_empty_files_refused() -> None:
    samples, problems = parse_samples("\n" + json.dumps(GOOD[1]) + "\n\n")
    assert [s.id for s in samples] == ["em-1"]
    assert not problems
    assert parse_samples("\n\n")[1][0].message.endswith("no samples")
