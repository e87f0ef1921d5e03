"""Passwords: argon2id hashes, verification that never raises, and the acceptance rules."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from frontier_review.security.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    dummy_hash,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)

# This module pins the production parameters, so it opts out of the suite's cheap hashing.
pytestmark = pytest.mark.real_argon2

PASSWORD = "correct horse battery staple"


def test_production_hashes_use_rfc_9106_parameters() -> None:
    params = PasswordHasher().hash(PASSWORD)
    assert hash_password(PASSWORD).split("$")[3] == params.split("$")[3] == "m=65536,t=3,p=4"


@pytest.fixture(scope="module")
def stored() -> str:
    return hash_password(PASSWORD)


def test_hash_is_argon2id_and_salted(stored: str) -> None:
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert hash_password(PASSWORD) != stored


def test_verify(stored: str) -> None:
    assert verify_password(stored, PASSWORD) is True
    assert verify_password(stored, PASSWORD + " ") is False
    assert verify_password(stored, "") is False


@pytest.mark.parametrize("malformed", ["", "plaintext", "$argon2id$garbage", "$2b$12$" + "a" * 53])
def test_malformed_hash_verifies_false(malformed: str) -> None:
    assert verify_password(malformed, PASSWORD) is False


def test_needs_rehash(stored: str) -> None:
    assert needs_rehash(stored) is False
    assert needs_rehash("not a hash") is True
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    assert verify_password(weak, PASSWORD) is True
    assert needs_rehash(weak) is True


def test_dummy_hash_is_a_real_argon2id_hash() -> None:
    assert dummy_hash().startswith("$argon2id$")
    assert dummy_hash() == dummy_hash()
    assert verify_password(dummy_hash(), PASSWORD) is False


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("a" * (MIN_PASSWORD_LENGTH - 1), "at least 12 characters"),
        ("a" * (MAX_PASSWORD_LENGTH + 1), "at most 256 characters"),
        (" " + "a" * 12, "whitespace"),
        ("a" * 12 + "\n", "whitespace"),
        ("\t" + "a" * 12, "whitespace"),
    ],
)
def test_password_problems(password: str, problem: str) -> None:
    found = password_problem(password)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize("password", ["a" * MIN_PASSWORD_LENGTH, "a" * MAX_PASSWORD_LENGTH, PASSWORD, "ünïcödé pässwörd"])
def test_acceptable_passwords(password: str) -> None:
    assert password_problem(password) is None
