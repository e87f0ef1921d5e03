"""API token format: recognisable prefix, random secret, stored only as its SHA-256 digest."""

from __future__ import annotations

import hashlib
import re

import pytest

from frontier_review.security.tokens import API_TOKEN_PREFIX, digest_token, looks_like_token, mint_token


def test_minted_token_shape() -> None:
    token = mint_token()
    assert re.fullmatch(r"frt_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", token.plaintext), token.plaintext
    assert token.plaintext.split("_", 2)[1] == token.lookup
    assert looks_like_token(token.plaintext)


def test_digest_is_sha256_of_the_whole_token() -> None:
    token = mint_token()
    assert token.digest == hashlib.sha256(token.plaintext.encode()).hexdigest()
    assert digest_token(token.plaintext) == token.digest
    assert token.plaintext not in token.digest


def test_tokens_are_unique() -> None:
    minted = [mint_token() for _ in range(50)]
    assert len({t.plaintext for t in minted}) == 50
    assert len({t.digest for t in minted}) == 50


def test_custom_prefix() -> None:
    token = mint_token("gw")
    assert token.plaintext.startswith("gw_")
    assert looks_like_token(token.plaintext, prefix="gw")
    assert not looks_like_token(token.plaintext)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "frt",
        "frt_1234abcd",
        "xyz_1234abcd_" + "s" * 43,
        "frt_1234abc_" + "s" * 43,
        "frt_1234abcde_" + "s" * 43,
        "frt_1234abcd_" + "s" * 31,
        "Bearer frt_1234abcd_" + "s" * 43,
    ],
)
def test_looks_like_token_rejects_other_shapes(value: str) -> None:
    assert not looks_like_token(value)


def test_looks_like_token_accepts_underscores_in_the_secret() -> None:
    assert looks_like_token("frt_1234abcd_" + "a_b-" * 8)
    assert API_TOKEN_PREFIX == "frt"
