"""The backup manifest and the passphrase-sealed key file, without a database."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from frontier_review.ops.manifest import BackupInvalid, BackupKeysRefused, FileEntry, KeySample, Manifest
from frontier_review.ops.passphrase import open_keys, seal_keys

MANIFEST = Manifest(
    created_at=datetime(2026, 6, 2, 12, 0, tzinfo=UTC),
    schema_revision="0016",
    backend="sqlite",
    database_file="database.sqlite",
    row_counts={"users": 3, "audit_entries": 12},
    key_samples=(KeySample("mk_0123456789abcdef", uuid.UUID(int=7), b"\x01" * 60),),
    keys_file="keys.enc",
    witness_file=None,
    files=(FileEntry("database.sqlite", 4096, "a" * 64), FileEntry("keys.enc", 500, "b" * 64)),
)


def test_a_manifest_reads_back_as_written() -> None:
    again = Manifest.from_json(MANIFEST.to_json())
    assert again == MANIFEST
    again.check_complete()


@pytest.mark.parametrize(
    ("edit", "words"),
    [
        (lambda d: d.update(format="something-else"), "not a Frontier Review backup"),
        (lambda d: d.update(version=2), "not supported"),
        (lambda d: d["files"][0].update(path="../outside"), "outside the backup"),
        (lambda d: d["files"][0].update(path="/etc/passwd"), "outside the backup"),
        (lambda d: d["database"].update(backend="oracle"), "unknown database backend"),
        (lambda d: d.pop("key_samples"), "malformed"),
        (lambda d: d.update(created_at="yesterday"), "malformed"),
    ],
)
def test_a_malformed_manifest_is_refused_by_name(edit: Callable[[dict[str, Any]], object], words: str) -> None:
    document = json.loads(MANIFEST.to_json())
    edit(document)
    with pytest.raises(BackupInvalid, match=words):
        Manifest.from_json(json.dumps(document))


def test_a_manifest_naming_a_part_without_a_hash_is_incomplete() -> None:
    document = json.loads(MANIFEST.to_json())
    document["files"] = document["files"][:1]
    with pytest.raises(BackupInvalid, match=r"keys\.enc"):
        Manifest.from_json(json.dumps(document)).check_complete()


def test_the_key_file_opens_only_with_its_passphrase() -> None:
    document = {"version": 1, "active": "mk_x", "keys": [{"id": "mk_x", "key": "AAAA"}]}
    sealed = seal_keys(document, "correct horse battery staple")
    assert b"AAAA" not in sealed
    assert open_keys(sealed, "correct horse battery staple") == document
    with pytest.raises(BackupKeysRefused, match="wrong backup passphrase"):
        open_keys(sealed, "correct horse battery stapler")
    with pytest.raises(BackupKeysRefused, match="at least 12"):
        seal_keys(document, "short")


def test_doctored_kdf_parameters_are_refused_before_any_work() -> None:
    sealed = json.loads(seal_keys({"version": 1}, "correct horse battery staple"))
    sealed["kdf"]["n"] = 2**30  # would allocate a terabyte
    with pytest.raises(BackupInvalid, match="parameters"):
        open_keys(json.dumps(sealed).encode(), "correct horse battery staple")
    with pytest.raises(BackupInvalid, match="malformed"):
        open_keys(b"not json", "correct horse battery staple")
