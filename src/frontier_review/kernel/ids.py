"""Identifier helpers."""

from __future__ import annotations

import os
import random
import uuid

# record_id's generator: seeded from the OS, again in a forked child, and private, so that no
# ``random.seed()`` anywhere in the process (a library, a test framework) can make ids repeat.
_RECORDS = random.Random()  # noqa: S311 - unique ids, not secrets (see record_id)
os.register_at_fork(after_in_child=_RECORDS.seed)


def new_id() -> uuid.UUID:
    """Return a fresh random identifier (UUID4)."""
    return uuid.uuid4()


def record_id() -> uuid.UUID:
    """A fresh random identifier (UUID4) for a high-volume record that is no secret.

    For audit entries and gateway calls, one per call. ``uuid.uuid4()`` asks the kernel for 16
    bytes each time, and on a loaded 2-core VM that system call was a tenth of the gateway's
    event-loop samples at concurrency 64 (docs/performance.md). These 122 random bits come from
    a generator of this module's own instead, seeded from the OS at start-up and again in a
    forked child: unique, but not unpredictable, so never use this for anything that must not
    be guessed (tokens, links that grant access: ``secrets``).
    """
    return uuid.UUID(int=_RECORDS.getrandbits(128), version=4)


def parse_id(value: str, *, field: str = "id") -> uuid.UUID:
    """Parse ``value`` as a UUID or raise ``ValidationFailed`` naming ``field``."""
    from frontier_review.kernel.errors import ValidationFailed

    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ValidationFailed(f"{field} is not a valid identifier", field=field) from exc
