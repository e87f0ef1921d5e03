"""What a vulnerability report's technical fields may say (pure): CVE, CWE, CVSS, purl, CPE, vers.

Every parser takes the raw value and returns the checked one, or raises ``ValueError`` with a
message a person can act on; :mod:`.domain` turns those into ``FieldProblem``s naming the field.
The standards' own libraries do the parsing and scoring — ``cvss`` (FIRST's CVSS 3.1 and 4.0
specifications), ``packageurl-python`` (the purl specification), ``univers`` (the ``vers``
version-range specification) and ``cwe2`` (MITRE's CWE catalogue, shipped with it) — and CPE 2.3
formatted strings are matched against the grammar of NISTIR 7695 §6.2. Nothing does I/O except
reading the CWE catalogue ``cwe2`` ships, once per process (:func:`cwe_catalogue`).
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import cast
from urllib.parse import urlsplit

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError
from packageurl import PackageURL
from univers.version_range import RANGE_CLASS_BY_SCHEMES, VersionRange
from univers.versions import Version

__all__ = [
    "CvssScore",
    "cpe23",
    "cve_id",
    "cvss_score",
    "cwe_catalogue",
    "cwe_id",
    "purl",
    "reference_url",
    "vers_affects",
    "vers_range",
]

CVE_RE = re.compile(r"^CVE-(\d{4})-(\d{4,19})$")

# NISTIR 7695 §6.2 (and the CPE 2.3 XML schema's pattern): 13 colon-separated components, the
# part one of a/h/o, language a tag, and every other attribute a quoted, escaped value or a logical one.
_AVSTRING = r"""(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!"#$%&'\(\)\+,/:;<=>@\[\]\^`\{\|\}~]))+(\?*|\*?))|[\*\-])"""
_LANGUAGE = r"(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\*\-])"
CPE23_RE = re.compile(rf"^cpe:2\.3:[aho\*\-](:{_AVSTRING}){{5}}(:{_LANGUAGE})(:{_AVSTRING}){{4}}$")


def cve_id(value: str) -> str:
    """A CVE id, ``CVE-YYYY-NNNN`` with four or more digits (CVE numbering since 2014), upper-cased."""
    text = value.strip().upper()
    match = CVE_RE.match(text)
    if match is None:
        raise ValueError(f"{value.strip()[:40]!r} is not a CVE id (CVE-YYYY-NNNN, four or more digits)")
    if int(match.group(1)) < 1999:
        raise ValueError(f"{text}: CVE ids start in 1999")
    return text


@cache
def cwe_catalogue() -> frozenset[int]:
    """Every CWE id in the catalogue ``cwe2`` ships (weaknesses, categories and views), read once.

    Loaded lazily and cached for the process: checking an id is then a set lookup.
    """
    from cwe2 import mappings  # imported here: the catalogue is read on first use only

    ids: set[int] = set()
    tables = (mappings.navigate_cwe, mappings.external_mapping, mappings.helpful_view, mappings.obsolete_views)
    for table in tables:
        for entry in table.values():
            with open(entry["csv_file"], encoding="utf-8") as handle:
                for row in csv.DictReader(handle):
                    raw = (row.get("CWE-ID") or "").strip()
                    if raw.isdigit():
                        ids.add(int(raw))
    root = ET.parse(mappings.xml_database_path).getroot()  # noqa: S314 - the packaged catalogue
    for element in root.iter():
        raw = element.attrib.get("ID", "")
        if raw.isdigit() and element.tag.rsplit("}", 1)[-1] in {"Weakness", "Category", "View"}:
            ids.add(int(raw))
    return frozenset(ids)


def cwe_id(value: str) -> str:
    """A CWE id in the shipped catalogue, written ``CWE-79`` (``79`` and ``cwe-79`` are accepted)."""
    text = value.strip().upper().removeprefix("CWE-")
    if not text.isdigit():
        raise ValueError(f"{value.strip()[:40]!r} is not a CWE id (CWE-79)")
    if int(text) not in cwe_catalogue():
        raise ValueError(f"CWE-{int(text)} is not in the CWE catalogue")
    return f"CWE-{int(text)}"


@dataclass(frozen=True)
class CvssScore:
    """A CVSS vector with what its specification computes from it (never typed in)."""

    version: str  # "3.1" or "4.0"
    vector: str
    base_score: float
    severity: str  # None, Low, Medium, High, Critical


def cvss_score(value: str, version: str) -> CvssScore:
    """Parse and score a CVSS vector of ``version`` ("3.1" or "4.0").

    Raises:
        ValueError: the vector is not a valid CVSS ``version`` vector.
    """
    text = value.strip()
    prefix = f"CVSS:{version}/"
    if not text.startswith(prefix):
        raise ValueError(f"a CVSS {version} vector starts with {prefix}")
    try:
        if version == "3.1":
            v3 = CVSS3(text)
            return CvssScore("3.1", v3.clean_vector(), float(v3.scores()[0]), str(v3.severities()[0]))
        v4 = CVSS4(text)
        return CvssScore("4.0", v4.clean_vector(), float(v4.base_score), str(v4.severity))
    except CVSSError as exc:
        raise ValueError(f"not a valid CVSS {version} vector: {exc}") from exc


def purl(value: str) -> str:
    """A package URL (``pkg:pypi/django@4.2``), in its canonical form."""
    try:
        parsed = PackageURL.from_string(value.strip())
    except ValueError as exc:
        raise ValueError(f"not a valid package URL: {exc}") from exc
    return str(parsed.to_string())


def cpe23(value: str) -> str:
    """A CPE 2.3 formatted string (``cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*``)."""
    text = value.strip()
    if not CPE23_RE.match(text):
        raise ValueError("not a CPE 2.3 formatted string (cpe:2.3:part:vendor:product:version:… with 13 components)")
    return text


def vers_range(value: str) -> VersionRange:
    """A ``vers:`` version range (``vers:pypi/>=1.0|<1.4.2``), parsed by its scheme's rules.

    Raises:
        ValueError: not a ``vers`` string, an unknown scheme, or versions the scheme cannot read.
    """
    text = value.strip()
    if not text.startswith("vers:"):
        raise ValueError("a version range is written as vers:<scheme>/<constraints>, e.g. vers:pypi/>=1.0|<1.4.2")
    scheme = text[5:].split("/", 1)[0]
    if scheme not in RANGE_CLASS_BY_SCHEMES:
        raise ValueError(f"unknown version scheme {scheme[:20]!r} (pypi, npm, maven, deb, gem, nuget, generic, …)")
    try:
        parsed: VersionRange = VersionRange.from_string(text)  # type: ignore[no-untyped-call]
    except Exception as exc:  # univers raises many kinds for bad constraints; all mean "bad input"
        raise ValueError(f"not a valid version range: {exc}") from exc
    return parsed


def vers_affects(versions: str, version: str) -> bool:
    """Whether ``version`` is inside the ``vers`` range ``versions``, compared by the scheme's rules.

    Raises:
        ValueError: a bad range, or a version the scheme cannot read.
    """
    parsed = vers_range(versions)
    try:
        # ``version_class`` is declared None on the base class; every scheme's range class sets it.
        candidate = cast("Callable[[str], Version]", parsed.version_class)(version.strip())
    except Exception as exc:  # the version class raises its own errors for unreadable versions
        raise ValueError(f"{version.strip()[:40]!r} is not a {parsed.scheme} version") from exc
    return bool(candidate in parsed)


def reference_url(value: str) -> str:
    """An http or https URL with a host."""
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc or any(c.isspace() for c in text):
        raise ValueError(f"{text[:60]!r} is not an http(s) URL")
    if len(text) > 2000:
        raise ValueError("a reference URL has at most 2000 characters")
    return text
