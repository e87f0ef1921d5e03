"""Where master keys come from: ``FR_MASTER_KEY`` or a key file (generated in dev only).

The key file is JSON with mode 0600::

    {"version": 1, "origin": "generated" | "operator", "active": "mk_…",
     "keys": [{"id": "mk_…", "key": "<base64>", "created_at": "…"}]}

A process re-reads the file when it meets a data key wrapped by a master key it does not
hold yet; that is what lets ``keys rotate`` run while servers keep serving.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from frontier_review.config import ConfigurationError, Environment, Settings
from frontier_review.security.envelope import (
    MasterKeys,
    decode_key,
    encode_key,
    generate_key,
    master_key_id,
)


def write_private_file(path: Path, content: str) -> None:
    """Write ``content`` atomically to ``path`` with mode 0600 (directory 0700)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def keyring_document(
    keys: list[bytes], *, origin: str, now: datetime | None = None, created: dict[str, str] | None = None
) -> dict[str, Any]:
    """The JSON document of a key file whose first key is active.

    ``created`` carries the creation times of keys already in the file, so rotating keeps them.
    """
    stamp = (now or datetime.now(UTC)).isoformat()
    known = created or {}
    return {
        "version": 1,
        "origin": origin,
        "active": master_key_id(keys[0]),
        "keys": [{"id": master_key_id(k), "key": encode_key(k), "created_at": known.get(master_key_id(k), stamp)} for k in keys],
    }


def _created_times(doc: dict[str, Any]) -> dict[str, str]:
    return {str(e.get("id")): str(e["created_at"]) for e in doc.get("keys", []) if e.get("created_at")}


def _parse_document(path: Path, doc: Any) -> tuple[MasterKeys, str]:
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("keys"), list):
        raise ConfigurationError(f"{path} is not a Frontier Review key file")
    keys: dict[str, bytes] = {}
    for entry in doc["keys"]:
        key = decode_key(str(entry.get("key", "")))
        keys[master_key_id(key)] = key
    active = str(doc.get("active", ""))
    if active not in keys:
        raise ConfigurationError(f"{path}: active key {active!r} is not in the file")
    return MasterKeys(active_id=active, keys=keys), str(doc.get("origin", "operator"))


class KeyringSource:
    """Holds the master keys of this process and reloads them from their source on demand."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._keys = self._load()

    @property
    def from_file(self) -> bool:
        return self._settings.master_key is None

    @property
    def path(self) -> Path:
        return self._settings.resolved_master_key_file

    def current(self) -> MasterKeys:
        """The keys, re-read first if the key file changed since they were loaded.

        One ``stat`` per call is cheap, and it means every process on the machine seals with
        the new active key as soon as ``keys rotate`` has written it.
        """
        with self._lock:
            if self.from_file and self._file_stamp() != self._stamp:
                self._keys = self._load()
            return self._keys

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return st.st_mtime_ns, st.st_size

    def reload(self) -> MasterKeys:
        """Re-read the key source (after another process rotated the key file)."""
        with self._lock:
            self._keys = self._load()
            return self._keys

    def _load(self) -> MasterKeys:
        settings = self._settings
        if settings.master_key is not None:
            try:
                raw = [decode_key(part) for part in settings.master_key.get_secret_value().split(",") if part.strip()]
                return MasterKeys.from_keys(raw)
            except ValueError as exc:
                raise ConfigurationError(f"FR_MASTER_KEY: {exc}") from exc
        path = settings.resolved_master_key_file
        if not path.exists():
            if settings.env is Environment.PROD or settings.master_key_file is not None:
                raise ConfigurationError(f"master key file {path} does not exist")
            write_private_file(path, json.dumps(keyring_document([generate_key()], origin="generated"), indent=2))
        if path.stat().st_mode & 0o077:
            raise ConfigurationError(f"{path} must not be readable by group or others (chmod 600)")
        stamp = self._file_stamp()
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"cannot read master key file {path}: {exc}") from exc
        self._stamp = stamp
        keys, origin = _parse_document(path, doc)
        if settings.env is Environment.PROD and origin == "generated":
            raise ConfigurationError(f"refusing a generated master key file in prod: {path}")
        return keys

    def add_active_key(self, key: bytes) -> MasterKeys:
        """Make ``key`` the active key of the key file, keeping the old ones for decryption."""
        if not self.from_file:
            raise ConfigurationError(
                "the master key comes from FR_MASTER_KEY: put the new key first in that "
                "variable on every process, then run `frontier-review keys rotate`"
            )
        with self._lock:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            old = [decode_key(entry["key"]) for entry in doc["keys"]]
            new_doc = keyring_document([key, *old], origin=str(doc.get("origin", "operator")), created=_created_times(doc))
            write_private_file(self.path, json.dumps(new_doc, indent=2))
            self._keys = _parse_document(self.path, new_doc)[0]
            self._stamp = self._file_stamp()
            return self._keys

    def retire_keys(self, keep: set[str]) -> list[str]:
        """Drop every key not in ``keep`` (the active key is always kept); returns dropped ids."""
        if not self.from_file:
            raise ConfigurationError("remove retired keys from FR_MASTER_KEY yourself")
        with self._lock:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            keys = [decode_key(entry["key"]) for entry in doc["keys"]]
            active = next(k for k in keys if master_key_id(k) == doc["active"])
            kept = [active] + [k for k in keys if k is not active and master_key_id(k) in keep]
            dropped = [master_key_id(k) for k in keys if k not in kept]
            new_doc = keyring_document(kept, origin=str(doc.get("origin", "operator")), created=_created_times(doc))
            write_private_file(self.path, json.dumps(new_doc, indent=2))
            self._keys = _parse_document(self.path, new_doc)[0]
            self._stamp = self._file_stamp()
            return dropped
