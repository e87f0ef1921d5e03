"""Bearer token format: a recognisable prefix, 256 random bits, stored only as a hash.

A token reads ``frt_<lookup>_<secret>``. Only its SHA-256 digest is stored (the secret has
256 bits of entropy, so a slow hash adds nothing); ``<lookup>`` is shown in listings so a
user can tell their tokens apart without the secret.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

__all__ = ["API_TOKEN_PREFIX", "NewToken", "digest_token", "looks_like_token", "mint_token"]

API_TOKEN_PREFIX = "frt"  # noqa: S105 - a public prefix


@dataclass(frozen=True)
class NewToken:
    """A freshly minted token: ``plaintext`` is shown once and never stored."""

    plaintext: str
    lookup: str
    digest: str


def mint_token(prefix: str = API_TOKEN_PREFIX) -> NewToken:
    """Create a new random token with ``prefix``."""
    lookup = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    plaintext = f"{prefix}_{lookup}_{secret}"
    return NewToken(plaintext=plaintext, lookup=lookup, digest=digest_token(plaintext))


def digest_token(plaintext: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def looks_like_token(value: str, prefix: str = API_TOKEN_PREFIX) -> bool:
    """Cheap shape check before touching the database."""
    parts = value.split("_", 2)
    return len(parts) == 3 and parts[0] == prefix and len(parts[1]) == 8 and len(parts[2]) >= 32
