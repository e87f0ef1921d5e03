"""The audit witness: every signed checkpoint appended to a file outside the database (DESIGN A3).

Whoever can rewrite the database can delete the tail of the log together with the head row
and the checkpoints that signed it; the log alone then still verifies. Copies of the
checkpoints kept elsewhere are what reveals it: this file (ideally on other storage), the
published list at ``/.well-known/frontier-review/audit-checkpoints`` and whatever verifiers
saved from either. ``audit verify --anchor FILE`` checks the log against such a copy.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from frontier_review.audit.domain import canonical_json

__all__ = ["append_checkpoint", "witness_after_commit"]

log = logging.getLogger(__name__)


def append_checkpoint(path: Path, document: Mapping[str, Any]) -> None:
    """Append one checkpoint line to the witness file, durably (flushed and fsynced).

    Several processes may sign checkpoints: an exclusive lock and ``O_APPEND`` keep each
    line whole. The directory is created on first use, private to the service account.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    line = canonical_json(dict(document)) + b"\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def witness_after_commit(path: Path, document: Mapping[str, Any]) -> None:
    """The after-commit action of a new checkpoint: a failure is logged loudly, never raised.

    The checkpoint is committed and published anyway; the next one is witnessed again.
    """
    try:
        append_checkpoint(path, document)
    except OSError:
        log.exception("could not append audit checkpoint #%s to the witness file %s", document.get("seq"), path)
