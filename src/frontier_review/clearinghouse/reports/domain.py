"""Vulnerability report rules (pure): fields, the workflow, and the TLP label rules (DESIGN §3.5).

A report says what is vulnerable (affected products with purl, CPE 2.3 and ``vers`` ranges), how
badly (CVSS 3.1 and 4.0 vectors, scored here, never typed in), what it is (CVE id, CWE ids), whom
it concerns (CISA's sectors), whether an AI model found or exploited it, and under which TLP 2.0
label and named recipients it travels. :func:`check_submission` checks every field at once and
names each bad one. Who *sees* a report is :mod:`.policy` (over ``kernel.tlp``). Nothing does I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from frontier_review.clearinghouse.priority.domain import PriorityInputs
from frontier_review.clearinghouse.reports import fields
from frontier_review.identity.domain import Sector
from frontier_review.kernel import tlp as tlp_rules
from frontier_review.kernel.errors import FieldProblem, InvalidTransition, ValidationFailed

__all__ = [
    "MAX_PRODUCTS",
    "TRANSITIONS",
    "AiInvolvement",
    "Product",
    "ProductInput",
    "ReportStatus",
    "Submission",
    "Tlp",
    "affected",
    "check_products",
    "check_recipient_shape",
    "check_relabel",
    "check_submission",
    "check_transition",
    "priority_inputs",
    "raise_problems",
    "report_link",
]

Tlp = tlp_rules.Label  # one definition of TLP 2.0 for every area

MAX_TITLE = 200
MAX_DESCRIPTION = 50_000
MAX_PRODUCTS = 20
MAX_CWES = 10
MAX_REFERENCES = 20
MAX_AI_NOTES = 2_000
MAX_NAME = 200


class ReportStatus(StrEnum):
    """Where a report stands: ``received → triaged → coordinating → disclosed``, or closed early."""

    RECEIVED = "received"
    TRIAGED = "triaged"
    COORDINATING = "coordinating"
    DISCLOSED = "disclosed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


TRANSITIONS: Mapping[ReportStatus, frozenset[ReportStatus]] = {
    ReportStatus.RECEIVED: frozenset({ReportStatus.TRIAGED, ReportStatus.REJECTED, ReportStatus.DUPLICATE}),
    ReportStatus.TRIAGED: frozenset({ReportStatus.COORDINATING, ReportStatus.REJECTED, ReportStatus.DUPLICATE}),
    ReportStatus.COORDINATING: frozenset({ReportStatus.DISCLOSED, ReportStatus.REJECTED, ReportStatus.DUPLICATE}),
    ReportStatus.DISCLOSED: frozenset(),
    ReportStatus.REJECTED: frozenset(),
    ReportStatus.DUPLICATE: frozenset(),
}
"""The workflow as a table: each status and where it may go next. Disclosed, rejected and duplicate are final."""

OPEN_STATUSES = frozenset({ReportStatus.RECEIVED, ReportStatus.TRIAGED, ReportStatus.COORDINATING})


def check_transition(current: ReportStatus, to: ReportStatus) -> None:
    """Refuse a move the workflow does not allow.

    Raises:
        InvalidTransition: naming both statuses.
    """
    if to not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "nothing (it is final)"
        raise InvalidTransition(f"a {current.value} report cannot become {to.value}; it may become: {allowed}")


def report_link(report_id: uuid.UUID) -> str:
    """The report's page."""
    return f"/clearinghouse/reports/{report_id}"


def raise_problems(problems: Sequence[FieldProblem]) -> None:
    """Raise the problems noted, if any, naming the first.

    Raises:
        ValidationFailed: When ``problems`` is not empty.
    """
    if problems:
        raise ValidationFailed(problems[0].message, problems=list(problems))


@dataclass(frozen=True)
class ProductInput:
    """An affected product as typed (strings; empty means absent)."""

    vendor: str
    product: str
    purl: str = ""
    cpe: str = ""
    versions: str = ""


@dataclass(frozen=True)
class Product:
    """An affected product, checked: purl canonical, CPE 2.3 and ``vers`` range valid."""

    vendor: str
    product: str
    purl: str | None = None
    cpe: str | None = None
    versions: str | None = None


def affected(product: Product, version: str) -> bool:
    """Whether ``version`` of ``product`` is affected: inside its ``vers`` range (every version when none).

    Raises:
        ValueError: a version the range's scheme cannot read.
    """
    if product.versions is None:
        return True
    return fields.vers_affects(product.versions, version)


def _clean(value: str) -> str:
    return " ".join(value.split())


def check_products(items: Iterable[ProductInput], problems: list[FieldProblem]) -> tuple[Product, ...]:
    """Check affected products; blank rows are skipped. Problems are named ``products[i].<field>``."""
    out: list[Product] = []
    rows = [p for p in items if any(_clean(v) for v in (p.vendor, p.product, p.purl, p.cpe, p.versions))]
    if len(rows) > MAX_PRODUCTS:
        problems.append(FieldProblem("products", f"a report lists at most {MAX_PRODUCTS} affected products"))
        return ()
    for i, p in enumerate(rows):
        name = f"products[{i}]"
        vendor, product = _clean(p.vendor), _clean(p.product)
        if not 1 <= len(vendor) <= MAX_NAME:
            problems.append(FieldProblem(f"{name}.vendor", f"product {i + 1}: name the vendor (1 to {MAX_NAME} characters)"))
        if not 1 <= len(product) <= MAX_NAME:
            problems.append(FieldProblem(f"{name}.product", f"product {i + 1}: name the product (1 to {MAX_NAME} characters)"))
        checked: dict[str, str | None] = {}
        for attr, parse in (("purl", fields.purl), ("cpe", fields.cpe23), ("versions", fields.vers_range)):
            raw = getattr(p, attr).strip()
            checked[attr] = None
            if raw:
                try:
                    parse(raw)
                    checked[attr] = fields.purl(raw) if attr == "purl" else raw
                except ValueError as exc:
                    problems.append(FieldProblem(f"{name}.{attr}", f"product {i + 1}: {exc}"))
        out.append(Product(vendor, product, checked["purl"], checked["cpe"], checked["versions"]))
    return tuple(out)


@dataclass(frozen=True)
class AiInvolvement:
    """Whether, and how, an AI model took part.

    Attributes:
        model_version_id: the registered model version that discovered it, if any (the service checks it exists).
        notes: free text: an unregistered model or agent, how it was used.
        assisted_exploitability: exploitation was carried out or demonstrated with an AI model (a priority factor).
    """

    model_version_id: uuid.UUID | None = None
    notes: str = ""
    assisted_exploitability: bool = False

    @property
    def discovered_with_ai(self) -> bool:
        return self.model_version_id is not None or bool(self.notes)


@dataclass(frozen=True)
class Submission:
    """A report's fields, checked. CVSS scores are computed from the vectors."""

    title: str
    description: str
    tlp: Tlp
    products: tuple[Product, ...] = ()
    cve_id: str | None = None
    cwe_ids: tuple[str, ...] = ()
    cvss31: fields.CvssScore | None = None
    cvss40: fields.CvssScore | None = None
    sectors: frozenset[Sector] = frozenset()
    references: tuple[str, ...] = ()
    embargo_until: date | None = None
    ai: AiInvolvement = field(default_factory=AiInvolvement)
    exploited: bool = False
    fix_available: bool = False

    @property
    def cvss_base(self) -> float | None:
        """The base score the priority counts: the higher of the 3.1 and 4.0 scores given (the cautious one)."""
        scores = [s.base_score for s in (self.cvss31, self.cvss40) if s is not None]
        return max(scores) if scores else None


def priority_inputs(s: Submission, *, in_kev: bool) -> PriorityInputs:
    """The formula's inputs: a report counts as known exploited when it says so or its CVE is in the KEV catalogue."""
    return PriorityInputs(
        cvss_base=s.cvss_base,
        known_exploited=s.exploited or in_kev,
        sectors=s.sectors,
        fix_available=s.fix_available,
        ai_assisted=s.ai.assisted_exploitability,
    )


def _parse_tlp(value: str, problems: list[FieldProblem]) -> Tlp | None:
    try:
        return tlp_rules.parse(value)
    except ValueError:
        problems.append(FieldProblem("tlp", f"tlp must be one of: {', '.join(t.value for t in Tlp)}"))
        return None


def _date(value: str | date | None, problems: list[FieldProblem]) -> date | None:
    if value is None or isinstance(value, date):
        return value
    text = value.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(FieldProblem("embargo_until", "embargo_until is a date, YYYY-MM-DD"))
        return None


def _model_version(value: str | uuid.UUID | None, problems: list[FieldProblem]) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        problems.append(FieldProblem("ai_model_version_id", "ai_model_version_id is a registered model version's id"))
        return None


def _check_cwes(values: Iterable[str], problems: list[FieldProblem]) -> tuple[str, ...]:
    cwes: list[str] = []
    raw_cwes = [c for c in values if c.strip()]
    if len(raw_cwes) > MAX_CWES:
        problems.append(FieldProblem("cwe_ids", f"at most {MAX_CWES} CWE ids"))
    for raw in raw_cwes[:MAX_CWES]:
        try:
            cwe = fields.cwe_id(raw)
        except ValueError as exc:
            problems.append(FieldProblem("cwe_ids", str(exc)))
            continue
        if cwe not in cwes:
            cwes.append(cwe)
    return tuple(cwes)


def _check_cvss(raw: str, version: str, name: str, problems: list[FieldProblem]) -> fields.CvssScore | None:
    if not raw.strip():
        return None
    try:
        return fields.cvss_score(raw, version)
    except ValueError as exc:
        problems.append(FieldProblem(name, str(exc)))
        return None


def _check_sectors(values: Iterable[str], problems: list[FieldProblem]) -> frozenset[Sector]:
    chosen: set[Sector] = set()
    for raw in (v.strip().lower() for v in values):
        if not raw:
            continue
        try:
            chosen.add(Sector(raw))
        except ValueError:
            problems.append(FieldProblem("sectors", f"{raw[:40]!r} is not one of CISA's 16 sectors"))
    return frozenset(chosen)


def _check_references(values: Iterable[str], problems: list[FieldProblem]) -> tuple[str, ...]:
    refs: list[str] = []
    raw_refs = [r for r in values if r.strip()]
    if len(raw_refs) > MAX_REFERENCES:
        problems.append(FieldProblem("references", f"at most {MAX_REFERENCES} references"))
    for raw in raw_refs[:MAX_REFERENCES]:
        try:
            url = fields.reference_url(raw)
        except ValueError as exc:
            problems.append(FieldProblem("references", str(exc)))
            continue
        if url not in refs:
            refs.append(url)
    return tuple(refs)


def _check_text(title: str, description: str, problems: list[FieldProblem]) -> tuple[str, str]:
    clean_title = _clean(title)
    if not 3 <= len(clean_title) <= MAX_TITLE:
        problems.append(FieldProblem("title", f"title must have 3 to {MAX_TITLE} characters"))
    text = description.strip()
    if not text:
        problems.append(FieldProblem("description", "describe the vulnerability"))
    elif len(text) > MAX_DESCRIPTION:
        problems.append(FieldProblem("description", f"description must have at most {MAX_DESCRIPTION} characters"))
    return clean_title, text


def check_submission(
    *,
    title: str,
    description: str,
    tlp: str,
    products: Iterable[ProductInput] = (),
    cve_id: str = "",
    cwe_ids: Iterable[str] = (),
    cvss31: str = "",
    cvss40: str = "",
    sectors: Iterable[str] = (),
    references: Iterable[str] = (),
    embargo_until: str | date | None = None,
    ai_model_version_id: str | uuid.UUID | None = None,
    ai_notes: str = "",
    ai_assisted_exploitability: bool = False,
    exploited: bool = False,
    fix_available: bool = False,
) -> Submission:
    """Check every field of a report at once.

    Raises:
        ValidationFailed: naming every bad field (nothing is stored).
    """
    problems: list[FieldProblem] = []
    clean_title, text = _check_text(title, description, problems)
    label = _parse_tlp(tlp, problems)
    checked_products = check_products(products, problems)
    cve: str | None = None
    if cve_id.strip():
        try:
            cve = fields.cve_id(cve_id)
        except ValueError as exc:
            problems.append(FieldProblem("cve_id", str(exc)))
    cwes = _check_cwes(cwe_ids, problems)
    v31 = _check_cvss(cvss31, "3.1", "cvss31", problems)
    v40 = _check_cvss(cvss40, "4.0", "cvss40", problems)
    chosen = _check_sectors(sectors, problems)
    refs = _check_references(references, problems)
    embargo = _date(embargo_until, problems)
    version_id = _model_version(ai_model_version_id, problems)
    notes = ai_notes.strip()
    if len(notes) > MAX_AI_NOTES:
        problems.append(FieldProblem("ai_notes", f"ai_notes must have at most {MAX_AI_NOTES} characters"))
    raise_problems(problems)
    assert label is not None
    return Submission(
        title=clean_title,
        description=text,
        tlp=label,
        products=checked_products,
        cve_id=cve,
        cwe_ids=cwes,
        cvss31=v31,
        cvss40=v40,
        sectors=chosen,
        references=refs,
        embargo_until=embargo,
        ai=AiInvolvement(version_id, notes, ai_assisted_exploitability),
        exploited=exploited,
        fix_available=fix_available,
    )


def check_recipient_shape(label: Tlp, *, organizations: int, people: int) -> list[FieldProblem]:
    """The label's recipient rules: RED names people (at least one); AMBER and AMBER+STRICT name organizations.

    CLEAR and GREEN reach everyone in their audience already, so they name nobody.
    """
    problems: list[FieldProblem] = []
    if label is Tlp.RED:
        if organizations:
            problems.append(FieldProblem("recipient_orgs", "a TLP:RED report names people, not organizations"))
        if not people:
            problems.append(FieldProblem("recipient_people", "a TLP:RED report names at least one person"))
    elif label in {Tlp.AMBER, Tlp.AMBER_STRICT}:
        if people:
            problems.append(FieldProblem("recipient_people", f"a {label.value} report names organizations, not people"))
    elif organizations or people:
        problems.append(FieldProblem("recipient_orgs", f"a {label.value} report names no recipients: its audience is set"))
    return problems


def check_relabel(current: Tlp, to: Tlp, *, by_source: bool, by_clearinghouse: bool) -> str | None:
    """Why this relabelling is refused, or ``None``: only the source relaxes; the clearinghouse may tighten.

    TLP 2.0: the source decides how far its information goes; the coordinating office may only
    restrict it. Keeping the label (to rename recipients) counts as neither.
    """
    relaxing = tlp_rules.rank(to) < tlp_rules.rank(current)
    if by_source:
        return None
    if by_clearinghouse:
        return "only the source relaxes a report's label; the clearinghouse may tighten it" if relaxing else None
    return "only the source and the clearinghouse change a report's label"
