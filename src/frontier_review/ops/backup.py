"""Back up and restore a whole instance: the database, the master keys and the audit witness.

A backup directory holds the database snapshot (``database.sqlite`` or ``database.pgdump``),
the key file sealed under the operator's passphrase (``keys.enc``, unless left out), a copy of
the audit witness file, and ``manifest.json``, written last: a backup without it did not finish.

Sealed artifacts and evidence live in the database (``sealed_chunks``), so the snapshot carries
them. The rest of the data directory needs no backup: the SQLite job queue, the upload spool
(ciphertext under keys that died with the process), evaluation runs' scratch logs, and the
session secret (a new one only signs everyone out).

Restore checks everything before it changes anything: the manifest and every file's hash, the
schema revision, the passphrase and that the master keys unwrap the backed-up data keys, and
that the target is empty. Only then does it write.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from frontier_review.config import Settings
from frontier_review.db import migrate
from frontier_review.kernel.keys import MasterKeys, UnknownMasterKey
from frontier_review.ops import databases
from frontier_review.ops.manifest import (
    MANIFEST,
    BackupInvalid,
    BackupKeysRefused,
    BackupRefused,
    FileEntry,
    KeySample,
    Manifest,
)
from frontier_review.ops.passphrase import open_keys, seal_keys
from frontier_review.security import envelope
from frontier_review.security.keyfile import keyring_document, write_private_file

__all__ = ["RestoreReport", "create_backup", "read_manifest", "restore_backup"]

KEYS_FILE = "keys.enc"
WITNESS_FILE = "audit-witness.jsonl"
_HASH_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class RestoreReport:
    """What a restore did."""

    manifest: Manifest
    upgraded_from: str | None  # the backup's revision when the schema was migrated after restoring
    key_file_written: Path | None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _database_url(settings: Settings) -> str:
    return settings.resolved_database_url


def _held_keys(settings: Settings) -> MasterKeys:
    """The master keys this process is configured with, without generating a key file."""
    from frontier_review.security.keyring import KeyringSource

    if settings.master_key is None and not settings.resolved_master_key_file.exists():
        raise BackupKeysRefused(
            f"no master key is configured (FR_MASTER_KEY unset and no key file at {settings.resolved_master_key_file})"
        )
    return KeyringSource(settings).current()


def _key_document(settings: Settings) -> dict[str, Any]:
    """The key file to put in the backup: the file itself, or the keys of FR_MASTER_KEY as one."""
    keys = _held_keys(settings)
    if settings.master_key is None:
        document: dict[str, Any] = json.loads(settings.resolved_master_key_file.read_text(encoding="utf-8"))
        return document
    ordered = [keys.keys[keys.active_id], *(k for kid, k in keys.keys.items() if kid != keys.active_id)]
    return keyring_document(ordered, origin="operator")


def _check_samples(samples: Sequence[KeySample], keys: MasterKeys, source: str) -> None:
    """Unwrap one data key per master key the backup uses: proof the keys are the right ones."""
    for sample in samples:
        try:
            envelope.unwrap_data_key(keys, sample.master_key_id, sample.data_key_id, sample.wrapped)
        except UnknownMasterKey as exc:
            raise BackupKeysRefused(
                f"wrong master key: the backed-up data is wrapped by master key {sample.master_key_id}, "
                f"which {source} does not hold"
            ) from exc
        except envelope.DecryptionFailed as exc:
            raise BackupKeysRefused(
                f"wrong master key: {source} has a key named {sample.master_key_id} but it does not unwrap the backed-up data"
            ) from exc


def create_backup(settings: Settings, directory: Path, *, passphrase: str | None, now: datetime) -> Manifest:
    """Write a backup of the instance ``settings`` describes into ``directory`` (new or empty).

    ``passphrase`` seals the master keys into the backup; ``None`` leaves them out.
    """
    if directory.exists() and any(directory.iterdir()):
        raise BackupRefused(f"{directory} is not empty; a backup goes into a new or empty directory")
    # Sealed first: a short passphrase or a missing key is refused before any copying starts.
    sealed_keys = seal_keys(_key_document(settings), passphrase) if passphrase is not None else None
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    url = _database_url(settings)
    if url.startswith("sqlite"):
        backend, database_file = "sqlite", "database.sqlite"
        state = databases.snapshot_sqlite(url, directory / database_file)
    else:
        backend, database_file = "postgresql", "database.pgdump"
        state = databases.dump_postgres(url, directory / database_file)
    os.chmod(directory / database_file, 0o600)
    _fsync(directory / database_file)
    if sealed_keys is not None:
        # The keys must open what they are meant to restore; otherwise say so now, not at restore.
        _check_samples(state.key_samples, _held_keys(settings), "the configured key source")
        _write_private(directory / KEYS_FILE, sealed_keys)
    witness = settings.resolved_audit_witness_path
    witness_file = None
    if witness.exists():
        data = witness.read_bytes()
        # Lines are appended whole under a lock; a line still being written is left for the next backup.
        _write_private(directory / WITNESS_FILE, data[: data.rfind(b"\n") + 1])
        witness_file = WITNESS_FILE
    names = [database_file, *([KEYS_FILE] if sealed_keys else []), *([witness_file] if witness_file else [])]
    manifest = Manifest(
        created_at=now,
        schema_revision=state.revision,
        backend=backend,
        database_file=database_file,
        row_counts=state.row_counts,
        key_samples=state.key_samples,
        keys_file=KEYS_FILE if sealed_keys else None,
        witness_file=witness_file,
        files=tuple(FileEntry(n, (directory / n).stat().st_size, _sha256(directory / n)) for n in names),
    )
    # Last, and atomically: its presence is what says the backup is complete.
    staging = directory / (MANIFEST + ".tmp")
    _write_private(staging, manifest.to_json().encode("utf-8"))
    os.replace(staging, directory / MANIFEST)
    _fsync(directory)
    return manifest


def read_manifest(directory: Path) -> Manifest:
    """The backup's manifest, after checking every file it lists against its size and hash."""
    path = directory / MANIFEST
    if not directory.is_dir():
        raise BackupInvalid(f"{directory} is not a directory")
    if not path.exists():
        raise BackupInvalid(f"{directory} has no {MANIFEST}: not a backup, or a backup that did not finish")
    manifest = Manifest.from_json(path.read_text(encoding="utf-8"))
    manifest.check_complete()
    for entry in manifest.files:
        file = directory / entry.path
        if not file.is_file():
            raise BackupInvalid(f"the backup is incomplete: {entry.path} is missing")
        if file.stat().st_size != entry.size or _sha256(file) != entry.sha256:
            raise BackupInvalid(f"the backup is damaged or altered: {entry.path} does not match its SHA-256 in {MANIFEST}")
    return manifest


def _schema_check(url: str, revision: str) -> bool:
    """True when the backup's schema is older than the code's; refuses a revision the code does not know."""
    scripts = ScriptDirectory.from_config(migrate.alembic_config(url))
    head = scripts.get_current_head()
    try:
        known = scripts.get_revision(revision)
    except CommandError:
        known = None
    if known is None:
        raise BackupRefused(
            f"the backup's schema revision {revision} is newer than this release's (head {head}): "
            "restore it with the release that made it, or a later one"
        )
    return revision != head


def _keys_to_restore(
    settings: Settings, manifest: Manifest, directory: Path, passphrase: Callable[[], str]
) -> tuple[MasterKeys, dict[str, Any] | None]:
    """The keys the restored instance will run with, and the key file to write (if any)."""
    if settings.master_key is not None:
        keys = _held_keys(settings)
        _check_samples(manifest.key_samples, keys, "FR_MASTER_KEY")
        return keys, None
    if manifest.keys_file is None:
        if not settings.resolved_master_key_file.exists():
            raise BackupKeysRefused(
                "this backup was made --without-keys: put the instance's master key file at "
                f"{settings.resolved_master_key_file} (or set FR_MASTER_KEY) before restoring"
            )
        keys = _held_keys(settings)
        _check_samples(manifest.key_samples, keys, f"the key file {settings.resolved_master_key_file}")
        return keys, None
    document = open_keys((directory / manifest.keys_file).read_bytes(), passphrase())
    try:
        held = {envelope.master_key_id(k): k for k in (envelope.decode_key(str(e["key"])) for e in document["keys"])}
        keys = MasterKeys(active_id=str(document["active"]), keys=held)
    except (KeyError, TypeError, ValueError) as exc:
        raise BackupInvalid(f"the backup's key file is not a Frontier Review key file ({type(exc).__name__})") from exc
    _check_samples(manifest.key_samples, keys, "the backup's key file")
    return keys, document


def restore_backup(settings: Settings, directory: Path, *, passphrase: Callable[[], str], force: bool = False) -> RestoreReport:
    """Restore the backup in ``directory`` into the database, key file and witness ``settings`` name.

    ``passphrase`` is asked only when the backup carries keys. ``force`` replaces a non-empty
    database, key file or witness file; without it the restore refuses and changes nothing.
    """
    manifest = read_manifest(directory)
    url = _database_url(settings)
    backend = "sqlite" if url.startswith("sqlite") else "postgresql"
    if backend != manifest.backend:
        raise BackupRefused(f"this is a backup of a {manifest.backend} database, but FR_DATABASE_URL names a {backend} one")
    older = _schema_check(url, manifest.schema_revision)
    _keys, key_document = _keys_to_restore(settings, manifest, directory, passphrase)
    key_path = settings.resolved_master_key_file if key_document is not None else None
    witness = settings.resolved_audit_witness_path if manifest.witness_file else None
    if not force:
        occupied = [p for p in (key_path, witness) if p is not None and p.exists()]
        if not databases.is_empty(url):
            raise BackupRefused("the target database is not empty; restore into an empty one, or pass --force to replace it")
        if occupied:
            raise BackupRefused(f"{occupied[0]} exists; restore onto a fresh data directory, or pass --force to replace it")
    dump = directory / manifest.database_file
    if backend == "sqlite":
        databases.restore_sqlite(dump, url, dict(manifest.row_counts), replace=force)
    else:
        databases.restore_postgres(dump, url, dict(manifest.row_counts), replace=force)
    if key_path is not None and key_document is not None:
        write_private_file(key_path, json.dumps(key_document, indent=2))
    if witness is not None and manifest.witness_file is not None:
        write_private_file(witness, (directory / manifest.witness_file).read_text(encoding="utf-8"))
    if older:
        migrate.upgrade(url)
    return RestoreReport(manifest=manifest, upgraded_from=manifest.schema_revision if older else None, key_file_written=key_path)
