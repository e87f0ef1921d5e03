"""Writing key files: the JSON document of a new key file, and private (0600) files.

Apart from :mod:`frontier_review.security.keyring` (which reads key files under the
configuration) so that ``frontier-review keys generate`` writes one without importing the
configuration, and pydantic with it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from frontier_review.security.envelope import encode_key, master_key_id

__all__ = ["keyring_document", "write_private_file"]


def write_private_file(path: Path, content: str) -> None:
    """Write ``content`` atomically to ``path`` with mode 0600 (every directory it creates 0700)."""
    _private_directories(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _private_directories(directory: Path) -> None:
    """Create ``directory`` and any missing parent with mode 0700.

    ``mkdir(parents=True)`` gives the parents it creates the default mode, so a key file
    written into a data directory that did not exist yet left that directory readable by all.
    """
    missing = [d for d in (directory, *directory.parents) if not d.exists()]
    for each in reversed(missing):
        each.mkdir(mode=0o700, exist_ok=True)


def keyring_document(keys: list[bytes], *, origin: str, now: datetime | None = None) -> dict[str, Any]:
    """The JSON document of a new key file whose first key is active."""
    stamp = (now or datetime.now(UTC)).isoformat()
    return {
        "version": 1,
        "origin": origin,
        "active": master_key_id(keys[0]),
        "keys": [{"id": master_key_id(k), "key": encode_key(k), "created_at": stamp} for k in keys],
    }
