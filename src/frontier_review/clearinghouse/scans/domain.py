"""Planned vulnerability scans and their overlaps (pure): ranges, domains, windows.

A scan names what it will touch (IPv4/IPv6 CIDR ranges parsed with :mod:`ipaddress`, DNS names,
optionally ``*.`` wildcards) and when (a window of at most :data:`MAX_WINDOW`). Two scans
*overlap* when they have the same target organization, share at least one address or one host
name, and their windows intersect (:func:`overlap_of`). Nothing here does I/O.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TypeVar

from frontier_review.kernel.errors import FieldProblem, ValidationFailed

T = TypeVar("T")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_WINDOW = timedelta(days=31)
"""The longest window one registration may hold.

A month keeps the calendar meaningful: a standing year-long "scan" would overlap everything and
tell nobody anything. Longer campaigns register one window per month.
"""
MAX_RANGES = 64
MAX_DOMAINS = 64
MAX_PURPOSE = 5_000
MAX_MODEL_TEXT = 200
MAX_REASON = 2_000

# One DNS label: letters, digits and inner hyphens, 1 to 63 characters (RFC 1035 §2.3.1, RFC 1123 §2.1).
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class ScanStatus(StrEnum):
    """A registration is planned until its scanner cancels it (a window in the past has simply ended)."""

    PLANNED = "planned"
    CANCELLED = "cancelled"


def parse_network(text: str) -> Network:
    """A CIDR range (``192.0.2.0/24``, ``2001:db8::/32``; a bare address is a /32 or /128).

    Raises:
        ValueError: With a message naming the value; for host bits set, also the network meant.
    """
    value = text.strip()
    if not value:
        raise ValueError("an empty range")
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as exc:
        try:
            meant = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ValueError(f"{value[:80]!r} is not an IPv4 or IPv6 CIDR range") from exc
        raise ValueError(f"{value[:80]!r} has host bits set; did you mean {meant}?") from exc


def networks_overlap(a: Network, b: Network) -> bool:
    """True when two ranges share an address; ranges of different families never do.

    CIDR blocks are nested or disjoint, so they share an address exactly when one holds the
    other's first address.
    """
    if a.version != b.version:
        return False
    return a.network_address in b or b.network_address in a


@dataclass(frozen=True, order=True)
class Domain:
    """A host name and everything under it; ``wildcard`` (``*.example.com``) means only what is under it.

    Either way, two domains overlap exactly when one's root is the other's or an ancestor of it:
    ``example.com`` and ``*.example.com`` share ``www.example.com``; ``*.a.example.com`` and
    ``example.com`` share ``x.a.example.com``.
    """

    root: str
    wildcard: bool = False

    def __str__(self) -> str:
        return f"*.{self.root}" if self.wildcard else self.root


def parse_domain(text: str) -> Domain:
    """A host name (``scan.example.com``, an internationalised name, or ``*.example.com``), lowercased.

    Raises:
        ValueError: With a message naming the value and what is wrong with it.
    """
    value = text.strip().lower().rstrip(".")
    shown = f"{text.strip()[:80]!r}"
    wildcard = value.startswith("*.")
    name = value[2:] if wildcard else value
    if "*" in name:
        raise ValueError(f"{shown}: a wildcard is only allowed as the whole first label (*.example.com)")
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(f"{shown} is not a valid host name") from exc
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise ValueError(f"{shown} is not a fully qualified host name (example.com)")
    if len(ascii_name) > 253:
        raise ValueError(f"{shown} is longer than 253 characters")
    bad = next((label for label in labels if not _LABEL.fullmatch(label)), None)
    if bad is not None:
        raise ValueError(f"{shown} has an invalid label {bad[:63]!r} (letters, digits and inner hyphens only)")
    if labels[-1].isdigit():
        raise ValueError(f"{shown} looks like an address, not a host name; put addresses in ranges")
    return Domain(ascii_name, wildcard)


def _under(name: str, root: str) -> bool:
    return name == root or name.endswith("." + root)


def domains_overlap(a: Domain, b: Domain) -> bool:
    """True when some host name falls under both (see :class:`Domain`)."""
    return _under(a.root, b.root) or _under(b.root, a.root)


@dataclass(frozen=True)
class Window:
    """A half-open interval ``[starts_at, ends_at)`` in UTC: a scan ending at 10:00 and one starting then do not overlap."""

    starts_at: datetime
    ends_at: datetime

    def overlaps(self, other: Window) -> bool:
        return self.starts_at < other.ends_at and other.starts_at < self.ends_at

    def intersection(self, other: Window) -> Window | None:
        if not self.overlaps(other):
            return None
        return Window(max(self.starts_at, other.starts_at), min(self.ends_at, other.ends_at))


def check_window(starts_at: datetime | None, ends_at: datetime | None, problems: list[FieldProblem]) -> Window | None:
    """The window, or None with the problems noted (both ends given, timezone-aware, end after start, not too long)."""
    if starts_at is None:
        problems.append(FieldProblem("starts_at", "give the time the scan starts"))
    if ends_at is None:
        problems.append(FieldProblem("ends_at", "give the time the scan ends"))
    if starts_at is None or ends_at is None:
        return None
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        problems.append(FieldProblem("starts_at", "times need a time zone (UTC is assumed nowhere)"))
        return None
    if ends_at <= starts_at:
        problems.append(FieldProblem("ends_at", "the window must end after it starts"))
        return None
    if ends_at - starts_at > MAX_WINDOW:
        problems.append(
            FieldProblem("ends_at", f"a window is at most {MAX_WINDOW.days} days; register longer campaigns month by month")
        )
        return None
    return Window(starts_at, ends_at)


def _check_each(
    values: Iterable[str], parse: Callable[[str], T], field: str, limit: int, noun: str, problems: list[FieldProblem]
) -> tuple[T, ...]:
    """Every value parsed (blanks skipped, duplicates dropped, order kept); each bad one noted on ``field``."""
    out: list[T] = []
    for raw in values:
        if not raw.strip():
            continue
        try:
            parsed = parse(raw)
        except ValueError as exc:
            problems.append(FieldProblem(field, str(exc)))
            continue
        if parsed not in out:
            out.append(parsed)
    if len(out) > limit:
        problems.append(FieldProblem(field, f"at most {limit} {noun} per scan"))
    return tuple(out)


def check_ranges(values: Iterable[str], problems: list[FieldProblem]) -> tuple[Network, ...]:
    """Every range parsed (duplicates dropped, order kept); each bad one noted on ``ranges``."""
    return _check_each(values, parse_network, "ranges", MAX_RANGES, "ranges", problems)


def check_domains(values: Iterable[str], problems: list[FieldProblem]) -> tuple[Domain, ...]:
    """Every domain parsed (duplicates dropped, order kept); each bad one noted on ``domains``."""
    return _check_each(values, parse_domain, "domains", MAX_DOMAINS, "domains", problems)


def split_lines(text: str) -> list[str]:
    """Values typed one per line, or separated by commas or spaces (forms)."""
    return [part for part in re.split(r"[\s,]+", text) if part]


@dataclass(frozen=True)
class Scope:
    """What a scan touches and when: the part of a registration its overlaps depend on."""

    ranges: tuple[Network, ...]
    domains: tuple[Domain, ...]
    window: Window


def check_scope(
    ranges: Iterable[str],
    domains: Iterable[str],
    starts_at: datetime | None,
    ends_at: datetime | None,
    problems: list[FieldProblem],
) -> Scope | None:
    """The scope, or None with every problem noted (at least one range or domain)."""
    nets = check_ranges(ranges, problems)
    doms = check_domains(domains, problems)
    if not nets and not doms and not any(p.field in {"ranges", "domains"} for p in problems):
        problems.append(FieldProblem("ranges", "name at least one address range or domain to scan"))
    window = check_window(starts_at, ends_at, problems)
    if window is None or any(p.field in {"ranges", "domains"} for p in problems):
        return None
    return Scope(nets, doms, window)


@dataclass(frozen=True)
class Registration:
    """A new scan's fields, checked."""

    target_org_id: uuid.UUID
    scope: Scope
    model_version_id: uuid.UUID | None
    model_text: str
    purpose: str


def check_registration(
    *,
    target_org_id: uuid.UUID | str | None,
    ranges: Iterable[str],
    domains: Iterable[str],
    starts_at: datetime | None,
    ends_at: datetime | None,
    model_version_id: uuid.UUID | str | None,
    model_text: str,
    purpose: str,
) -> Registration:
    """Check every field of a new scan at once.

    Raises:
        ValidationFailed: Naming every bad field (nothing is stored).
    """
    problems: list[FieldProblem] = []
    target = _uuid(target_org_id, "target_org_id", "choose the organization whose assets are scanned", problems)
    version = _uuid(
        model_version_id, "model_version_id", "the model version is not a registered version id", problems, optional=True
    )
    scope = check_scope(ranges, domains, starts_at, ends_at, problems)
    text = " ".join(model_text.split())
    if len(text) > MAX_MODEL_TEXT:
        problems.append(FieldProblem("model_text", f"describe the model or agent in at most {MAX_MODEL_TEXT} characters"))
    clean_purpose = purpose.strip()
    if len(clean_purpose) > MAX_PURPOSE:
        problems.append(FieldProblem("purpose", f"purpose and notes have at most {MAX_PURPOSE} characters"))
    raise_problems(problems)
    assert target is not None
    assert scope is not None
    return Registration(target, scope, version, text, clean_purpose)


def _uuid(
    value: uuid.UUID | str | None, field: str, message: str, problems: list[FieldProblem], *, optional: bool = False
) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    if value is None or not str(value).strip():
        if not optional:
            problems.append(FieldProblem(field, message))
        return None
    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        problems.append(FieldProblem(field, message))
        return None


def raise_problems(problems: Sequence[FieldProblem]) -> None:
    """Raise the problems noted, if any, naming the first.

    Raises:
        ValidationFailed: When ``problems`` is not empty.
    """
    if problems:
        raise ValidationFailed(problems[0].message, problems=list(problems))


def check_reason(reason: str) -> str:
    """An objection's reason: required, at most :data:`MAX_REASON` characters.

    Raises:
        ValidationFailed: On ``reason``.
    """
    text = reason.strip()
    if not text:
        raise ValidationFailed("say why you object, so the scanner can answer", field="reason")
    if len(text) > MAX_REASON:
        raise ValidationFailed(f"a reason has at most {MAX_REASON} characters", field="reason")
    return text


@dataclass(frozen=True)
class Planned:
    """A registered scan as the overlap rule sees it."""

    id: uuid.UUID
    target_org_id: uuid.UUID
    scope: Scope


@dataclass(frozen=True)
class Overlap:
    """How two scans of one target collide: the shared window and the pairs of ranges and domains that meet."""

    window: Window
    ranges: tuple[tuple[str, str], ...]
    domains: tuple[tuple[str, str], ...]


def overlap_of(a: Planned, b: Planned) -> Overlap | None:
    """The overlap of two scans, or None.

    Same target organization AND (a range overlaps — never across families — OR a domain
    overlaps) AND the windows intersect. A scan never overlaps itself.
    """
    if a.id == b.id or a.target_org_id != b.target_org_id:
        return None
    window = a.scope.window.intersection(b.scope.window)
    if window is None:
        return None
    ranges = tuple((str(x), str(y)) for x in a.scope.ranges for y in b.scope.ranges if networks_overlap(x, y))
    domains = tuple((str(x), str(y)) for x in a.scope.domains for y in b.scope.domains if domains_overlap(x, y))
    if not ranges and not domains:
        return None
    return Overlap(window, ranges, domains)


def scope_of(ranges: Iterable[str], domains: Iterable[str], starts_at: datetime, ends_at: datetime) -> Scope:
    """A stored scope, read back (its values were checked when written)."""
    return Scope(tuple(parse_network(r) for r in ranges), tuple(parse_domain(d) for d in domains), Window(starts_at, ends_at))


def scan_link(scan_id: uuid.UUID) -> str:
    """The scan's page."""
    return f"/clearinghouse/scans/{scan_id}"
