"""Fixes and distribution records: their checked fields and the record's states (pure).

A distribution record follows ``notified → acknowledged → applied``, or ``not_affected``. An
operator may go back where the world does: a patch rolled back (``applied → acknowledged``) or a
system found affected after all (``not_affected → acknowledged``). Nobody returns a record to
``notified``: that state only says the operator has not answered yet. ``notified`` and
``acknowledged`` are *still exposed*.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from urllib.parse import urlparse

from frontier_review.kernel.errors import FieldProblem, InvalidTransition, ValidationFailed

__all__ = [
    "EXPOSED",
    "TRANSITIONS",
    "DistributionState",
    "Fix",
    "FixInput",
    "check_fix",
    "check_note",
    "check_transition",
]

MAX_VERSION = 100
MAX_LINK = 2000
MAX_NOTES = 2000


class DistributionState(StrEnum):
    """Where one operator stands with one report's fix."""

    NOTIFIED = "notified"
    ACKNOWLEDGED = "acknowledged"
    APPLIED = "applied"
    NOT_AFFECTED = "not_affected"

    @property
    def label(self) -> str:
        return {"notified": "Notified", "acknowledged": "Acknowledged", "applied": "Applied", "not_affected": "Not affected"}[
            self.value
        ]


TRANSITIONS: Mapping[DistributionState, frozenset[DistributionState]] = {
    DistributionState.NOTIFIED: frozenset(
        {DistributionState.ACKNOWLEDGED, DistributionState.APPLIED, DistributionState.NOT_AFFECTED}
    ),
    DistributionState.ACKNOWLEDGED: frozenset({DistributionState.APPLIED, DistributionState.NOT_AFFECTED}),
    DistributionState.APPLIED: frozenset({DistributionState.ACKNOWLEDGED}),  # the patch was rolled back
    DistributionState.NOT_AFFECTED: frozenset({DistributionState.ACKNOWLEDGED}),  # affected after all
}
"""Every allowed move; anything else is refused."""

EXPOSED = frozenset({DistributionState.NOTIFIED, DistributionState.ACKNOWLEDGED})
"""States in which the operator still runs the vulnerable version."""


def check_transition(current: DistributionState, to: str) -> DistributionState:
    """The target state, if the record may move there.

    Raises:
        ValidationFailed: ``to`` is not a state (naming ``state``).
        InvalidTransition: not an allowed move from ``current``.
    """
    try:
        target = DistributionState(to.strip().lower())
    except ValueError:
        raise ValidationFailed(
            f"{to[:40]!r} is not a distribution state (acknowledged, applied, not_affected)", field="state"
        ) from None
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"a record {current.label.lower()} cannot be marked {target.label.lower()}")
    return target


def check_note(note: str | None) -> str:
    """An optional note, trimmed.

    Raises:
        ValidationFailed: longer than 2000 characters (naming ``note``).
    """
    text = (note or "").strip()
    if len(text) > MAX_NOTES:
        raise ValidationFailed(f"the note is longer than {MAX_NOTES} characters", field="note")
    return text


@dataclass(frozen=True)
class FixInput:
    """A fix as typed (the API, the web form)."""

    fixed_version: str
    released_on: str | date | None
    link: str
    notes: str = ""


@dataclass(frozen=True)
class Fix:
    """A checked fix: the version that fixes it, its release date, where to get it, optional notes."""

    fixed_version: str
    released_on: date
    link: str
    notes: str


def _date(value: str | date | None, problems: list[FieldProblem]) -> date | None:
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    if not text:
        problems.append(FieldProblem("released_on", "give the fix's release date (YYYY-MM-DD)"))
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(FieldProblem("released_on", f"{text[:40]!r} is not a date (YYYY-MM-DD)"))
        return None


def check_fix(fix: FixInput) -> Fix:
    """Every field checked at once.

    Raises:
        ValidationFailed: naming each bad field (``fixed_version``, ``released_on``, ``link``, ``notes``).
    """
    problems: list[FieldProblem] = []
    version = fix.fixed_version.strip()
    if not version:
        problems.append(FieldProblem("fixed_version", "give the version that fixes it"))
    elif len(version) > MAX_VERSION:
        problems.append(FieldProblem("fixed_version", f"the version is longer than {MAX_VERSION} characters"))
    released = _date(fix.released_on, problems)
    link = fix.link.strip()
    parsed = urlparse(link)
    if not link:
        problems.append(FieldProblem("link", "give a link to the fix (http or https)"))
    elif len(link) > MAX_LINK:
        problems.append(FieldProblem("link", f"the link is longer than {MAX_LINK} characters"))
    elif parsed.scheme not in {"http", "https"} or not parsed.netloc or any(c.isspace() for c in link):
        problems.append(FieldProblem("link", "the link must be an http or https URL"))
    notes = fix.notes.strip()
    if len(notes) > MAX_NOTES:
        problems.append(FieldProblem("notes", f"the notes are longer than {MAX_NOTES} characters"))
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)
    assert released is not None
    return Fix(version, released, link, notes)
