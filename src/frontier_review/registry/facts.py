"""The fact catalogue: every fact a developer may declare about a model version.

Pure: names, kinds, units and validation only. A fact value arrives as JSON (or TOML) and is
checked strictly: a number given as a string, a negative compute figure or a unit other than
the catalogue's is refused, naming the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from frontier_review.kernel.errors import ValidationFailed

__all__ = ["CATALOGUE", "FactKind", "FactSpec", "check_unit", "normalise_value", "parse_form_value", "spec_for"]


class FactKind(StrEnum):
    """How a fact's value is written and compared."""

    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    SET = "set"
    INSTANT = "instant"
    TEXT = "text"


MODALITIES = frozenset({"text", "code", "image", "audio", "video", "biological_sequence", "tabular", "robotics"})


@dataclass(frozen=True)
class FactSpec:
    """One catalogue entry."""

    name: str
    kind: FactKind
    unit: str | None
    description: str
    allowed: frozenset[str] = frozenset()
    max_length: int = 10_000

    @property
    def comparable(self) -> bool:
        """Whether policies may put thresholds on this fact."""
        return self.kind is not FactKind.TEXT


CATALOGUE: dict[str, FactSpec] = {
    spec.name: spec
    for spec in (
        FactSpec(
            "training_compute_flop",
            FactKind.NUMBER,
            "FLOP",
            "Total training compute in floating-point (or integer) operations, including pre-training, "
            "fine-tuning and reinforcement learning.",
        ),
        FactSpec("parameter_count", FactKind.INTEGER, "parameters", "Number of model parameters (weights)."),
        FactSpec(
            "modalities",
            FactKind.SET,
            None,
            "Input and output modalities the model handles.",
            allowed=MODALITIES,
        ),
        FactSpec(
            "primarily_biological_sequence_data",
            FactKind.BOOLEAN,
            None,
            "Whether the model was trained primarily on biological sequence data (EO 14110 §4.2(b)(i)).",
        ),
        FactSpec("planned_release_at", FactKind.INSTANT, None, "Planned public release, ISO 8601 with a UTC offset."),
        FactSpec("notes", FactKind.TEXT, None, "Free-form notes about the version.", max_length=5_000),
    )
}


def spec_for(name: str, *, field: str = "name") -> FactSpec:
    """The catalogue entry for ``name``, or a ValidationFailed naming the field."""
    spec = CATALOGUE.get(name)
    if spec is None:
        known = ", ".join(sorted(CATALOGUE))
        raise ValidationFailed(f"unknown fact {name!r}; known facts: {known}", field=field)
    return spec


def check_unit(spec: FactSpec, unit: str | None, *, field: str = "unit") -> None:
    """The declared unit must be the catalogue's (or absent when the catalogue has none)."""
    if unit is None or unit == "":
        return
    if spec.unit is None:
        raise ValidationFailed(f"{spec.name} has no unit; do not give one", field=field)
    if unit != spec.unit:
        raise ValidationFailed(f"{spec.name} is measured in {spec.unit}, not {unit!r}", field=field)


def normalise_value(spec: FactSpec, value: Any, *, field: str = "value") -> Any:  # noqa: PLR0911, PLR0912 - one branch per kind
    """Check ``value`` against the spec; return its canonical JSON form.

    Numbers stay numbers (a string never becomes one); instants become UTC ISO 8601; sets
    become sorted lists of unique members.
    """
    kind = spec.kind
    if kind is FactKind.NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationFailed(f"{spec.name} must be a number, not {type(value).__name__}", field=field)
        if not math.isfinite(value) or value < 0:
            raise ValidationFailed(f"{spec.name} must be a finite, non-negative number", field=field)
        return float(value)
    if kind is FactKind.INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer() and value >= 0:
                return int(value)
            raise ValidationFailed(f"{spec.name} must be a whole number", field=field)
        if value < 0:
            raise ValidationFailed(f"{spec.name} must not be negative", field=field)
        return value
    if kind is FactKind.BOOLEAN:
        if not isinstance(value, bool):
            raise ValidationFailed(f"{spec.name} must be true or false", field=field)
        return value
    if kind is FactKind.SET:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValidationFailed(f"{spec.name} must be a list of names", field=field)
        unknown = sorted(set(value) - spec.allowed)
        if unknown:
            raise ValidationFailed(
                f"{spec.name}: unknown member(s) {', '.join(unknown)}; allowed: {', '.join(sorted(spec.allowed))}", field=field
            )
        return sorted(set(value))
    if kind is FactKind.INSTANT:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError as exc:
                raise ValidationFailed(f"{spec.name} must be ISO 8601, e.g. 2026-09-01T00:00:00Z", field=field) from exc
        else:
            raise ValidationFailed(f"{spec.name} must be an ISO 8601 date and time", field=field)
        if parsed.tzinfo is None:
            raise ValidationFailed(f"{spec.name} needs a UTC offset, e.g. 2026-09-01T00:00:00Z", field=field)
        return parsed.astimezone(UTC).isoformat()
    if not isinstance(value, str):
        raise ValidationFailed(f"{spec.name} must be text", field=field)
    if len(value) > spec.max_length:
        raise ValidationFailed(f"{spec.name} must have at most {spec.max_length} characters", field=field)
    return value


def parse_form_value(spec: FactSpec, text: str, *, field: str = "value") -> Any:
    """Turn what a person typed in a web form into the fact's typed value (then validate it).

    Forms only carry text, so this is where "3.2e26" becomes a number; the JSON API never
    converts, so a JSON string stays a string there and is refused.
    """
    raw = text.strip()
    kind = spec.kind
    try:
        if kind is FactKind.NUMBER:
            value: Any = float(raw.replace("_", "").replace(",", ""))
        elif kind is FactKind.INTEGER:
            value = int(float(raw.replace("_", "").replace(",", ""))) if raw else raw
        elif kind is FactKind.BOOLEAN:
            lowered = raw.lower()
            if lowered not in {"true", "false", "yes", "no"}:
                raise ValidationFailed(f"{spec.name} must be yes or no", field=field)
            value = lowered in {"true", "yes"}
        elif kind is FactKind.SET:
            value = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            value = raw
    except ValueError as exc:
        raise ValidationFailed(f"{spec.name} must be a number, e.g. 3.2e26", field=field) from exc
    return normalise_value(spec, value, field=field)
