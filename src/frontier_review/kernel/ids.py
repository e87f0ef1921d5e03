"""Identifier helpers."""

from __future__ import annotations

import uuid


def new_id() -> uuid.UUID:
    """Return a fresh random identifier (UUID4)."""
    return uuid.uuid4()


def parse_id(value: str, *, field: str = "id") -> uuid.UUID:
    """Parse ``value`` as a UUID or raise ``ValidationFailed`` naming ``field``."""
    from frontier_review.kernel.errors import ValidationFailed

    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ValidationFailed(f"{field} is not a valid identifier", field=field) from exc
