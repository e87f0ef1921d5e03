"""One address policy for every outbound connection the platform makes to a model server (pure).

Gateway upstreams (the developer's endpoints) and benchmark targets (the program office's) both
pass through :func:`check_url` when registered and :func:`forbidden_address` when connected to.
The only I/O is name resolution, done by an injectable resolver.

Rules:

* Cloud metadata endpoints are refused in every mode, even when the operator allows private
  addresses (``FR_GATEWAY_ALLOW_PRIVATE_UPSTREAMS``): a model server must never be a way to
  read the instance's cloud credentials.
* Otherwise only globally routable unicast addresses are allowed, unless the operator allows
  private ones (loopback, RFC 1918, link-local, CGNAT, unique-local, …).
* An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible, IPv4-translated,
  6to4, Teredo, ISATAP, NAT64 with the well-known or a local-use prefix) is judged by the IPv4
  addresses it carries as well as by itself: ``::ffff:169.254.169.254`` or
  ``64:ff9b::a9fe:a9fe`` reach the metadata service as surely as ``169.254.169.254``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlparse

from frontier_review.kernel.errors import ValidationFailed

__all__ = ["Resolver", "check_url", "embedded_ipv4", "forbidden_address", "system_resolver"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]

# Instance metadata and platform-agent endpoints of the common clouds (AWS IMDS, its IPv6 form,
# time sync and DNS, ECS task credentials and EKS pod identity; Azure's wire server; GCP's IPv6
# metadata; Alibaba's metadata). Refused even where private upstreams are allowed.
METADATA: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.169.253",
        "169.254.169.123",
        "169.254.170.2",
        "169.254.170.23",
        "168.63.129.16",
        "100.100.100.200",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "fd20:ce::254",
    )
)

# Special-purpose ranges refused in strict mode whatever the Python version's idea of "global"
# (its tables have changed between releases): IETF protocol assignments, CGNAT, benchmarking,
# "this network", class E, documentation, discard-only, NAT64 local use, ORCHIDv2.
_NOT_ROUTABLE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "240.0.0.0/4",
        "100::/64",
        "2001::/23",
        "2001:db8::/32",
        "64:ff9b:1::/48",
        "fc00::/7",
    )
)
_NAT64_WELL_KNOWN = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _rfc6052(value: int, prefix_length: int) -> ipaddress.IPv4Address:
    """The IPv4 address embedded after a NAT64 prefix of ``prefix_length`` (RFC 6052 §2.2).

    Its 32 bits follow the prefix, skipping bits 64 to 71 (the ``u`` octet).
    """
    bits = f"{value:0128b}"
    if prefix_length < 64:
        payload = bits[prefix_length:64] + bits[72:]
    elif prefix_length == 64:
        payload = bits[72:]
    else:
        payload = bits[96:]
    return ipaddress.IPv4Address(int(payload[:32], 2))


def embedded_ipv4(ip: IPAddress) -> list[ipaddress.IPv4Address]:
    """Every IPv4 address an IPv6 address may carry, in any of the standard embeddings.

    Args:
        ip: any address; an IPv4 address carries none.

    Returns:
        The candidates (possibly several: a local-use NAT64 prefix may be of any RFC 6052 length,
        so each position is returned, and Teredo carries a server and a client).
    """
    if isinstance(ip, ipaddress.IPv4Address):
        return []
    value = int(ip)
    found: list[ipaddress.IPv4Address] = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _IPV4_TRANSLATED or ip in _NAT64_WELL_KNOWN or (ip in _IPV4_COMPATIBLE and value > 1):
        found.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    if ip in _NAT64_LOCAL:
        found.extend(_rfc6052(value, length) for length in (48, 56, 64, 96))
    # ISATAP: an interface identifier of 0000:5efe or 0200:5efe followed by the IPv4 address.
    if (value >> 32) & 0xFDFFFFFF == 0x00005EFE:
        found.append(ipaddress.IPv4Address(value & 0xFFFFFFFF))
    return list(dict.fromkeys(found))


def _own_reason(ip: IPAddress, *, allow_private: bool) -> str | None:
    if ip in METADATA:
        return "a cloud metadata address"
    if allow_private:
        return None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    special = ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified or not ip.is_global
    if special or any(ip.version == net.version and ip in net for net in _NOT_ROUTABLE):
        return "a private or reserved address"
    return None


def forbidden_address(address: str | IPAddress, *, allow_private: bool) -> str | None:
    """Why no model server may be reached at ``address`` (None when it may).

    Args:
        address: an IP address (text, with an optional IPv6 zone, or parsed).
        allow_private: the operator allows private and loopback addresses (never metadata ones).

    Returns:
        A short reason such as ``"a cloud metadata address"``, or None.
    """
    ip = ipaddress.ip_address(address.split("%", maxsplit=1)[0]) if isinstance(address, str) else address
    if isinstance(ip, ipaddress.IPv6Address) and ip.scope_id:
        ip = ipaddress.IPv6Address(int(ip))
    inner = embedded_ipv4(ip)
    # Metadata first, so that the reason names it whatever else is wrong with the address.
    if ip in METADATA:
        return "a cloud metadata address"
    for v4 in inner:
        if v4 in METADATA:
            return f"a cloud metadata address ({v4}) inside an IPv6 address"
    why = _own_reason(ip, allow_private=allow_private)
    if why:
        return why
    for v4 in inner:
        inner_why = _own_reason(v4, allow_private=allow_private)
        if inner_why:
            return f"{inner_why} ({v4}) inside an IPv6 address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, through the system resolver."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_url(
    url: str,
    *,
    require_https: bool,
    allow_private: bool,
    field: str = "base_url",
    resolve: Resolver = system_resolver,
) -> str:
    """A model server's base URL, normalised, whose host resolves only to addresses we may reach.

    Args:
        url: the URL as given.
        require_https: refuse plain http (production).
        allow_private: the operator's ``FR_GATEWAY_ALLOW_PRIVATE_UPSTREAMS``.
        field: the input field named in errors.
        resolve: ``(host, port) → addresses``; the system resolver by default.

    Returns:
        The URL without surrounding blanks or a trailing slash.

    Raises:
        ValidationFailed: a malformed URL, credentials, a query or fragment, an unresolvable host,
            or any resolved address that the policy refuses (every address counts: one forbidden
            address among many refuses the name).
    """
    text = url.strip()
    try:
        parsed = urlparse(text)
        port = parsed.port
    except ValueError:
        raise ValidationFailed(f"{field} is not a valid URL", field=field) from None
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise ValidationFailed(f"{field} must be an http or https URL", field=field)
    if require_https and parsed.scheme != "https":
        raise ValidationFailed(f"{field} must use https in production", field=field)
    if parsed.username or parsed.password or parsed.fragment or parsed.query:
        raise ValidationFailed(f"{field} must not carry credentials, a query or a fragment; the key goes in api_key", field=field)
    try:
        addresses = list(resolve(parsed.hostname, port or (443 if parsed.scheme == "https" else 80)))
    except (OSError, UnicodeError):
        raise ValidationFailed(f"the host {parsed.hostname!r} does not resolve", field=field) from None
    if not addresses:
        raise ValidationFailed(f"the host {parsed.hostname!r} does not resolve", field=field)
    for address in addresses:
        try:
            why = forbidden_address(address, allow_private=allow_private)
        except ValueError:
            why = "an address that is not an IP address"
        if why:
            raise ValidationFailed(f"the host {parsed.hostname!r} resolves to {why}, which is refused", field=field)
    return text.rstrip("/")
