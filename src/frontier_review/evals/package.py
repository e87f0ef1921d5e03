"""The on-disk benchmark package format (pure): a manifest and a JSONL file of samples.

See ``docs/benchmarks.md``. Validation reports the file, line and field of every problem, and
refuses duplicate sample ids, unknown solvers and scorers, and malformed samples.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frontier_review.kernel.errors import FieldProblem, ValidationFailed

__all__ = ["Manifest", "Package", "PackageInvalid", "Sample", "check_fit", "load_package", "parse_manifest", "parse_samples"]

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
SAMPLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$")
SOLVERS = {"generate", "multiple_choice", "multiple_choice_or_generate"}
SCORERS = {"match", "includes", "choice", "choice_or_match", "model_graded"}
CLASSIFICATIONS = {"classified", "unclassified"}
MAX_SAMPLES = 100_000
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class PackageInvalid(ValidationFailed):
    """The package broke the format; ``problems`` names each file, line and field."""


@dataclass(frozen=True)
class Sample:
    """One benchmark item: multiple choice when ``choices`` is set, exact answer otherwise."""

    id: str
    input: str
    target: str
    choices: tuple[str, ...] = ()
    metadata: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "input": self.input, "target": self.target}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.metadata:
            out["metadata"] = self.metadata
        return out


@dataclass(frozen=True)
class Manifest:
    """What a package declares about itself."""

    name: str
    version: str
    title: str
    domain: str
    classified: bool
    description: str
    solver: str
    system_prompt: str
    scorer: str
    grader: str | None
    metrics: tuple[str, ...]
    time_limit_seconds: int
    token_limit: int

    def to_json(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(self).items()}


@dataclass(frozen=True)
class Package:
    """A benchmark package read and validated: its manifest and its samples."""

    manifest: Manifest
    samples: tuple[Sample, ...]

    @property
    def ref(self) -> str:
        return f"{self.manifest.name}@{self.manifest.version}"


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def parse_manifest(source: str, *, where: str = "manifest.toml") -> tuple[Manifest | None, str, list[FieldProblem]]:
    """Parse the manifest; returns (manifest or None, samples file name, problems)."""
    problems: list[FieldProblem] = []

    def fail(field: str, message: str) -> None:
        problems.append(FieldProblem(field=field, message=f"{where}: {field}: {message}"))

    try:
        doc = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        return None, "", [FieldProblem(field="manifest", message=f"{where}: invalid TOML: {exc}")]
    name, version = doc.get("name"), doc.get("version")
    if not isinstance(name, str) or not NAME.match(name):
        fail("name", "lower-case letters, digits, '.', '_' or '-' (2-80)")
    if not isinstance(version, str) or not VERSION.match(version):
        fail("version", 'text such as "1" (quote it)')
    classification = doc.get("classification")
    if classification not in CLASSIFICATIONS:
        fail("classification", "classified or unclassified")
    solver: dict[str, Any] = doc["solver"] if isinstance(doc.get("solver"), dict) else {}
    scorer: dict[str, Any] = doc["scorer"] if isinstance(doc.get("scorer"), dict) else {}
    limits: dict[str, Any] = doc["limits"] if isinstance(doc.get("limits"), dict) else {}
    if solver.get("kind") not in SOLVERS:
        fail("solver.kind", f"one of {', '.join(sorted(SOLVERS))}")
    if scorer.get("kind") not in SCORERS:
        fail("scorer.kind", f"one of {', '.join(sorted(SCORERS))}")
    grader = scorer.get("grader")
    if scorer.get("kind") == "model_graded" and not _text(grader):
        fail("scorer.grader", "a model-graded scorer names its grader target")
    metrics = doc.get("metrics", ["accuracy", "stderr"])
    if not isinstance(metrics, list) or not all(m in {"accuracy", "stderr", "mean"} for m in metrics):
        fail("metrics", "a list of: accuracy, stderr, mean")
    time_limit = limits.get("time_limit_seconds", 120)
    token_limit = limits.get("token_limit", 4096)
    for field, value in (("limits.time_limit_seconds", time_limit), ("limits.token_limit", token_limit)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            fail(field, "a positive whole number")
    samples = doc.get("samples", "samples.jsonl")
    if not isinstance(samples, str) or "/" in samples or samples.startswith("."):
        fail("samples", "the samples file name, in the package folder")
    if problems:
        return None, str(samples), problems
    manifest = Manifest(
        name=str(name),
        version=str(version),
        title=str(doc.get("title") or name),
        domain=str(doc.get("domain") or "general"),
        classified=classification == "classified",
        description=str(doc.get("description", "")),
        solver=str(solver["kind"]),
        system_prompt=str(solver.get("system_prompt", "")),
        scorer=str(scorer["kind"]),
        grader=str(grader) if grader else None,
        metrics=tuple(metrics),
        time_limit_seconds=int(time_limit),
        token_limit=int(token_limit),
    )
    return manifest, str(samples), []


def _sample(raw: Any, seen: dict[str, int], number: int) -> Sample | tuple[str, str]:  # noqa: PLR0911 - one return per rule
    """One parsed line, or (field, message) explaining why it is refused."""
    if not isinstance(raw, dict):
        return "sample", "each line must be a JSON object"
    sample_id = raw.get("id")
    if not isinstance(sample_id, str) or not SAMPLE_ID.match(sample_id):
        return "id", "letters, digits and . _ : - (1-80)"
    if sample_id in seen:
        return "id", f"duplicate id {sample_id!r} (first on line {seen[sample_id]})"
    seen[sample_id] = number
    unknown = set(raw) - {"id", "input", "target", "choices", "metadata"}
    if unknown:
        return "sample", f"unknown key(s) {', '.join(sorted(unknown))}"
    if not _text(raw.get("input")):
        return "input", "the question text is required"
    target, choices = raw.get("target"), raw.get("choices")
    if choices is not None:
        if not isinstance(choices, list) or not 2 <= len(choices) <= 26 or not all(_text(c) for c in choices):
            return "choices", "2 to 26 non-empty choices"
        if not isinstance(target, str) or target not in LETTERS[: len(choices)]:
            return "target", f"the letter of the correct choice, A-{LETTERS[len(choices) - 1]}"
    elif not _text(target):
        return "target", "the expected answer is required"
    metadata = raw.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        return "metadata", "an object"
    return Sample(id=sample_id, input=str(raw["input"]), target=str(target), choices=tuple(choices or ()), metadata=metadata)


def parse_samples(source: str, *, where: str = "samples.jsonl") -> tuple[list[Sample], list[FieldProblem]]:
    """Parse JSON Lines; every problem names its line."""
    samples: list[Sample] = []
    problems: list[FieldProblem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            parsed = _sample(json.loads(line), seen, number)
        except json.JSONDecodeError as exc:
            parsed = ("sample", f"not valid JSON ({exc.msg} at column {exc.colno})")
        if isinstance(parsed, Sample):
            samples.append(parsed)
        else:
            field, message = parsed
            problems.append(FieldProblem(field=f"line {number}.{field}", message=f"{where}: line {number}: {field}: {message}"))
    if not samples and not problems:
        problems.append(FieldProblem(field="samples", message=f"{where}: no samples"))
    if len(samples) > MAX_SAMPLES:
        problems.append(FieldProblem(field="samples", message=f"{where}: more than {MAX_SAMPLES} samples"))
    return samples, problems


def check_fit(manifest: Manifest, samples: list[Sample]) -> list[FieldProblem]:
    """Solver and scorer must suit the samples (multiple choice needs choices, and so on)."""
    with_choices = sum(1 for s in samples if s.choices)
    problems = []
    if manifest.solver == "multiple_choice" and with_choices != len(samples):
        problems.append(FieldProblem("solver.kind", "manifest.toml: solver.kind: multiple_choice needs choices on every sample"))
    if manifest.scorer == "choice" and with_choices != len(samples):
        problems.append(FieldProblem("scorer.kind", "manifest.toml: scorer.kind: choice needs choices on every sample"))
    return problems


def load_package(folder: Path) -> Package:
    """Read and validate a package folder; raise ``PackageInvalid`` listing every problem."""
    manifest_path = folder / "manifest.toml"
    try:
        manifest_text = manifest_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackageInvalid(f"cannot read {manifest_path}: {exc}", field="manifest") from exc
    manifest, samples_name, problems = parse_manifest(manifest_text)
    if manifest is None:
        raise PackageInvalid(f"{len(problems)} problem(s) in {manifest_path}", problems=problems)
    samples_path = folder / samples_name
    try:
        samples_text = samples_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackageInvalid(f"cannot read {samples_path}: {exc}", field="samples") from exc
    samples, sample_problems = parse_samples(samples_text, where=samples_name)
    problems = sample_problems + (check_fit(manifest, samples) if not sample_problems else [])
    if problems:
        raise PackageInvalid(f"{len(problems)} problem(s) in {folder}", problems=problems)
    return Package(manifest=manifest, samples=tuple(samples))
