"""Subscriptions (pure): what an organization subscribes to, what a notice is, and when one matches.

An organization subscribes to the clearinghouse's reports by critical-infrastructure sector and
by product (package-URL or CPE 2.3 prefixes), above a minimum priority, and chooses how it is
told: in the app, by email, by signed webhook. Whether the organization may see a report at all
is not decided here: the reports' TLP audience answers that (``may_receive`` in the service).

The webhook format, its signature and the retry schedule live in :mod:`.webhooks`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from packageurl import PackageURL

from frontier_review.clearinghouse.priority.domain import Band
from frontier_review.identity.domain import Sector
from frontier_review.kernel.errors import FieldProblem, ValidationFailed

__all__ = [
    "BAND_FLOOR",
    "MAX_PRODUCTS",
    "Channel",
    "Criteria",
    "ReportNotice",
    "check_criteria",
    "matches",
    "parse_minimum",
    "parse_product",
    "product_matches",
]

MAX_NAME = 120
MAX_PRODUCTS = 50
MAX_URL = 2000

BAND_FLOOR: dict[Band, float] = {Band.CRITICAL: 80.0, Band.HIGH: 60.0, Band.MEDIUM: 40.0, Band.LOW: 0.0}
"""The lowest score of each band (``priority.domain``): a minimum given as a band is its floor."""


class Channel(StrEnum):
    """How a subscribing organization is told of a matching report."""

    IN_APP = "in_app"
    EMAIL = "email"
    WEBHOOK = "webhook"

    @property
    def label(self) -> str:
        return {"in_app": "In the app", "email": "Email", "webhook": "Webhook"}[self.value]


@dataclass(frozen=True)
class ReportNotice:
    """What the reports slice tells subscriptions about a report that reached more people.

    Built by the composition root from the reports' ``ReportDisseminated`` event; nothing here
    knows the reports' tables.

    Attributes:
        report_id: the report.
        title: its title (sent only to organizations that may see the report).
        label: its TLP 2.0 label (``TLP:AMBER``).
        sectors: the affected sectors.
        purls: the affected products as package URLs.
        cpes: the affected products as CPE 2.3 names.
        priority_score: its remediation priority, 0–100.
        priority_band: that priority's band.
        url_path: the report's page, relative to the site (``/clearinghouse/reports/<id>``).
        validated: whether the clearinghouse validated it (unvalidated reports say so).
    """

    report_id: uuid.UUID
    title: str
    label: str
    sectors: frozenset[Sector]
    purls: tuple[str, ...]
    cpes: tuple[str, ...]
    priority_score: float
    priority_band: Band
    url_path: str
    validated: bool


@dataclass(frozen=True)
class Criteria:
    """A subscription's checked criteria and channels.

    Attributes:
        name: what the organization calls it.
        sectors: sectors subscribed to.
        products: package-URL or CPE 2.3 prefixes, normalised (:func:`parse_product`).
        min_score: the lowest priority score notified (0–100).
        channels: how the organization is told.
        webhook_url: where webhooks go (with the webhook channel only).
    """

    name: str
    sectors: frozenset[Sector]
    products: tuple[str, ...]
    min_score: float
    channels: frozenset[Channel]
    webhook_url: str | None


# CPE 2.3 formatted string binding (NISTIR 7695 §6.2): components separated by unescaped colons;
# "*" is ANY and "-" is NA; otherwise alphanumerics, "_", "-", ".", quoted punctuation and the
# wildcards "?" and "*" at either end.
_CPE_COMPONENT = re.compile(r"^(\*|-|[?*]?(?:[A-Za-z0-9._\-]|\\[\\!\"#$%&'()+,/:;<=>@\[\]^`{|}~?*-])+[?*]?)$")
_CPE_UNESCAPED_COLON = re.compile(r"(?<!\\):")
_CPE_FIELDS = (
    13  # "cpe", "2.3", part, vendor, product, version, update, edition, language, sw_edition, target_sw, target_hw, other
)


def _cpe_components(text: str) -> list[str]:
    return _CPE_UNESCAPED_COLON.split(text)


def _parse_cpe(text: str) -> str:
    parts = _cpe_components(text)
    if len(parts) < 4 or parts[0].lower() != "cpe" or parts[1] != "2.3":
        raise ValueError("a CPE 2.3 prefix reads cpe:2.3:<part>:<vendor>[:<product>…]")
    if len(parts) > _CPE_FIELDS:
        raise ValueError(f"a CPE 2.3 name has at most {_CPE_FIELDS - 2} components after cpe:2.3")
    if parts[2].lower() not in {"a", "o", "h", "*"}:
        raise ValueError("a CPE 2.3 part is a (application), o (operating system), h (hardware) or *")
    for component in parts[3:]:
        if not _CPE_COMPONENT.match(component):
            raise ValueError(f"{component!r} is not a valid CPE 2.3 component")
    return ":".join(p.lower() for p in parts)


def _parse_purl(text: str) -> str:
    try:
        purl = PackageURL.from_string(text)
    except ValueError as exc:
        raise ValueError(f"not a valid package URL ({exc})") from None
    if purl.qualifiers or purl.subpath:
        raise ValueError("a package-URL prefix names type, namespace, name and optionally a version, not qualifiers or a subpath")
    return str(purl.to_string())


def parse_product(text: str) -> str:
    """A product prefix, validated and normalised: a package URL or a CPE 2.3 prefix.

    ``pkg:pypi/django`` (every version of Django on PyPI), ``pkg:maven/org.apache`` (every package
    under that namespace), ``pkg:pypi/django@4.2.1`` (one version), ``cpe:2.3:a:djangoproject:django``.

    Raises:
        ValueError: naming what is wrong with it.
    """
    value = text.strip()
    if value.lower().startswith("pkg:"):
        return _parse_purl(value)
    if value.lower().startswith("cpe:"):
        return _parse_cpe(value)
    raise ValueError("a product is a package URL (pkg:type/namespace/name) or a CPE 2.3 prefix (cpe:2.3:a:vendor:product)")


def _purl_parts(text: str) -> tuple[list[str], str | None] | None:
    try:
        purl = PackageURL.from_string(text.strip())
    except ValueError:
        return None
    segments = [purl.type.lower(), *(purl.namespace.split("/") if purl.namespace else []), purl.name]
    return segments, purl.version


def product_matches(prefix: str, product: str) -> bool:
    """Whether ``product`` (a report's purl or CPE) falls under the subscription's ``prefix``.

    Prefixes match at component boundaries, never as raw strings: ``pkg:pypi/django`` matches
    ``pkg:pypi/django@4.2`` but not ``pkg:pypi/django-extensions``; ``pkg:maven/org.apache``
    matches ``pkg:maven/org.apache/commons-text``. A prefix with a version matches that version
    only. A CPE prefix matches a CPE whose leading components are equal (``*`` in the prefix
    matches any value), case-insensitively.
    """
    if prefix.startswith("pkg:"):
        mine, theirs = _purl_parts(prefix), _purl_parts(product)
        if mine is None or theirs is None:
            return False
        (want, want_version), (have, have_version) = mine, theirs
        if want_version is not None:
            return want == have and want_version == have_version
        return have[: len(want)] == want
    if prefix.startswith("cpe:"):
        if not product.lower().startswith("cpe:2.3:"):
            return False
        want_parts = _cpe_components(prefix.lower())
        have_parts = _cpe_components(product.strip().lower())
        if len(have_parts) < len(want_parts):
            have_parts += ["*"] * (len(want_parts) - len(have_parts))
        return all(w in {"*", h} for w, h in zip(want_parts, have_parts, strict=False))
    return False


def matches(criteria: Criteria, notice: ReportNotice) -> bool:
    """Whether the notice matches: a sector or a product in common, at or above the minimum priority."""
    if notice.priority_score < criteria.min_score:
        return False
    if criteria.sectors & notice.sectors:
        return True
    products = (*notice.purls, *notice.cpes)
    return any(product_matches(prefix, product) for prefix in criteria.products for product in products)


def parse_minimum(value: str | float | None) -> float:
    """A minimum priority: a score from 0 to 100, or a band name (its floor); empty is 0.

    Raises:
        ValueError: neither a score in range nor a band.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0.0
    if isinstance(value, str):
        text = value.strip().lower()
        for band, floor in BAND_FLOOR.items():
            if text == band.value:
                return floor
        try:
            score = float(text)
        except ValueError:
            raise ValueError("min_priority is a score from 0 to 100 or a band: low, medium, high, critical") from None
    else:
        score = float(value)
    if not 0.0 <= score <= 100.0:
        raise ValueError("min_priority is a score from 0 to 100 or a band: low, medium, high, critical")
    return round(score, 1)


def _sectors(values: Iterable[str], problems: list[FieldProblem]) -> frozenset[Sector]:
    found: set[Sector] = set()
    for raw in values:
        text = raw.strip().lower()
        if not text:
            continue
        try:
            found.add(Sector(text))
        except ValueError:
            problems.append(FieldProblem("sectors", f"{raw[:60]!r} is not one of CISA's sixteen sectors"))
    return frozenset(found)


def _products(values: Iterable[str], problems: list[FieldProblem]) -> tuple[str, ...]:
    found: list[str] = []
    for raw in values:
        if not raw.strip():
            continue
        try:
            product = parse_product(raw)
        except ValueError as exc:
            problems.append(FieldProblem("products", f"{raw.strip()[:80]!r}: {exc}"))
            continue
        if product not in found:
            found.append(product)
    if len(found) > MAX_PRODUCTS:
        problems.append(FieldProblem("products", f"a subscription names at most {MAX_PRODUCTS} products"))
    return tuple(found)


def _channels(values: Iterable[str], problems: list[FieldProblem]) -> frozenset[Channel]:
    found: set[Channel] = set()
    bad = False
    for raw in values:
        try:
            found.add(Channel(raw.strip().lower()))
        except ValueError:
            bad = True
            problems.append(FieldProblem("channels", f"channels are: {', '.join(c.value for c in Channel)}"))
    if not found and not bad:
        problems.append(FieldProblem("channels", "choose at least one channel"))
    return frozenset(found)


def check_criteria(
    *,
    name: str,
    sectors: Iterable[str],
    products: Iterable[str],
    min_priority: str | float | None,
    channels: Iterable[str],
    webhook_url: str | None,
) -> Criteria:
    """Check every field of a subscription at once (the webhook URL's address is the service's).

    Raises:
        ValidationFailed: naming every bad field.
    """
    problems: list[FieldProblem] = []
    clean_name = " ".join(name.split())
    if not 1 <= len(clean_name) <= MAX_NAME:
        problems.append(FieldProblem("name", f"name must have 1 to {MAX_NAME} characters"))
    parsed_sectors = _sectors(sectors, problems)
    parsed_products = _products(products, problems)
    if not parsed_sectors and not parsed_products and not any(p.field in {"sectors", "products"} for p in problems):
        problems.append(FieldProblem("sectors", "subscribe to at least one sector or product"))
    try:
        minimum = parse_minimum(min_priority)
    except ValueError as exc:
        problems.append(FieldProblem("min_priority", str(exc)))
        minimum = 0.0
    parsed_channels = _channels(channels, problems)
    url = (webhook_url or "").strip() or None
    if Channel.WEBHOOK in parsed_channels and url is None:
        problems.append(FieldProblem("webhook_url", "the webhook channel needs a webhook URL"))
    if url is not None and len(url) > MAX_URL:
        problems.append(FieldProblem("webhook_url", f"webhook_url has at most {MAX_URL} characters"))
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)
    return Criteria(
        name=clean_name,
        sectors=parsed_sectors,
        products=parsed_products,
        min_score=minimum,
        channels=parsed_channels,
        webhook_url=url if Channel.WEBHOOK in parsed_channels else None,
    )
