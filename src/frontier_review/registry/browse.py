"""The registry's list for tables and its names for audit targets, for one reader.

:func:`page_versions` is the models page's table: one row per release candidate (a model with
none yet has one row of its own), sorted, filtered and paged in its query among the models the
reader may see. :func:`name_models` and :func:`name_versions` answer the audit browser's
question (``audit.targets``). :func:`version_ids_matching` is a system read for other areas'
tables (callers narrow to what their reader may see).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from frontier_review.audit.targets import TargetLink, uuid_ids
from frontier_review.db.listing import AnyRow, SortColumns, by_position, fetch_page, search_any
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.domain import OrgKind
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide
from frontier_review.registry.domain import ModelRef, VersionStatus
from frontier_review.registry.orm import FactDeclaration, Model, ModelVersion
from frontier_review.registry.service import FactView, VersionView

__all__ = ["ModelRow", "name_models", "name_versions", "page_versions", "version_ids_matching"]


@dataclass(frozen=True)
class ModelRow:
    """A row of the models table: a model and one of its versions (``None`` before the first)."""

    model_id: uuid.UUID
    model_name: str
    organization_id: uuid.UUID
    organization_name: str
    version: VersionView | None


def _current_facts(uow: UnitOfWork, version_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[FactView, ...]]:
    """The current declarations of these versions, in one query."""
    if not version_ids:
        return {}
    out: dict[uuid.UUID, list[FactView]] = {}
    rows = uow.session.scalars(
        select(FactDeclaration)
        .where(FactDeclaration.model_version_id.in_(list(version_ids)), FactDeclaration.superseded_at.is_(None))
        .order_by(FactDeclaration.name)
    )
    for r in rows:
        view = FactView(r.id, r.name, r.value, r.unit, r.source_document, r.declared_by_label, r.declared_at)
        out.setdefault(r.model_version_id, []).append(view)
    return {k: tuple(v) for k, v in out.items()}


def page_versions(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[ModelRow]:
    """A page of the models table: the principal's own models, or every model for those who list all.

    Args:
        uow: The unit of work.
        principal: The reader.
        query: Sort keys ``model`` (default), ``version``, ``developer``, ``status``, ``facts``
            (how many facts are declared), ``created``; filters ``status`` and ``developer`` (an
            organization id); the search matches part of the model's name or the version's label.

    Returns:
        The page, with the total of the filtered list.
    """
    facts = (
        select(FactDeclaration.model_version_id, func.count().label("n"))
        .where(FactDeclaration.superseded_at.is_(None))
        .group_by(FactDeclaration.model_version_id)
        .subquery()
    )
    declared = func.coalesce(facts.c.n, 0)
    stmt = (
        select(Model, ModelVersion, declared)
        .outerjoin(ModelVersion, ModelVersion.model_id == Model.id)
        .outerjoin(facts, facts.c.model_version_id == ModelVersion.id)
    )
    if not decide(uow, principal, Permission.REGISTRY_MODEL_LIST_ALL, None, uow.clock.now()).allowed:
        stmt = stmt.where(Model.organization_id == principal.org_id) if principal.org_id else stmt.where(Model.id.is_(None))
    if query.search:
        # "Atlas 3.0" finds Atlas's version 3.0-rc1; a model without versions by its name alone.
        stmt = stmt.where(search_any(query.search, Model.name, Model.name + " " + ModelVersion.label))
    if status := query.filter("status"):
        stmt = stmt.where(ModelVersion.status == status)
    if developer := query.filter("developer"):
        try:
            stmt = stmt.where(Model.organization_id == uuid.UUID(developer))
        except ValueError:
            stmt = stmt.where(Model.id.is_(None))
    developers = directory.list_organizations(uow, kinds=[OrgKind.DEVELOPER])
    sorts: SortColumns = {
        "model": [Model.name_key, ModelVersion.created_at],
        "version": [ModelVersion.label_key, Model.name_key],
        # Organization names are identity's: sort by their position in identity's name order.
        "developer": [by_position(Model.organization_id, [o.id for o in developers]), Model.name_key],
        "status": [ModelVersion.status, Model.name_key],
        "facts": [declared],
        "created": [func.coalesce(ModelVersion.created_at, Model.created_at)],
    }
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("model"), unique=[Model.id, ModelVersion.id])
    names = {o.id: o.name for o in developers}
    current = _current_facts(uow, [r[1].id for r in page.items if r[1] is not None])
    return page.map(lambda row: _row(row, names, current))


def _row(row: AnyRow, names: Mapping[uuid.UUID, str], facts: Mapping[uuid.UUID, tuple[FactView, ...]]) -> ModelRow:
    model, version = row[0], row[1]
    org_name = names.get(model.organization_id, "?")
    view = None
    if version is not None:
        view = VersionView(
            id=version.id,
            model_id=model.id,
            model_name=model.name,
            organization_id=model.organization_id,
            organization_name=org_name,
            label=version.label,
            status=VersionStatus(version.status),
            created_at=version.created_at,
            released_at=version.released_at,
            withdrawn_at=version.withdrawn_at,
            facts=facts.get(version.id, ()),
        )
    return ModelRow(model.id, model.name, model.organization_id, org_name, view)


def name_models(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The models among ``ids`` that ``reader`` may see, by name, with their page."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    now = uow.clock.now()
    out = {}
    for model in uow.session.scalars(select(Model).where(Model.id.in_(list(wanted)))):
        if decide(uow, reader, Permission.REGISTRY_MODEL_READ, ModelRef(model.id, model.organization_id), now).allowed:
            out[wanted[model.id]] = TargetLink(model.name, f"/models/{model.id}")
    return out


def name_versions(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The versions among ``ids`` whose model ``reader`` may see, as "Model label", with their page."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    now = uow.clock.now()
    rows = uow.session.execute(
        select(ModelVersion, Model).join(Model, Model.id == ModelVersion.model_id).where(ModelVersion.id.in_(list(wanted)))
    )
    out = {}
    for version, model in rows:
        if decide(uow, reader, Permission.REGISTRY_MODEL_READ, ModelRef(model.id, model.organization_id), now).allowed:
            out[wanted[version.id]] = TargetLink(f"{model.name} {version.label}", f"/versions/{version.id}")
    return out


def version_ids_matching(uow: UnitOfWork, text: str, *, limit: int = 500) -> list[uuid.UUID]:
    """Versions whose model name or label contains ``text`` (case-insensitive), for another area's search.

    A system read: the caller's own query still narrows to what its reader may see.
    """
    stmt = (
        select(ModelVersion.id)
        .join(Model, Model.id == ModelVersion.model_id)
        .where(search_any(text, Model.name + " " + ModelVersion.label))
        .limit(limit)
    )
    return list(uow.session.scalars(stmt))
