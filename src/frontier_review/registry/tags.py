"""What the registry area records in the audit log (values never change once entries carry them)."""

from __future__ import annotations

from frontier_review.kernel.tags import AuditTag
from frontier_review.registry.domain import VersionStatus

__all__ = ["RegistryTag"]


class RegistryTag(AuditTag):
    """The registry area's audit actions."""

    MODEL_REGISTERED = "registry:model:registered"
    VERSION_ADDED = "registry:version:added"
    VERSION_RELEASED = "registry:version:released"
    VERSION_WITHDRAWN = "registry:version:withdrawn"
    FACTS_DECLARED = "registry:facts:declared"

    @classmethod
    def for_status(cls, status: VersionStatus) -> RegistryTag:
        """The action recorded when a version moves to ``status`` (a version never moves back to prerelease)."""
        return _BY_STATUS[status]


_BY_STATUS: dict[VersionStatus, RegistryTag] = {
    VersionStatus.RELEASED: RegistryTag.VERSION_RELEASED,
    VersionStatus.WITHDRAWN: RegistryTag.VERSION_WITHDRAWN,
}
