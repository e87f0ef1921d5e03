"""Finding rules (pure): categories, severities, statuses, TLP labels, field checks, who may be named.

Who *sees* a finding is in :mod:`.policy` (over ``kernel.tlp``); here is what a finding may say
and whom its finder may name. Nothing does I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, TypeVar

from frontier_review.engagements.findings.policy import TLP_LEVELS
from frontier_review.kernel import tlp as tlp_rules
from frontier_review.kernel.errors import FieldProblem, ValidationFailed
from frontier_review.kernel.principal import OrgKind

MAX_TITLE = 200
MAX_DESCRIPTION = 50_000
MAX_COMMENT = 20_000
E = TypeVar("E", bound=StrEnum)


class Category(StrEnum):
    """What kind of finding it is."""

    OFFENSIVE_CYBER_CAPABILITY = "offensive_cyber_capability"
    SAFEGUARD_BYPASS = "safeguard_bypass"
    THIRD_PARTY_VULNERABILITY = "third_party_vulnerability"
    OTHER = "other"


CATEGORY_LABELS: dict[Category, str] = {
    Category.OFFENSIVE_CYBER_CAPABILITY: "Offensive-cyber capability",
    Category.SAFEGUARD_BYPASS: "Safeguard bypass",
    Category.THIRD_PARTY_VULNERABILITY: "Vulnerability in third-party software",
    Category.OTHER: "Other",
}


class Severity(StrEnum):
    """How severe the finder judges it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


class FindingStatus(StrEnum):
    """The developer's answer; any status may follow any other (a finding can be reopened)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    WONT_FIX = "wont_fix"
    DISPUTED = "disputed"


Tlp = tlp_rules.Label  # TLP 2.0 labels, least to most restricted; one definition for every area


class _HasSeverity(Protocol):
    @property
    def severity(self) -> Severity: ...


def count_by_severity(findings: Iterable[_HasSeverity]) -> dict[Severity, int]:
    """How many findings of each severity, most severe first, zeros included (for the UI)."""
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts


def finding_link(engagement_id: uuid.UUID, finding_id: uuid.UUID) -> str:
    """The finding's page."""
    return f"/engagements/{engagement_id}/findings/{finding_id}"


def choice(enum: type[E], value: str | None, name: str, problems: list[FieldProblem]) -> E | None:
    """``value`` as a member of ``enum`` (case-insensitive), or None with a problem noted."""
    try:
        return enum((value or "").strip().lower())
    except ValueError:
        problems.append(FieldProblem(name, f"{name} must be one of: {', '.join(e.value for e in enum)}"))
        return None


def parse_tlp(value: str, problems: list[FieldProblem]) -> Tlp | None:
    """A TLP 2.0 label (``TLP:AMBER`` or ``amber``), or None with a problem noted."""
    try:
        return tlp_rules.parse(value)
    except ValueError:
        problems.append(FieldProblem("tlp", f"tlp must be one of: {', '.join(TLP_LEVELS)}"))
        return None


def raise_problems(problems: list[FieldProblem]) -> None:
    """Raise the problems noted, if any, naming the first.

    Raises:
        ValidationFailed: When ``problems`` is not empty.
    """
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)


@dataclass(frozen=True)
class Filing:
    """A finding's fields, checked."""

    title: str
    category: Category
    severity: Severity
    description: str
    tlp: Tlp


def check_filing(title: str, category: str, severity: str, description: str, tlp: str) -> Filing:
    """Check every field of a new finding at once.

    Raises:
        ValidationFailed: Naming every bad field (nothing is stored).
    """
    problems: list[FieldProblem] = []
    clean_title = " ".join(title.split())
    if not 3 <= len(clean_title) <= MAX_TITLE:
        problems.append(FieldProblem("title", f"title must have 3 to {MAX_TITLE} characters"))
    parsed_category = choice(Category, category, "category", problems)
    parsed_severity = choice(Severity, severity, "severity", problems)
    text = description.strip()
    if not text:
        problems.append(FieldProblem("description", "describe the finding"))
    elif len(text) > MAX_DESCRIPTION:
        problems.append(FieldProblem("description", f"description must have at most {MAX_DESCRIPTION} characters"))
    parsed_tlp = parse_tlp(tlp, problems)
    raise_problems(problems)
    assert parsed_category is not None
    assert parsed_severity is not None
    assert parsed_tlp is not None
    return Filing(clean_title, parsed_category, parsed_severity, text, parsed_tlp)


def may_be_named(
    org_id: uuid.UUID | None, org_kind: OrgKind | None, *, active: bool, developer_org_id: uuid.UUID, finder_org_id: uuid.UUID
) -> bool:
    """Whether someone may be named on a finding.

    Only active members of the developer, the program office or the finder's organization may be.
    """
    entitled = org_id is not None and (org_id in {developer_org_id, finder_org_id} or org_kind is OrgKind.PROGRAM_OFFICE)
    return active and entitled
