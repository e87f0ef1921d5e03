"""The one address policy for model servers (gateway upstreams and benchmark targets).

Property: every IPv6 form that carries a forbidden IPv4 address is forbidden too, and metadata
addresses are refused even where the operator allows private addresses.
"""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.kernel.errors import ValidationFailed
from frontier_review.security.addresses import METADATA, check_url, embedded_ipv4, forbidden_address

V4 = ipaddress.IPv4Address
V6 = ipaddress.IPv6Address

FORBIDDEN_V4_NETWORKS = [
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "224.0.0.0/4",
    "240.0.0.0/4",
]
METADATA_V4 = sorted(str(a) for a in METADATA if a.version == 4)


def _in(network: str) -> st.SearchStrategy[V4]:
    net = ipaddress.ip_network(network)
    return st.integers(int(net.network_address), int(net.broadcast_address)).map(V4)


forbidden_v4 = st.one_of(*(_in(n) for n in FORBIDDEN_V4_NETWORKS))
metadata_v4 = st.sampled_from(METADATA_V4).map(V4)


def _rfc6052(prefix: int, length: int, v4: V4) -> V6:
    """Embed ``v4`` after a NAT64 prefix of ``length`` bits, as RFC 6052 §2.2 lays it out."""
    bits = f"{int(v4):032b}"
    head = f"{prefix:0128b}"[:length]
    if length < 64:
        body = head + bits[: 64 - length] + "0" * 8 + bits[64 - length :]
    elif length == 64:
        body = head + "0" * 8 + bits
    else:
        body = head + bits
    return V6(int(body.ljust(128, "0"), 2))


def embeddings(v4: V4, low: int) -> list[V6]:
    """Every standard IPv6 form that carries ``v4`` (``low`` fills the free bits)."""
    n = int(v4)
    local = int(V6("64:ff9b:1::"))
    return [
        V6((0xFFFF << 32) | n),  # IPv4-mapped
        V6((0xFFFF << 48) | n),  # IPv4-translated (SIIT)
        V6(n),  # IPv4-compatible (deprecated)
        V6((0x2002 << 112) | (n << 80) | (low & ((1 << 80) - 1))),  # 6to4
        V6((0x2001 << 112) | (n << 64) | (low & 0xFFFFFFFF)),  # Teredo server
        V6((0x2001 << 112) | (low & 0xFFFFFFFF) << 64 | (n ^ 0xFFFFFFFF)),  # Teredo client (inverted)
        V6(int(V6("64:ff9b::")) | n),  # NAT64 well-known prefix
        V6(((low & ((1 << 64) - 1)) << 64) | (0x5EFE << 32) | n),  # ISATAP
        V6(((low & ((1 << 64) - 1)) << 64) | (0x02005EFE << 32) | n),  # ISATAP, universal
        *(_rfc6052(local, length, v4) for length in (48, 56, 64, 96)),  # NAT64 local-use prefix
    ]


@given(v4=forbidden_v4, low=st.integers(0, (1 << 80) - 1))
def test_every_embedding_of_a_forbidden_ipv4_is_forbidden(v4: V4, low: int) -> None:
    assert forbidden_address(v4, allow_private=False)
    for v6 in embeddings(v4, low):
        if int(v6) > 1:  # :: and ::1 are the unspecified and loopback addresses, not embeddings
            assert v4 in embedded_ipv4(v6), v6
        assert forbidden_address(str(v6), allow_private=False), v6


@given(v4=metadata_v4, low=st.integers(0, (1 << 80) - 1), allow_private=st.booleans())
def test_metadata_addresses_are_refused_in_every_form_and_mode(v4: V4, low: int, allow_private: bool) -> None:
    assert forbidden_address(v4, allow_private=allow_private) == "a cloud metadata address"
    for v6 in embeddings(v4, low):
        why = forbidden_address(str(v6), allow_private=allow_private)
        assert why and "metadata" in why, v6


@pytest.mark.parametrize("address", sorted(str(a) for a in METADATA))
def test_metadata_refused_even_with_private_upstreams_allowed(address: str) -> None:
    assert forbidden_address(address, allow_private=True) == "a cloud metadata address"


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "1.1.1.1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert forbidden_address(address, allow_private=False) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "fe80::1%eth0", "fd12::1", "192.168.1.1"])
def test_private_addresses_only_where_the_operator_allows_them(address: str) -> None:
    assert forbidden_address(address, allow_private=False)
    assert forbidden_address(address, allow_private=True) is None


def _resolver(*addresses: str):  # type: ignore[no-untyped-def]
    def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    return resolve


@pytest.mark.parametrize(
    ("url", "resolved", "allow_private", "message"),
    [
        ("http://metadata.example/v1", ["169.254.169.254"], True, "metadata"),
        ("http://[::ffff:a9fe:a9fe]/v1", ["::ffff:169.254.169.254"], True, "metadata"),
        ("http://nat64.example/v1", ["64:ff9b::a9fe:a9fe"], True, "metadata"),
        ("http://sixtofour.example/v1", ["2002:a9fe:a9fe::1"], True, "metadata"),
        ("http://mixed.example/v1", ["8.8.8.8", "10.0.0.1"], False, "private"),
        ("http://loop.example/v1", ["127.0.0.1"], False, "loopback"),
        ("ftp://host/v1", ["8.8.8.8"], True, "http or https"),
        ("http://user:pw@host/v1", ["8.8.8.8"], True, "credentials"),
        ("http://host/v1?key=abc", ["8.8.8.8"], True, "query"),
        ("http://host:99999/v1", ["8.8.8.8"], True, "not a valid URL"),
        ("http://nowhere.example/v1", [], True, "does not resolve"),
    ],
)
def test_check_url_refusals_name_the_problem(url: str, resolved: list[str], allow_private: bool, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as exc:
        check_url(url, require_https=False, allow_private=allow_private, resolve=_resolver(*resolved))
    assert [p.field for p in exc.value.problems] == ["base_url"]


def test_check_url_normalises_and_requires_https_in_production() -> None:
    assert check_url(" https://api.example/v1/ ", require_https=True, allow_private=False, resolve=_resolver("8.8.8.8")) == (
        "https://api.example/v1"
    )
    with pytest.raises(ValidationFailed, match="https"):
        check_url("http://api.example/v1", require_https=True, allow_private=False, resolve=_resolver("8.8.8.8"))
