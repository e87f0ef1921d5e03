"""Reading policy TOML files (pure): validation with errors that name the line and field.

See ``docs/policies.md`` for the format. ``tomllib`` reports syntax errors with their line;
for errors in valid TOML, the line is found by scanning the text in document order for the
key that opened the offending criterion.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Literal

from frontier_review.coverage.criteria import ORDERING, BenchmarkCriterion, FactCriterion, Group, Node, Op, Policy
from frontier_review.kernel.errors import FieldProblem, ValidationFailed
from frontier_review.registry.facts import CATALOGUE, FactKind, FactSpec, normalise_value

__all__ = ["PolicyInvalid", "parse_policy"]

IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
TOP_KEYS = {"id", "version", "title", "effective_from", "classified", "description", "criteria"}
OPS_BY_KIND: dict[FactKind, frozenset[Op]] = {
    FactKind.NUMBER: frozenset({*ORDERING, Op.EQ, Op.IN}),
    FactKind.INTEGER: frozenset({*ORDERING, Op.EQ, Op.IN}),
    FactKind.INSTANT: frozenset({*ORDERING, Op.EQ}),
    FactKind.BOOLEAN: frozenset({Op.EQ}),
    FactKind.SET: frozenset({Op.IN}),
}

KnownBenchmarks = Callable[[str, str], bool]
ClassifiedBenchmarks = Callable[[str, str], bool]


class PolicyInvalid(ValidationFailed):
    """A policy file broke the format; ``problems`` lists each one with its line and field."""


@dataclass
class _Lines:
    """Finds the line where each criterion starts, scanning forward in document order."""

    lines: list[str]
    cursor: int = 0
    column: int = 0

    def find(self, key: str) -> int | None:
        """The 1-based line of the next ``key =`` after the previous match (None if absent)."""
        pattern = re.compile(rf"(^|[{{,\s]){re.escape(key)}\s*=")
        for i in range(self.cursor, len(self.lines)):
            start = self.column if i == self.cursor else 0
            match = pattern.search(self.lines[i], start)
            if match:
                self.cursor, self.column = i, match.end()
                return i + 1
        return None


@dataclass
class _Parser:
    lines: _Lines
    known_benchmarks: KnownBenchmarks | None
    classified: bool
    classified_benchmarks: ClassifiedBenchmarks | None = None
    problems: list[FieldProblem] = field(default_factory=list)
    counter: int = 0

    def fail(self, line: int | None, path: str, message: str) -> None:
        where = f"line {line}: " if line else ""
        self.problems.append(FieldProblem(field=path, message=f"{where}{path}: {message}"))

    def node(self, raw: Any, path: str) -> Node | None:
        if not isinstance(raw, dict):
            self.fail(None, path, "each criterion must be a table such as { fact = ..., op = ..., value = ... }")
            return None
        kinds = [k for k in ("any", "all", "fact", "benchmark") if k in raw]
        if len(kinds) != 1:
            self.fail(None, path, "a criterion has exactly one of: any, all, fact, benchmark")
            return None
        kind = kinds[0]
        line = self.lines.find(kind)
        self.counter += 1
        key = f"c{self.counter}"
        if kind in ("any", "all"):
            return self.group(raw, path, kind, key, line)  # type: ignore[arg-type]
        if kind == "fact":
            return self.fact(raw, path, key, line)
        return self.benchmark(raw, path, key, line)

    def _name(self, raw: dict[str, Any], path: str, line: int | None, default: str, *, leaf: bool = True) -> str:
        name = raw.get("name")
        if name is None:
            # A leaf's default name states its threshold, which a classified policy must not show.
            if self.classified and leaf:
                self.fail(line, f"{path}.name", "every criterion of a classified policy needs a name (it is all developers see)")
            return default
        if not isinstance(name, str) or not 2 <= len(name.strip()) <= 200:
            self.fail(line, f"{path}.name", "name must be text of 2 to 200 characters")
            return default
        return name.strip()

    def _unknown_keys(self, raw: dict[str, Any], allowed: set[str], path: str, line: int | None) -> None:
        for extra in sorted(set(raw) - allowed):
            self.fail(line, f"{path}.{extra}", f"unknown key {extra!r}")

    def group(self, raw: dict[str, Any], path: str, mode: Literal["any", "all"], key: str, line: int | None) -> Group | None:
        self._unknown_keys(raw, {mode, "name"}, path, line)
        items_raw = raw[mode]
        if not isinstance(items_raw, list) or not items_raw:
            self.fail(line, f"{path}.{mode}", f"{mode} needs a non-empty list of criteria")
            return None
        name = self._name(raw, path, line, f"{mode} of {len(items_raw)}", leaf=False)
        items = [self.node(item, f"{path}.{mode}[{i}]") for i, item in enumerate(items_raw)]
        if any(item is None for item in items):
            return None
        return Group(key=key, name=name, mode=mode, items=tuple(i for i in items if i is not None))

    def fact(self, raw: dict[str, Any], path: str, key: str, line: int | None) -> FactCriterion | None:
        self._unknown_keys(raw, {"fact", "op", "value", "name"}, path, line)
        fact = raw.get("fact")
        spec = CATALOGUE.get(fact) if isinstance(fact, str) else None
        if spec is None or not spec.comparable:
            known = ", ".join(sorted(n for n, s in CATALOGUE.items() if s.comparable))
            self.fail(line, f"{path}.fact", f"unknown fact {fact!r}; policies may use: {known}")
            return None
        op = self._op(raw, path, line, OPS_BY_KIND[spec.kind])
        if "value" not in raw:
            self.fail(line, f"{path}.value", "missing value")
            return None
        value = self._value(spec, op, raw["value"], f"{path}.value", line)
        if op is None or value is None:
            return None
        if spec.kind in (FactKind.NUMBER, FactKind.INTEGER) and op in ORDERING and _degenerate(op, float(value), low=0.0):
            self.fail(line, f"{path}.value", f"{op} {value} holds for every {spec.name} or for none; use a real threshold")
            return None
        name = self._name(raw, path, line, f"{fact} {op} {raw['value']}")
        return FactCriterion(key=key, name=name, fact=spec.name, op=op, value=value)

    def _op(self, raw: dict[str, Any], path: str, line: int | None, allowed: Iterable[Op]) -> Op | None:
        allowed = sorted(allowed, key=str)
        try:
            op = Op(str(raw.get("op")))
        except ValueError:
            self.fail(line, f"{path}.op", f"op must be one of {', '.join(allowed)}")
            return None
        if op not in allowed:
            self.fail(line, f"{path}.op", f"op {op} does not apply here; use one of {', '.join(allowed)}")
            return None
        return op

    def _value(self, spec: FactSpec, op: Op | None, raw: Any, path: str, line: int | None) -> Any:
        try:
            if op is Op.IN and spec.kind is not FactKind.SET:
                if not isinstance(raw, list) or not raw:
                    raise ValidationFailed("'in' needs a non-empty list of values", field=path)
                return [normalise_value(spec, item, field=path) for item in raw]
            if spec.kind is FactKind.INSTANT and isinstance(raw, datetime) and raw.tzinfo is None:
                raise ValidationFailed(f"{spec.name} needs a UTC offset", field=path)
            return normalise_value(spec, raw, field=path)
        except ValidationFailed as exc:
            self.fail(line, path, exc.message)
            return None

    def benchmark(self, raw: dict[str, Any], path: str, key: str, line: int | None) -> BenchmarkCriterion | None:
        self._unknown_keys(raw, {"benchmark", "benchmark_version", "op", "score", "reference_model", "name"}, path, line)
        bench, version = raw.get("benchmark"), raw.get("benchmark_version")
        ok = True
        if not isinstance(bench, str) or not bench:
            self.fail(line, f"{path}.benchmark", "benchmark must be the benchmark's name")
            ok = False
        if not isinstance(version, str) or not version:
            self.fail(line, f"{path}.benchmark_version", 'benchmark_version must be text, e.g. "1.0"')
            ok = False
        if ok and self.known_benchmarks is not None and not self.known_benchmarks(str(bench), str(version)):
            self.fail(line, f"{path}.benchmark", f"unknown benchmark {bench}@{version}; seal or register it first")
            ok = False
        if (
            ok
            and not self.classified
            and self.classified_benchmarks is not None
            and self.classified_benchmarks(str(bench), str(version))
        ):
            # Its threshold, and the traces of its determinations, would be shown to everyone.
            self.fail(
                line,
                f"{path}.benchmark",
                f"{bench}@{version} is a classified benchmark: a policy that reads it must be marked classified = true",
            )
            ok = False
        op = self._op(raw, path, line, ORDERING)
        has_score, has_ref = "score" in raw, "reference_model" in raw
        if has_score == has_ref:
            self.fail(line, path, "give exactly one of score (an absolute threshold) or reference_model")
            return None
        score = raw.get("score")
        if has_score and (isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1):
            self.fail(line, f"{path}.score", "score must be a number between 0 and 1 (not text)")
            return None
        if isinstance(score, int | float) and op is not None and _degenerate(op, float(score), low=0.0, high=1.0):
            self.fail(line, f"{path}.score", f"{op} {score} holds for every score or for none; use a real threshold")
            return None
        reference = raw.get("reference_model")
        if has_ref and (not isinstance(reference, str) or not reference.strip()):
            self.fail(line, f"{path}.reference_model", "reference_model must name a reference model")
            return None
        if not ok or op is None:
            return None
        default = f"score on {bench}@{version} {op} " + (f"{score:g}" if has_score else f"the score of {reference}")
        name = self._name(raw, path, line, default)
        return BenchmarkCriterion(
            key=key,
            name=name,
            benchmark=str(bench),
            benchmark_version=str(version),
            op=op,
            score=float(score) if isinstance(score, int | float) else None,
            reference_model=reference.strip() if isinstance(reference, str) else None,
        )


def _degenerate(op: Op, threshold: float, *, low: float, high: float | None = None) -> bool:
    """True when a threshold is met by every possible value or by none.

    Such a criterion would be decided without evidence, breaking the rule that a missing
    input leaves a criterion unknown exactly when it could matter.
    """
    if op is Op.GE and threshold <= low:
        return True
    if op is Op.LT and threshold <= low:
        return True
    if high is not None and op is Op.LE and threshold >= high:
        return True
    return high is not None and op is Op.GT and threshold >= high


def _effective_from(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        return raw.astimezone(UTC) if raw.tzinfo else None
    if isinstance(raw, date):
        return datetime.combine(raw, time(0, 0), tzinfo=UTC)
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC) if len(raw) == 10 else None
        return parsed.astimezone(UTC)
    return None


def parse_policy(
    source: str,
    *,
    known_benchmarks: KnownBenchmarks | None = None,
    classified_benchmarks: ClassifiedBenchmarks | None = None,
) -> Policy:
    """Parse and validate a policy file; raise ``PolicyInvalid`` listing every problem.

    Args:
        source: the TOML text.
        known_benchmarks: tells whether a benchmark version exists (unchecked when None).
        classified_benchmarks: tells whether a benchmark version is classified; an unclassified
            policy that reads one is refused (unchecked when None).
    """
    try:
        doc = tomllib.loads(source)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyInvalid(f"invalid TOML: {exc}", field="toml") from exc
    lines = _Lines(source.splitlines())
    top = _Lines(source.splitlines())
    parser = _Parser(
        lines=lines,
        known_benchmarks=known_benchmarks,
        classified=doc.get("classified") is True,
        classified_benchmarks=classified_benchmarks,
    )

    def top_line(key: str) -> int | None:
        top.cursor = top.column = 0
        return top.find(key)

    for extra in sorted(set(doc) - TOP_KEYS):
        parser.fail(top_line(extra), extra, f"unknown key {extra!r}")
    identifier = doc.get("id")
    if not isinstance(identifier, str) or not IDENTIFIER.match(identifier):
        parser.fail(top_line("id"), "id", "id must be 2-80 characters: lower-case letters, digits, '.', '_' or '-'")
    version = doc.get("version")
    if not isinstance(version, str) or not VERSION.match(version):
        parser.fail(top_line("version"), "version", 'version must be text such as "1" or "2026.1" (quote it)')
    title = doc.get("title", identifier)
    if not isinstance(title, str) or not title.strip():
        parser.fail(top_line("title"), "title", "title must be text")
    description = doc.get("description", "")
    if not isinstance(description, str):
        parser.fail(top_line("description"), "description", "description must be text")
    classified = doc.get("classified", False)
    if not isinstance(classified, bool):
        parser.fail(top_line("classified"), "classified", "classified must be true or false")
    effective = _effective_from(doc.get("effective_from"))
    if effective is None:
        parser.fail(
            top_line("effective_from"),
            "effective_from",
            "effective_from must be a date (2026-06-02) or a date and time with an offset (2026-06-02T00:00:00Z)",
        )
    criteria = doc.get("criteria")
    root: Node | None = None
    if not isinstance(criteria, dict):
        parser.fail(top_line("criteria"), "criteria", "a [criteria] table with one of any, all, fact or benchmark is required")
    else:
        root = parser.node(criteria, "criteria")
    if parser.problems or root is None or effective is None:
        problems = parser.problems or [FieldProblem("criteria", "criteria: no criteria")]
        raise PolicyInvalid(f"{len(problems)} problem(s) in the policy file", problems=problems)
    return Policy(
        identifier=str(identifier),
        version=str(version),
        title=str(title).strip(),
        effective_from=effective,
        classified=bool(classified),
        description=str(description).strip(),
        root=root,
    )
