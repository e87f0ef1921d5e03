"""Domain events the registry publishes; other areas subscribe in the composition root."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from frontier_review.kernel.principal import Principal
from frontier_review.registry.domain import VersionStatus

__all__ = ["VersionStatusChanged"]


@dataclass(frozen=True)
class VersionStatusChanged:
    """A version was released or withdrawn, by ``principal``.

    Published inside the transaction that changes the status, so whatever reacts (engagements
    close, G2) commits with it or not at all.
    """

    version_id: uuid.UUID
    status: VersionStatus
    principal: Principal
