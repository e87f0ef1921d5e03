"""Scan deconfliction's pure rules: CIDR parsing and overlap (property-tested against an
integer-interval oracle and brute force, both families, /0 to /32 and /128), domains, windows."""

from __future__ import annotations

import ipaddress
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.clearinghouse.scans.domain import (
    MAX_WINDOW,
    Domain,
    Network,
    Planned,
    Scope,
    Window,
    check_registration,
    check_window,
    domains_overlap,
    networks_overlap,
    overlap_of,
    parse_domain,
    parse_network,
)
from frontier_review.kernel.errors import FieldProblem, ValidationFailed

BITS = {4: 32, 6: 128}


@st.composite
def networks(draw: st.DrawFn, version: int | None = None) -> Network:
    v = draw(st.sampled_from([4, 6])) if version is None else version
    bits = BITS[v]
    prefix = draw(st.integers(0, bits))
    # Bias towards nearby addresses so that overlaps are common, yet cover the whole space too.
    base = draw(st.one_of(st.integers(0, 2**bits - 1), st.integers(0, 2**12).map(lambda x: (2**bits - 1) & (x << (bits - 16)))))
    host = bits - prefix
    network = (base >> host) << host if host < bits else 0
    cls = ipaddress.IPv4Network if v == 4 else ipaddress.IPv6Network
    return cls((network, prefix))


def interval(n: Network) -> tuple[int, int]:
    return int(n.network_address), int(n.broadcast_address)


def oracle(a: Network, b: Network) -> bool:
    """Integer intervals: [lo, hi] meet, and only within one family."""
    if a.version != b.version:
        return False
    (a_lo, a_hi), (b_lo, b_hi) = interval(a), interval(b)
    return a_lo <= b_hi and b_lo <= a_hi


@given(networks(), networks())
def test_cidr_overlap_matches_the_integer_interval_oracle(a: Network, b: Network) -> None:
    assert networks_overlap(a, b) is oracle(a, b)
    assert networks_overlap(b, a) is networks_overlap(a, b)


@given(st.sampled_from([4, 6]).flatmap(lambda v: st.tuples(networks(v), networks(v))))
def test_cidr_overlap_within_one_family(pair: tuple[Network, Network]) -> None:
    a, b = pair
    assert networks_overlap(a, b) is oracle(a, b)


@given(st.integers(24, 32), st.integers(24, 32), st.integers(0, 255), st.integers(0, 255))
def test_cidr_overlap_by_brute_force_in_a_small_space(pa: int, pb: int, ha: int, hb: int) -> None:
    base = int(ipaddress.IPv4Address("192.0.2.0"))
    a = ipaddress.IPv4Network((base + ha, pa), strict=False)
    b = ipaddress.IPv4Network((base + hb, pb), strict=False)
    assert networks_overlap(a, b) is bool(set(a) & set(b))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("0.0.0.0/0", "203.0.113.7/32", True),
        ("0.0.0.0/0", "::/0", False),
        ("::/0", "2001:db8::1/128", True),
        ("203.0.113.7/32", "203.0.113.7/32", True),
        ("203.0.113.7/32", "203.0.113.8/32", False),
        ("2001:db8::/32", "2001:db9::/32", False),
        ("::ffff:198.51.100.0/120", "198.51.100.0/24", False),  # across families never
        ("255.255.255.255/32", "255.255.255.0/24", True),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "ffff::/16", True),
    ],
    ids=["v4-all-host", "v4-all-v6-all", "v6-all-host", "same-host", "next-host", "v6-neighbours", "mapped", "v4-top", "v6-top"],
)
def test_cidr_overlap_edges(a: str, b: str, expected: bool) -> None:
    assert networks_overlap(parse_network(a), parse_network(b)) is expected


def test_parse_network_names_the_value_and_the_network_meant() -> None:
    with pytest.raises(ValueError, match=r"'10\.1\.2\.3/8' has host bits set; did you mean 10\.0\.0\.0/8\?"):
        parse_network("10.1.2.3/8")
    with pytest.raises(ValueError, match=r"did you mean 2001:db8::/32\?"):
        parse_network("2001:db8::1/32")
    for bad in ("10.0.0.0/33", "2001:db8::/129", "example.com", "1.2.3", "10.0.0.0/-1"):
        with pytest.raises(ValueError, match="is not an IPv4 or IPv6 CIDR range"):
            parse_network(bad)
    assert str(parse_network(" 203.0.113.7 ")) == "203.0.113.7/32"
    assert str(parse_network("2001:DB8::1")) == "2001:db8::1/128"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("example.com", "example.com", True),
        ("example.com", "www.example.com", True),
        ("www.example.com", "example.com", True),
        ("*.example.com", "example.com", True),
        ("*.example.com", "www.example.com", True),
        ("*.a.example.com", "example.com", True),
        ("*.a.example.com", "*.b.example.com", False),
        ("example.com", "badexample.com", False),
        ("example.com", "example.org", False),
    ],
    ids=["same", "sub", "parent", "wild-root", "wild-sub", "wild-deep", "wild-siblings", "suffix-not-label", "other-tld"],
)
def test_domain_overlap(a: str, b: str, expected: bool) -> None:
    assert domains_overlap(parse_domain(a), parse_domain(b)) is expected


LABELS = st.sampled_from(["a", "b", "www", "x"])


@given(st.lists(LABELS, min_size=0, max_size=3), st.lists(LABELS, min_size=0, max_size=3), st.booleans(), st.booleans())
def test_domain_overlap_by_brute_force(xs: list[str], ys: list[str], wa: bool, wb: bool) -> None:
    """Against the sets of names each covers, enumerated to a fixed depth below example.com."""
    a, b = Domain(".".join([*xs, "example", "com"]), wa), Domain(".".join([*ys, "example", "com"]), wb)

    def names(depth: int) -> set[str]:
        out = {"example.com"}
        frontier = {"example.com"}
        for _ in range(depth):
            frontier = {f"{label}.{n}" for n in frontier for label in ("a", "b", "www", "x", "y")}
            out |= frontier
        return out

    def covers(d: Domain, name: str) -> bool:
        under = name == d.root or name.endswith("." + d.root)
        return under and not (d.wildcard and name == d.root)

    universe = names(5)
    assert domains_overlap(a, b) is any(covers(a, n) and covers(b, n) for n in universe)


def test_parse_domain() -> None:
    assert parse_domain("WWW.Example.COM.") == Domain("www.example.com")
    assert parse_domain("*.example.com") == Domain("example.com", wildcard=True)
    assert parse_domain("bücher.example").root == "xn--bcher-kva.example"
    for bad, why in [
        ("localhost", "fully qualified"),
        ("a..example.com", "not a valid host name"),
        ("-a.example.com", "invalid label"),
        ("a_b.example.com", "invalid label"),
        ("a.*.example.com", "wildcard"),
        ("10.0.0.1", "address"),
        ("x" * 64 + ".example.com", "not a valid host name"),
    ]:
        with pytest.raises(ValueError, match=why):
            parse_domain(bad)


T0 = datetime(2026, 7, 1, tzinfo=UTC)


def test_windows() -> None:
    problems: list[FieldProblem] = []
    assert check_window(T0, T0 + MAX_WINDOW, problems) == Window(T0, T0 + MAX_WINDOW) and not problems
    for start, end, field in [
        (T0, T0, "ends_at"),
        (T0, T0 - timedelta(hours=1), "ends_at"),
        (T0, T0 + MAX_WINDOW + timedelta(seconds=1), "ends_at"),
        (None, T0, "starts_at"),
        (T0.replace(tzinfo=None), T0 + timedelta(hours=1), "starts_at"),
    ]:
        problems = []
        assert check_window(start, end, problems) is None
        assert problems[0].field == field
    assert not Window(T0, T0 + timedelta(hours=1)).overlaps(Window(T0 + timedelta(hours=1), T0 + timedelta(hours=2)))
    assert Window(T0, T0 + timedelta(hours=2)).intersection(Window(T0 + timedelta(hours=1), T0 + timedelta(hours=3))) == Window(
        T0 + timedelta(hours=1), T0 + timedelta(hours=2)
    )


def planned(target: uuid.UUID, ranges: tuple[str, ...], domains: tuple[str, ...], start_h: int, end_h: int) -> Planned:
    scope = Scope(
        tuple(parse_network(r) for r in ranges),
        tuple(parse_domain(d) for d in domains),
        Window(T0 + timedelta(hours=start_h), T0 + timedelta(hours=end_h)),
    )
    return Planned(uuid.uuid4(), target, scope)


def test_overlap_needs_same_target_shared_scope_and_window() -> None:
    bank, other = uuid.uuid4(), uuid.uuid4()
    a = planned(bank, ("198.51.100.0/24",), ("bank.example",), 0, 10)
    found = overlap_of(a, planned(bank, ("198.51.100.128/25",), (), 5, 20))
    assert found is not None and found.window == Window(T0 + timedelta(hours=5), T0 + timedelta(hours=10))
    assert found.ranges == (("198.51.100.0/24", "198.51.100.128/25"),) and found.domains == ()
    assert overlap_of(a, planned(other, ("198.51.100.0/24",), (), 0, 10)) is None
    assert overlap_of(a, planned(bank, ("198.51.100.0/24",), (), 10, 20)) is None
    assert overlap_of(a, planned(bank, ("203.0.113.0/24",), ("www.other.example",), 0, 10)) is None
    by_domain = overlap_of(a, planned(bank, (), ("*.bank.example",), 0, 1))
    assert by_domain is not None and by_domain.domains == (("bank.example", "*.bank.example"),)
    assert overlap_of(a, a) is None


def test_registration_collects_every_problem() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_registration(
            target_org_id="nope",
            ranges=["10.0.0.1/8", "garbage"],
            domains=["bad_label.example"],
            starts_at=T0,
            ends_at=T0,
            model_version_id="not-a-uuid",
            model_text="x" * 201,
            purpose="",
        )
    fields = [p.field for p in caught.value.problems]
    assert fields.count("ranges") == 2
    assert {"target_org_id", "domains", "ends_at", "model_version_id", "model_text"} <= set(fields)
