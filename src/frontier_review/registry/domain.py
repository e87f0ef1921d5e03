"""Registry rules (pure): version states, and models as authorization resources."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from frontier_review.kernel.errors import InvalidTransition

__all__ = ["ModelRef", "VersionStatus", "next_status"]


class VersionStatus(StrEnum):
    """Where a release candidate stands: its developer alone moves it, and nothing can stop a release."""

    PRERELEASE = "prerelease"
    RELEASED = "released"
    WITHDRAWN = "withdrawn"


def next_status(current: VersionStatus, target: VersionStatus) -> VersionStatus:
    """The state after the developer asks for ``target``.

    Releasing or withdrawing a prerelease version always succeeds; asking for the state a
    version is already in is harmless; a released or withdrawn version is final.
    """
    if current is target:
        return current
    if current is VersionStatus.PRERELEASE and target is not VersionStatus.PRERELEASE:
        return target
    raise InvalidTransition(f"a {current.value} version cannot become {target.value}")


@dataclass(frozen=True)
class ModelRef:
    """A model (or one of its versions) as an authorization resource: what matters is its owner."""

    id: uuid.UUID
    org_id: uuid.UUID

    def audit_target(self) -> tuple[str, str]:
        return "model", str(self.id)
