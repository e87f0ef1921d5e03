"""The remediation-priority formula against hand-computed values (clearinghouse/priority/domain.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.clearinghouse.priority.domain import Band, PriorityInputs, compute
from frontier_review.identity.domain import Sector


def _inputs(**kw: object) -> PriorityInputs:
    base: dict[str, object] = {
        "cvss_base": None,
        "known_exploited": False,
        "sectors": frozenset(),
        "fix_available": True,
        "ai_assisted": False,
    }
    base.update(kw)
    return PriorityInputs(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("inputs", "score", "band"),
    [
        # 9.8 × 4 = 39.2; KEV 25; financial 0.9 × 15 = 13.5 + 1 more sector; no fix 10; AI 10.
        (
            _inputs(
                cvss_base=9.8,
                known_exploited=True,
                sectors=frozenset({Sector.FINANCIAL_SERVICES, Sector.HEALTHCARE_AND_PUBLIC_HEALTH}),
                fix_available=False,
                ai_assisted=True,
            ),
            98.7,
            Band.CRITICAL,
        ),
        # No vector: 5.0 × 4 = 20; nothing else.
        (_inputs(), 20.0, Band.LOW),
        # 7.5 × 4 = 30; energy 1.0 × 15 = 15.
        (_inputs(cvss_base=7.5, sectors=frozenset({Sector.ENERGY})), 45.0, Band.MEDIUM),
        # 6.1 × 4 = 24.4; KEV 25; commercial facilities 0.6 × 15 = 9.
        (_inputs(cvss_base=6.1, known_exploited=True, sectors=frozenset({Sector.COMMERCIAL_FACILITIES})), 58.4, Band.MEDIUM),
        # 8.0 × 4 = 32; no fix 10; AI 10; dams 0.8 × 15 = 12.
        (_inputs(cvss_base=8.0, fix_available=False, ai_assisted=True, sectors=frozenset({Sector.DAMS})), 64.0, Band.HIGH),
        # 40 + 25 + (15 + 5, six sectors) + 10 + 10 = 105, capped at 100.
        (
            _inputs(
                cvss_base=10.0,
                known_exploited=True,
                sectors=frozenset(list(Sector)[:6]) | {Sector.ENERGY},
                fix_available=False,
                ai_assisted=True,
            ),
            100.0,
            Band.CRITICAL,
        ),
    ],
    ids=["kev-ai-bank", "nothing-known", "energy-high-cvss", "kev-commercial", "no-fix-ai-dams", "capped"],
)
def test_hand_computed(inputs: PriorityInputs, score: float, band: Band) -> None:
    priority = compute(inputs)
    assert priority.score == score
    assert priority.band is band
    assert round(sum(f.points for f in priority.factors), 1) >= score  # the factors explain the number


def test_factors_name_each_input() -> None:
    priority = compute(_inputs(cvss_base=9.1, known_exploited=True, sectors=frozenset({Sector.ENERGY})))
    shown = {f.name: f.value for f in priority.factors}
    assert shown["Severity"] == "CVSS 9.1"
    assert shown["Known exploitation"] == "yes"
    assert shown["Sector criticality"].startswith("Energy")
    assert shown["No fix yet"] == "a fix exists"


def test_a_score_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match=r"between 0\.0 and 10\.0"):
        compute(_inputs(cvss_base=11.0))


@given(
    cvss=st.one_of(st.none(), st.floats(min_value=0, max_value=10)),
    kev=st.booleans(),
    sectors=st.frozensets(st.sampled_from(list(Sector))),
    fix=st.booleans(),
    ai=st.booleans(),
)
def test_monotone_in_every_input(cvss: float | None, kev: bool, sectors: frozenset[Sector], fix: bool, ai: bool) -> None:
    """More danger never lowers the priority; the score stays within 0..100."""

    def score(**changed: object) -> float:
        kw: dict[str, object] = {
            "cvss_base": cvss,
            "known_exploited": kev,
            "sectors": sectors,
            "fix_available": fix,
            "ai_assisted": ai,
        }
        kw.update(changed)
        return compute(_inputs(**kw)).score

    now = score()
    assert 0 <= now <= 100
    assert score(known_exploited=True) >= now
    assert score(fix_available=False) >= now
    assert score(ai_assisted=True) >= now
    assert score(sectors=sectors | {Sector.ENERGY}) >= now
