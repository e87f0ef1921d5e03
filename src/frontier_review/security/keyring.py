"""Where master keys come from: ``FR_MASTER_KEY`` or a key file (generated in dev only).

The key file is JSON with mode 0600::

    {"version": 1, "origin": "generated" | "operator", "active": "mk_…",
     "keys": [{"id": "mk_…", "key": "<base64>", "created_at": "…", "staged": true?}]}

Every key in the file decrypts; only the active one wraps new data keys; a staged key is
known but not yet active (so it can be copied to every machine before anyone uses it).
Processes watch the file and re-read it when it changes, which is what lets ``keys stage``,
``keys rotate`` and ``keys retire`` run while servers keep serving.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
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
from frontier_review.security.keyfile import keyring_document, write_private_file

__all__ = ["KeyringSource", "keyring_document", "write_private_file"]


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
        keys, origin = _parse_document(path, doc)
        if settings.env is Environment.PROD and origin == "generated":
            raise ConfigurationError(f"refusing a generated master key file in prod: {path}")
        self._stamp = stamp  # only a file that parsed counts as seen; a bad one fails every time
        return keys

    def _edit(self, edit: Callable[[dict[str, Any]], None]) -> MasterKeys:
        """Apply ``edit`` to the key file document, validate it, and write it atomically."""
        if not self.from_file:
            raise ConfigurationError(
                "the master key comes from FR_MASTER_KEY: change that variable on every process "
                "(new key first, old ones after it), then run `frontier-review keys rotate`"
            )
        with self._lock:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
            edit(doc)
            keys = _parse_document(self.path, doc)[0]  # never write a file we could not read back
            write_private_file(self.path, json.dumps(doc, indent=2))
            self._keys = keys
            self._stamp = self._file_stamp()
            return keys

    def staged_key_ids(self) -> list[str]:
        """Keys in the file that were staged and not yet activated, oldest first."""
        if not self.from_file:
            return []
        doc = json.loads(self.path.read_text(encoding="utf-8"))
        return [str(e["id"]) for e in doc["keys"] if e.get("staged")]

    def stage_key(self, key: bytes) -> str:
        """Add ``key`` to the file without activating it; returns its id."""
        key_id = master_key_id(key)

        def edit(doc: dict[str, Any]) -> None:
            if any(e.get("id") == key_id for e in doc["keys"]):
                raise ConfigurationError(f"{key_id} is already in the key file")
            doc["keys"].append(
                {"id": key_id, "key": encode_key(key), "created_at": datetime.now(UTC).isoformat(), "staged": True}
            )

        self._edit(edit)
        return key_id

    def activate(self, key_id: str) -> MasterKeys:
        """Make a key already in the file the active one."""

        def edit(doc: dict[str, Any]) -> None:
            entry = next((e for e in doc["keys"] if e.get("id") == key_id), None)
            if entry is None:
                raise ConfigurationError(f"{key_id} is not in the key file")
            entry.pop("staged", None)
            doc["active"] = key_id

        return self._edit(edit)

    def add_active_key(self, key: bytes) -> MasterKeys:
        """Add ``key`` and make it active at once, keeping the old keys for decryption."""
        return self.activate(self.stage_key(key))

    def retire_keys(self, keep: set[str]) -> list[str]:
        """Drop every key not in ``keep`` (the active key is always kept); returns dropped ids."""
        if not self.from_file:
            raise ConfigurationError("remove retired keys from FR_MASTER_KEY yourself")
        dropped: list[str] = []

        def edit(doc: dict[str, Any]) -> None:
            kept = [e for e in doc["keys"] if e.get("id") == doc["active"] or e.get("id") in keep or e.get("staged")]
            dropped.extend(str(e.get("id")) for e in doc["keys"] if e not in kept)
            doc["keys"] = kept

        self._edit(edit)
        return dropped
