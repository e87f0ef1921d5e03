"""Vulnerability report fields, workflow and label rules (clearinghouse/reports/domain.py, fields.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.clearinghouse.reports import fields
from frontier_review.clearinghouse.reports.domain import (
    TRANSITIONS,
    Product,
    ProductInput,
    ReportStatus,
    Tlp,
    affected,
    check_recipient_shape,
    check_relabel,
    check_submission,
    check_transition,
    priority_inputs,
)
from frontier_review.identity.domain import Sector
from frontier_review.kernel.errors import InvalidTransition, ValidationFailed

V31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
V40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


def _submit(**kw: object) -> object:
    base: dict[str, object] = {"title": "Heap overflow in the parser", "description": "Details.", "tlp": "amber"}
    base.update(kw)
    return check_submission(**base)  # type: ignore[arg-type]


def _fields(exc: ValidationFailed) -> set[str]:
    return {p.field for p in exc.problems}


def test_a_full_submission_is_checked_and_scored() -> None:
    s = check_submission(
        title="  Heap   overflow ",
        description=" Details. ",
        tlp="TLP:AMBER+STRICT",
        products=[
            ProductInput(
                "Acme", "Parser", "pkg:pypi/Acme-Parser@1.2", "cpe:2.3:a:acme:parser:1.2:*:*:*:*:*:*:*", "vers:pypi/>=1.0|<1.4"
            )
        ],
        cve_id="cve-2026-12345",
        cwe_ids=["79", "CWE-787", "cwe-79"],
        cvss31=V31,
        cvss40=V40,
        sectors=["financial_services", "energy"],
        references=["https://example.org/advisory"],
        embargo_until="2026-07-01",
        ai_notes="found by an agent",
        ai_assisted_exploitability=True,
    )
    assert s.title == "Heap overflow"
    assert s.tlp is Tlp.AMBER_STRICT
    assert s.cve_id == "CVE-2026-12345"
    assert s.cwe_ids == ("CWE-79", "CWE-787")
    assert s.cvss31 is not None and s.cvss31.base_score == 9.8 and s.cvss31.severity == "Critical"
    assert s.cvss40 is not None and s.cvss40.base_score == 9.3
    assert s.cvss_base == 9.8  # the higher of the two
    assert s.products[0].purl == "pkg:pypi/acme-parser@1.2"  # canonical
    assert s.sectors == {Sector.FINANCIAL_SERVICES, Sector.ENERGY}
    assert s.ai.discovered_with_ai
    inputs = priority_inputs(s, in_kev=True)
    assert inputs.known_exploited and inputs.ai_assisted and not inputs.fix_available


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_submission(
            title="x",
            description="",
            tlp="purple",
            products=[ProductInput("", "P", "not-a-purl", "cpe:2.3:a:bad", "vers:pypi/>=zz")],
            cve_id="CVE-26-1",
            cwe_ids=["CWE-99999999"],
            cvss31="CVSS:3.1/AV:X",
            cvss40="CVSS:3.1/AV:N",
            sectors=["space"],
            references=["ftp://example.org", "javascript:alert(1)"],
            embargo_until="next week",
            ai_model_version_id="nope",
        )
    assert _fields(caught.value) >= {
        "title",
        "description",
        "tlp",
        "products[0].vendor",
        "products[0].purl",
        "products[0].cpe",
        "products[0].versions",
        "cve_id",
        "cwe_ids",
        "cvss31",
        "cvss40",
        "sectors",
        "references",
        "embargo_until",
        "ai_model_version_id",
    }


@pytest.mark.parametrize("value", ["CVE-2026-1234", "CVE-1999-0001", "CVE-2024-1234567"])
def test_cve_ids(value: str) -> None:
    assert fields.cve_id(value) == value


@pytest.mark.parametrize("value", ["CVE-2026-123", "CVE-1998-1234", "2026-1234", "CVE-2026-12a4", ""])
def test_bad_cve_ids(value: str) -> None:
    with pytest.raises(ValueError, match="CVE"):
        fields.cve_id(value)


def test_cwe_catalogue_is_the_shipped_one_and_loaded_once() -> None:
    assert fields.cwe_id("CWE-79") == "CWE-79"
    assert fields.cwe_id("  787 ") == "CWE-787"
    assert fields.cwe_catalogue() is fields.cwe_catalogue()
    with pytest.raises(ValueError, match="not in the CWE catalogue"):
        fields.cwe_id("CWE-99999")


@pytest.mark.parametrize(
    ("vector", "version", "score", "severity"),
    [
        (V31, "3.1", 9.8, "Critical"),
        ("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", "3.1", 1.8, "Low"),
        (V40, "4.0", 9.3, "Critical"),
        ("CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", "4.0", 1.0, "Low"),
    ],
)
def test_cvss_scores_are_computed(vector: str, version: str, score: float, severity: str) -> None:
    got = fields.cvss_score(vector, version)
    assert (got.base_score, got.severity, got.version) == (score, severity, version)


@pytest.mark.parametrize(
    "value", ["cpe:2.3:a:openssl:openssl:3.0.1:*:*:*:*:*:*:*", "cpe:2.3:o:microsoft:windows_10:-:*:*:en-us:*:*:x64:*"]
)
def test_cpe_formatted_strings(value: str) -> None:
    assert fields.cpe23(value) == value


@pytest.mark.parametrize(
    "value",
    [
        "cpe:/a:openssl:openssl:3.0.1",
        "cpe:2.3:x:a:b:c:*:*:*:*:*:*:*",
        "cpe:2.3:a:openssl:openssl:3.0.1:*:*",
        "cpe:2.3:a:a b:c:*:*:*:*:*:*:*:*",
    ],
)
def test_bad_cpe_strings(value: str) -> None:
    with pytest.raises(ValueError, match=r"CPE 2\.3"):
        fields.cpe23(value)


def test_version_ranges_decide_what_is_affected() -> None:
    p = Product("Acme", "Parser", versions="vers:pypi/>=1.0|<1.4.2")
    assert affected(p, "1.0")
    assert affected(p, "1.4.1")
    assert not affected(p, "1.4.2")
    assert not affected(p, "0.9")
    assert affected(Product("Acme", "Parser"), "anything")  # no range: every version
    semver = Product("Acme", "Lib", versions="vers:npm/>=2.0.0|<2.10.0")
    assert affected(semver, "2.9.0") and not affected(semver, "2.10.0")  # compared as versions, not text
    with pytest.raises(ValueError, match="version"):
        affected(p, "not a version!!")


@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))
def test_pypi_ranges_agree_with_integer_order(low: int, high: int, probe: int) -> None:
    lo, hi = min(low, high), max(low, high) + 1
    p = Product("A", "B", versions=f"vers:pypi/>={lo}.0|<{hi}.0")
    assert affected(p, f"{probe}.0") == (lo <= probe < hi)


@given(st.sampled_from(list(ReportStatus)), st.sampled_from(list(ReportStatus)))
def test_the_transition_table_is_the_only_judge(current: ReportStatus, to: ReportStatus) -> None:
    if to in TRANSITIONS[current]:
        check_transition(current, to)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, to)


def test_final_statuses_go_nowhere() -> None:
    for final in (ReportStatus.DISCLOSED, ReportStatus.REJECTED, ReportStatus.DUPLICATE):
        assert not TRANSITIONS[final]


@pytest.mark.parametrize(
    ("label", "orgs", "people", "bad"),
    [
        (Tlp.RED, 0, 1, set()),
        (Tlp.RED, 0, 0, {"recipient_people"}),
        (Tlp.RED, 1, 1, {"recipient_orgs"}),
        (Tlp.AMBER, 2, 0, set()),
        (Tlp.AMBER, 0, 0, set()),
        (Tlp.AMBER_STRICT, 0, 1, {"recipient_people"}),
        (Tlp.GREEN, 1, 0, {"recipient_orgs"}),
        (Tlp.CLEAR, 0, 0, set()),
    ],
)
def test_recipient_shapes(label: Tlp, orgs: int, people: int, bad: set[str]) -> None:
    assert {p.field for p in check_recipient_shape(label, organizations=orgs, people=people)} == bad


@given(st.sampled_from(list(Tlp)), st.sampled_from(list(Tlp)), st.booleans(), st.booleans())
def test_only_the_source_relaxes_and_the_clearinghouse_tightens(current: Tlp, to: Tlp, source: bool, ch: bool) -> None:
    refused = check_relabel(current, to, by_source=source, by_clearinghouse=ch)
    relaxing = list(Tlp).index(to) < list(Tlp).index(current)
    assert (refused is None) == (source or (ch and not relaxing))
