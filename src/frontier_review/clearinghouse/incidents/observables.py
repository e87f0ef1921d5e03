"""Indicators of an intrusion as typed observables (pure), named as STIX 2.1 names them.

Each kind is a STIX 2.1 cyber-observable (§6): ``ipv4-addr`` and ``ipv6-addr`` (an address or a
CIDR block, §6.13/§6.14), ``domain-name`` (§6.3), ``url`` (§6.17), ``email-addr`` (§6.4), and a
``file`` known by one hash (§6.7, hash names from ``hash-algorithm-ov``: ``MD5``, ``SHA-1``,
``SHA-256``). The kinds' values are what forms and the API send; :attr:`Kind.stix_type` and
:attr:`Kind.hash_algorithm` are what a STIX adapter writes, so that adapter stays thin.

Values are checked per kind and stored normalised (lower-case hashes and domains, compressed
addresses), so two reports of the same indicator compare equal.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

__all__ = ["MAX_INDICATORS", "Kind", "Observable", "normalise"]

MAX_INDICATORS = 200
MAX_VALUE = 2048


class Kind(StrEnum):
    """What an indicator is; the value is what forms and the API send."""

    IPV4 = "ipv4-addr"
    IPV6 = "ipv6-addr"
    DOMAIN = "domain-name"
    URL = "url"
    EMAIL = "email-addr"
    MD5 = "file:MD5"
    SHA1 = "file:SHA-1"
    SHA256 = "file:SHA-256"

    @property
    def stix_type(self) -> str:
        """The STIX 2.1 cyber-observable type (``file`` for the hashes)."""
        return self.value.split(":", 1)[0]

    @property
    def hash_algorithm(self) -> str | None:
        """The STIX ``hash-algorithm-ov`` name of a file hash, None for the other kinds."""
        return self.value.split(":", 1)[1] if ":" in self.value else None

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Kind.IPV4: "IPv4 address or block",
    Kind.IPV6: "IPv6 address or block",
    Kind.DOMAIN: "Domain name",
    Kind.URL: "URL",
    Kind.EMAIL: "E-mail address",
    Kind.MD5: "File MD5",
    Kind.SHA1: "File SHA-1",
    Kind.SHA256: "File SHA-256",
}
_HEX_LENGTH = {Kind.MD5: 32, Kind.SHA1: 40, Kind.SHA256: 64}
_HEX = re.compile(r"[0-9a-f]+")
# RFC 1035 labels (letters, digits, inner hyphens), checked after IDNA encoding; at least two labels.
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


@dataclass(frozen=True)
class Observable:
    """One checked indicator."""

    kind: Kind
    value: str


def _address(kind: Kind, text: str) -> str:
    version = 4 if kind is Kind.IPV4 else 6
    try:
        if "/" in text:
            net = ipaddress.ip_network(text, strict=False)
            if net.version != version:
                raise ValueError
            return str(net)
        addr = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"not an IPv{version} address or CIDR block") from None
    if addr.version != version:
        raise ValueError(f"not an IPv{version} address or CIDR block")
    return str(addr)


def _domain(text: str) -> str:
    name = text.rstrip(".").lower()
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("not a domain name") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        raise ValueError("not a domain name (like example.com)")
    return name


def _url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme.lower() not in {"http", "https", "ftp", "ftps", "ws", "wss"} or not parts.hostname:
        raise ValueError("not a URL (like https://example.com/path)")
    if any(c.isspace() for c in text):
        raise ValueError("a URL has no spaces")
    return text


def _email(text: str) -> str:
    try:
        return validate_email(text, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError("not an e-mail address") from None


def _hash(kind: Kind, text: str) -> str:
    digest = text.lower()
    length = _HEX_LENGTH[kind]
    if len(digest) != length or not _HEX.fullmatch(digest):
        raise ValueError(f"an {kind.hash_algorithm} hash is {length} hexadecimal digits")
    return digest


def normalise(kind: str, value: str) -> Observable:
    """The indicator ``value`` of ``kind``, checked and normalised.

    Args:
        kind: A :class:`Kind` value (``ipv4-addr``, ``file:SHA-256``, …).
        value: What was typed.

    Raises:
        ValueError: An unknown kind, or a value that is not one of that kind (the message says which).
    """
    try:
        parsed = Kind(kind.strip())
    except ValueError:
        raise ValueError(f"type must be one of: {', '.join(k.value for k in Kind)}") from None
    text = value.strip()
    if not text:
        raise ValueError("enter a value")
    if len(text) > MAX_VALUE or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError(f"at most {MAX_VALUE} printable characters")
    if parsed in {Kind.IPV4, Kind.IPV6}:
        return Observable(parsed, _address(parsed, text))
    if parsed is Kind.DOMAIN:
        return Observable(parsed, _domain(text))
    if parsed is Kind.URL:
        return Observable(parsed, _url(text))
    if parsed is Kind.EMAIL:
        return Observable(parsed, _email(text))
    return Observable(parsed, _hash(parsed, text))
