"""The remediation-priority formula (pure): one number from 0 to 100 with its factors.

A report's priority orders the clearinghouse's queue and the operators' exposure boards. It is
recomputed whenever an input changes, and shown with the factors that made it, so nobody has
to trust an unexplained number. The formula, in points:

============================  ======================================================  =====
factor                        rule                                                    max
============================  ======================================================  =====
Severity                      CVSS base score × 4 (no vector: counted as 5.0)          40
Known exploitation            listed in the CISA KEV catalogue, or reported exploited  25
Sector criticality            15 × the weight of the most critical affected sector,    20
                              + 1 per further affected sector (at most 5)
No fix yet                    no fixed version is known                                10
AI-assisted exploitability    exploitation was carried out or shown with an AI model   10
============================  ======================================================  =====

The sum is capped at 100. Bands: critical ≥ 80, high ≥ 60, medium ≥ 40, low below.
Sector weights follow the lifeline sectors of CISA's National Infrastructure Protection Plan:
energy, water, communications and transportation first (1.0); then the sectors whose outage
harms people within hours (0.9); then the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from frontier_review.identity.domain import Sector

__all__ = ["SECTOR_WEIGHTS", "Band", "Factor", "Priority", "PriorityInputs", "compute"]

UNKNOWN_CVSS = 5.0
"""The base score counted when a report has no CVSS vector yet (a medium severity)."""

SECTOR_WEIGHTS: dict[Sector, float] = {
    Sector.ENERGY: 1.0,
    Sector.WATER_AND_WASTEWATER: 1.0,
    Sector.COMMUNICATIONS: 1.0,
    Sector.TRANSPORTATION_SYSTEMS: 1.0,
    Sector.HEALTHCARE_AND_PUBLIC_HEALTH: 0.9,
    Sector.FINANCIAL_SERVICES: 0.9,
    Sector.NUCLEAR: 0.9,
    Sector.EMERGENCY_SERVICES: 0.9,
    Sector.DEFENSE_INDUSTRIAL_BASE: 0.9,
    Sector.GOVERNMENT_FACILITIES: 0.9,
    Sector.INFORMATION_TECHNOLOGY: 0.8,
    Sector.CHEMICAL: 0.8,
    Sector.DAMS: 0.8,
    Sector.FOOD_AND_AGRICULTURE: 0.7,
    Sector.CRITICAL_MANUFACTURING: 0.7,
    Sector.COMMERCIAL_FACILITIES: 0.6,
}


class Band(StrEnum):
    """A priority's band, for people who scan a board."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


@dataclass(frozen=True)
class PriorityInputs:
    """Everything the formula reads; a change in any of these recomputes the priority.

    Attributes:
        cvss_base: the CVSS base score computed from the report's vector (3.1 or 4.0), if any.
        known_exploited: the CVE is in the KEV catalogue, or the report says it is exploited.
        sectors: the affected critical-infrastructure sectors.
        fix_available: a fixed version is known.
        ai_assisted: exploitation was carried out or demonstrated with an AI model.
    """

    cvss_base: float | None
    known_exploited: bool
    sectors: frozenset[Sector]
    fix_available: bool
    ai_assisted: bool


@dataclass(frozen=True)
class Factor:
    """One term of the sum, as shown next to the number."""

    name: str
    value: str
    points: float
    maximum: float


@dataclass(frozen=True)
class Priority:
    """A priority: its score (0–100, one decimal), band and factors."""

    score: float
    band: Band
    factors: tuple[Factor, ...]


def _band(score: float) -> Band:
    if score >= 80:
        return Band.CRITICAL
    if score >= 60:
        return Band.HIGH
    if score >= 40:
        return Band.MEDIUM
    return Band.LOW


def _sector_factor(sectors: frozenset[Sector]) -> Factor:
    if not sectors:
        return Factor("Sector criticality", "no sector named", 0.0, 20.0)
    top = max(sectors, key=lambda s: (SECTOR_WEIGHTS[s], s.value))
    points = 15 * SECTOR_WEIGHTS[top] + min(5, len(sectors) - 1)
    more = f" and {len(sectors) - 1} more" if len(sectors) > 1 else ""
    return Factor("Sector criticality", f"{top.label} (weight {SECTOR_WEIGHTS[top]:.1f}){more}", points, 20.0)


def compute(inputs: PriorityInputs) -> Priority:
    """The priority of a report with these inputs (see the module's table)."""
    if inputs.cvss_base is not None and not 0.0 <= inputs.cvss_base <= 10.0:
        raise ValueError(f"a CVSS base score is between 0.0 and 10.0, not {inputs.cvss_base}")
    base = UNKNOWN_CVSS if inputs.cvss_base is None else inputs.cvss_base
    factors = (
        Factor(
            "Severity",
            f"CVSS {base:.1f}" if inputs.cvss_base is not None else f"no CVSS vector (counted as {UNKNOWN_CVSS:.1f})",
            4 * base,
            40.0,
        ),
        Factor("Known exploitation", "yes" if inputs.known_exploited else "no", 25.0 if inputs.known_exploited else 0.0, 25.0),
        _sector_factor(inputs.sectors),
        Factor(
            "No fix yet",
            "a fix exists" if inputs.fix_available else "no fix known",
            0.0 if inputs.fix_available else 10.0,
            10.0,
        ),
        Factor("AI-assisted exploitability", "yes" if inputs.ai_assisted else "no", 10.0 if inputs.ai_assisted else 0.0, 10.0),
    )
    score = round(min(100.0, sum(f.points for f in factors)), 1)
    return Priority(score=score, band=_band(score), factors=factors)
