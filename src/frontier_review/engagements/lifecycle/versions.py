"""The engagements area's one window onto the registry: model versions, read and released.

Engagements need a few facts about the version they offer (its names, its status, who owns it)
and the web page's *Release the model* button. Every registry call of the area goes through
this module, and what comes back is a :class:`VersionCard`, never a registry ORM row, so a
change in the registry's shape touches this file only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.errors import InvalidTransition, NotFound
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize
from frontier_review.registry import service as registry
from frontier_review.registry import summary as registry_summary
from frontier_review.registry.domain import ModelRef, VersionStatus, next_status

__all__ = [
    "VersionCard",
    "change_status",
    "check_status_change",
    "find_version",
    "find_versions",
    "get_visible_version",
    "list_prerelease_versions",
    "release_version",
    "version_status",
]


@dataclass(frozen=True)
class VersionCard:
    """A model version as engagements see it.

    Attributes:
        id: The version's id.
        model_name: The model's registered name.
        label: The version's label (``3.0-rc2``).
        status: ``prerelease``, ``released`` or ``withdrawn``.
        organization_id: The developer that owns the model.
    """

    id: uuid.UUID
    model_name: str
    label: str
    status: str
    organization_id: uuid.UUID

    @property
    def display(self) -> str:
        """``Atlas 3.0-rc2``."""
        return f"{self.model_name} {self.label}"


def _card(ref: registry.VersionRef) -> VersionCard:
    return VersionCard(
        id=ref.id, model_name=ref.model_name, label=ref.label, status=ref.status.value, organization_id=ref.organization_id
    )


def find_version(uow: UnitOfWork, version_id: uuid.UUID) -> VersionCard | None:
    """The version, or None when it no longer exists (no authorization: the engagement was authorized)."""
    try:
        ref = registry.get_version_ref(uow, version_id)
    except NotFound:
        return None
    return _card(ref)


def find_versions(uow: UnitOfWork, version_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, VersionCard]:
    """The versions among ``version_ids`` that still exist, by id, in one query (summary pages)."""
    return {vid: _card(ref) for vid, ref in registry_summary.version_refs(uow, version_ids).items()}


def version_status(uow: UnitOfWork, version_id: uuid.UUID) -> str:
    """The version's status; a version that no longer exists counts as withdrawn."""
    card = find_version(uow, version_id)
    return card.status if card is not None else VersionStatus.WITHDRAWN.value


def get_visible_version(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID) -> VersionCard:
    """The version if ``principal`` may see its model.

    Raises:
        NotFound: No such version, or one the caller may not see (audited by the registry).
    """
    return _card(registry.get_visible_version(uow, principal, version_id))


def list_prerelease_versions(uow: UnitOfWork, principal: Principal) -> Sequence[registry.VersionView]:
    """The principal's own versions still in prerelease (what it may open an engagement for)."""
    return [v for m in registry.list_models(uow, principal) for v in m.versions if v.status is VersionStatus.PRERELEASE]


def release_version(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID) -> None:
    """Release the version (the registry's use case; its engagements close in reaction, G2)."""
    registry.set_status(uow, principal, version_id, status=VersionStatus.RELEASED)


def change_status(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, status: VersionStatus) -> VersionCard:
    """Release or withdraw the version (the registry's use case; its engagements close in reaction, G2)."""
    return _card_of_view(registry.set_status(uow, principal, version_id, status=status))


def check_status_change(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, status: VersionStatus) -> VersionCard:
    """The version, once ``principal`` may release or withdraw it and it can still become ``status``.

    For the confirmation page: the same checks as the registry's ``set_status``, nothing changed.

    Raises:
        NotFound: No such version, or one the caller may not see.
        PermissionDenied: The caller may not release or withdraw it.
        InvalidTransition: It is already released or withdrawn.
    """
    ref = registry.get_visible_version(uow, principal, version_id)
    authorize(uow, principal, Permission.REGISTRY_VERSION_RELEASE, ModelRef(ref.model_id, ref.organization_id))
    if next_status(ref.status, status) is ref.status:
        raise InvalidTransition(f"{ref.display} is already {status.value}")
    return _card(ref)


def _card_of_view(view: registry.VersionView) -> VersionCard:
    return VersionCard(
        id=view.id, model_name=view.model_name, label=view.label, status=view.status.value, organization_id=view.organization_id
    )
