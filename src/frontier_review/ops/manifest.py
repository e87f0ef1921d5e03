"""The backup manifest: what a backup directory holds, written last so a partial backup shows.

Pure: building, serialising and checking the document. Reading and hashing the files is
:mod:`frontier_review.ops.backup`'s job.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from frontier_review.kernel.errors import DomainError

__all__ = [
    "FORMAT",
    "MANIFEST",
    "VERSION",
    "BackupInvalid",
    "BackupKeysRefused",
    "BackupRefused",
    "FileEntry",
    "KeySample",
    "Manifest",
]

FORMAT = "frontier-review-backup"
VERSION = 1
MANIFEST = "manifest.json"


class BackupInvalid(DomainError):
    """The backup directory is partial, altered or not a backup: nothing was restored."""

    code = "backup_invalid"


class BackupRefused(DomainError):
    """The restore would overwrite state or cannot run here: nothing was changed."""

    code = "backup_refused"


class BackupKeysRefused(DomainError):
    """The passphrase or the master key cannot open the backup: nothing was changed."""

    code = "backup_keys"


@dataclass(frozen=True)
class FileEntry:
    """One file of the backup, relative to its directory, with its size and SHA-256."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class KeySample:
    """One data key wrapped by a master key the database uses (not a secret: the dump holds it too).

    Restore unwraps one per master key before touching anything, so a wrong master key or a
    wrong passphrase is found while the target is still as it was.
    """

    master_key_id: str
    data_key_id: uuid.UUID
    wrapped: bytes


@dataclass(frozen=True)
class Manifest:
    """What ``manifest.json`` says about a backup."""

    created_at: datetime
    schema_revision: str
    backend: str  # "sqlite" or "postgresql"
    database_file: str
    row_counts: Mapping[str, int]
    key_samples: tuple[KeySample, ...]
    keys_file: str | None  # the passphrase-sealed key file, or None (--without-keys)
    witness_file: str | None
    files: tuple[FileEntry, ...] = field(default=())

    def to_json(self) -> str:
        """The manifest document (stable key order, so two runs of one state compare equal)."""
        document = {
            "format": FORMAT,
            "version": VERSION,
            "created_at": self.created_at.isoformat(),
            "schema_revision": self.schema_revision,
            "database": {"backend": self.backend, "file": self.database_file, "row_counts": dict(self.row_counts)},
            "keys": {"file": self.keys_file} if self.keys_file else {"file": None, "left_out": True},
            "key_samples": [
                {
                    "master_key_id": s.master_key_id,
                    "data_key_id": str(s.data_key_id),
                    "wrapped": base64.b64encode(s.wrapped).decode(),
                }
                for s in self.key_samples
            ],
            "witness_file": self.witness_file,
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; anything malformed or of an unknown format is ``BackupInvalid``."""
        try:
            doc = json.loads(text)
            if not isinstance(doc, dict) or doc.get("format") != FORMAT:
                raise BackupInvalid("manifest.json is not a Frontier Review backup manifest")
            if doc.get("version") != VERSION:
                found = doc.get("version")
                raise BackupInvalid(f"backup format version {found!r} is not supported (this release reads {VERSION})")
            database = doc["database"]
            return cls(
                created_at=datetime.fromisoformat(doc["created_at"]),
                schema_revision=str(doc["schema_revision"]),
                backend=_one_of(database["backend"], ("sqlite", "postgresql")),
                database_file=_relative(database["file"]),
                row_counts={str(k): int(v) for k, v in dict(database["row_counts"]).items()},
                key_samples=tuple(
                    KeySample(
                        master_key_id=str(s["master_key_id"]),
                        data_key_id=uuid.UUID(str(s["data_key_id"])),
                        wrapped=base64.b64decode(str(s["wrapped"]), validate=True),
                    )
                    for s in doc["key_samples"]
                ),
                keys_file=_relative(doc["keys"]["file"]) if doc["keys"].get("file") else None,
                witness_file=_relative(doc["witness_file"]) if doc.get("witness_file") else None,
                files=tuple(FileEntry(_relative(f["path"]), int(f["size"]), str(f["sha256"])) for f in doc["files"]),
            )
        except BackupInvalid:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupInvalid(f"manifest.json is malformed ({type(exc).__name__}: {exc})") from exc

    def listed(self) -> set[str]:
        """The paths the manifest vouches for."""
        return {f.path for f in self.files}

    def check_complete(self) -> None:
        """Every part the manifest names is among its hashed files."""
        needed = [self.database_file, self.keys_file, self.witness_file]
        missing = [p for p in needed if p is not None and p not in self.listed()]
        if missing:
            raise BackupInvalid(f"manifest.json names {', '.join(missing)} but lists no hash for it")


def _relative(value: Any) -> str:
    """A plain file name inside the backup directory; a path that climbs out is refused."""
    text = str(value)
    if not text or text.startswith("/") or any(part in ("", ".", "..") for part in text.split("/")):
        raise BackupInvalid(f"manifest.json names a path outside the backup: {text!r}")
    return text


def _one_of(value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise BackupInvalid(f"manifest.json names an unknown database backend {value!r}")
    return str(value)
