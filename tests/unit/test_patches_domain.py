"""Patch distribution's pure rules: the record's states (every pair pinned), exposure, fix fields."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from frontier_review.clearinghouse.patches.domain import (
    EXPOSED,
    DistributionState,
    FixInput,
    check_fix,
    check_note,
    check_transition,
)
from frontier_review.kernel.errors import InvalidTransition, ValidationFailed

S = DistributionState
ALLOWED = {
    (S.NOTIFIED, S.ACKNOWLEDGED),
    (S.NOTIFIED, S.APPLIED),
    (S.NOTIFIED, S.NOT_AFFECTED),
    (S.ACKNOWLEDGED, S.APPLIED),
    (S.ACKNOWLEDGED, S.NOT_AFFECTED),
    (S.APPLIED, S.ACKNOWLEDGED),  # a patch rolled back
    (S.NOT_AFFECTED, S.ACKNOWLEDGED),  # affected after all
}
PAIRS = list(itertools.product(S, S))


@pytest.mark.parametrize(("current", "to"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_every_move_is_pinned(current: DistributionState, to: DistributionState) -> None:
    if (current, to) in ALLOWED:
        assert check_transition(current, to.value) is to
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, to.value)


def test_unknown_state_names_the_field() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_transition(S.NOTIFIED, "patched")
    assert caught.value.problems[0].field == "state"
    assert check_transition(S.NOTIFIED, " Applied ") is S.APPLIED


def test_still_exposed_means_notified_or_acknowledged() -> None:
    assert frozenset({S.NOTIFIED, S.ACKNOWLEDGED}) == EXPOSED


def test_fix_fields_are_checked_at_once() -> None:
    fix = check_fix(FixInput(" 2.3.2 ", "2026-12-01", " https://vendor.example/a ", " notes "))
    assert (fix.fixed_version, fix.released_on, fix.link, fix.notes) == (
        "2.3.2",
        date(2026, 12, 1),
        "https://vendor.example/a",
        "notes",
    )
    with pytest.raises(ValidationFailed) as caught:
        check_fix(FixInput("", "", "", "x" * 2001))
    assert [p.field for p in caught.value.problems] == ["fixed_version", "released_on", "link", "notes"]
    for bad in ("ftp://vendor.example/a", "javascript:alert(1)", "https://", "https://a b", "vendor.example/a"):
        with pytest.raises(ValidationFailed) as caught:
            check_fix(FixInput("1", date(2026, 1, 1), bad))
        assert caught.value.problems[0].field == "link"
    with pytest.raises(ValidationFailed):
        check_fix(FixInput("1", "2026-13-01", "https://vendor.example"))


def test_note_is_optional_and_bounded() -> None:
    assert check_note(None) == "" and check_note("  ok ") == "ok"
    with pytest.raises(ValidationFailed):
        check_note("x" * 2001)
