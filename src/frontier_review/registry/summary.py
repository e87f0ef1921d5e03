"""Bulk reads of versions for summary pages (the home page): one query for many ids.

A system read like :func:`~frontier_review.registry.service.get_version_ref`: callers decide
what the reader may see of the things that name these versions.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select

from frontier_review.db.uow import UnitOfWork
from frontier_review.registry.domain import VersionStatus
from frontier_review.registry.orm import Model, ModelVersion
from frontier_review.registry.service import VersionRef

__all__ = ["version_refs"]


def version_refs(uow: UnitOfWork, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, VersionRef]:
    """The versions among ``ids`` that exist, by id (absent ids are left out)."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(ModelVersion, Model).join(Model, Model.id == ModelVersion.model_id).where(ModelVersion.id.in_(wanted))
    )
    return {
        version.id: VersionRef(
            version.id, model.id, model.name, model.organization_id, version.label, VersionStatus(version.status)
        )
        for version, model in rows
    }
