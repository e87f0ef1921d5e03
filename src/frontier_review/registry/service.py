"""Registry use cases: models, versions, fact declarations, release (R1, R2)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.domain import name_key, normalise_name
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, authorize_visible, decide
from frontier_review.registry.domain import ModelRef, VersionStatus, next_status
from frontier_review.registry.events import VersionStatusChanged
from frontier_review.registry.facts import check_unit, normalise_value, spec_for
from frontier_review.registry.orm import FactDeclaration, Model, ModelVersion
from frontier_review.registry.tags import RegistryTag

__all__ = [
    "FactInput",
    "FactView",
    "ModelView",
    "VersionRef",
    "VersionView",
    "add_version",
    "declare_facts",
    "find_fact",
    "get_model",
    "get_version",
    "get_version_ref",
    "get_visible_version",
    "list_current_facts",
    "list_models",
    "list_version_refs",
    "list_versions_named",
    "register_model",
    "set_status",
    "version_missing",
]


@dataclass(frozen=True)
class FactView:
    """A current fact declaration with its provenance."""

    id: uuid.UUID
    name: str
    value: Any
    unit: str | None
    source_document: str
    declared_by: str
    declared_at: datetime


@dataclass(frozen=True)
class VersionView:
    """A release candidate as adapters show it."""

    id: uuid.UUID
    model_id: uuid.UUID
    model_name: str
    organization_id: uuid.UUID
    organization_name: str
    label: str
    status: VersionStatus
    created_at: datetime
    released_at: datetime | None
    withdrawn_at: datetime | None
    facts: tuple[FactView, ...] = ()

    @property
    def display(self) -> str:
        return f"{self.model_name} {self.label}"


@dataclass(frozen=True)
class ModelView:
    """A model with its versions."""

    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    name: str
    description: str
    created_at: datetime
    versions: tuple[VersionView, ...] = ()


@dataclass(frozen=True)
class FactInput:
    """One fact to declare."""

    name: str
    value: Any
    unit: str | None = None


@dataclass(frozen=True)
class VersionRef:
    """A version as other areas act on it: which it is, whose, and its status (no facts).

    What registry's system reads (:func:`get_version_ref`, :func:`list_version_refs`) return;
    callers authorize what they do with it.
    """

    id: uuid.UUID
    model_id: uuid.UUID
    model_name: str
    organization_id: uuid.UUID
    label: str
    status: VersionStatus

    @property
    def display(self) -> str:
        return f"{self.model_name} {self.label}"


def _org_name(uow: UnitOfWork, org_id: uuid.UUID) -> str:
    org = directory.find_organization(uow, org_id)
    return org.name if org else "?"


def _ref(version: ModelVersion, model: Model) -> VersionRef:
    return VersionRef(version.id, model.id, model.name, model.organization_id, version.label, VersionStatus(version.status))


def _facts(uow: UnitOfWork, version_id: uuid.UUID) -> tuple[FactView, ...]:
    rows = uow.session.scalars(
        select(FactDeclaration)
        .where(FactDeclaration.model_version_id == version_id, FactDeclaration.superseded_at.is_(None))
        .order_by(FactDeclaration.name)
    )
    return tuple(FactView(r.id, r.name, r.value, r.unit, r.source_document, r.declared_by_label, r.declared_at) for r in rows)


def _version_view(uow: UnitOfWork, version: ModelVersion, model: Model, *, with_facts: bool = True) -> VersionView:
    return VersionView(
        id=version.id,
        model_id=model.id,
        model_name=model.name,
        organization_id=model.organization_id,
        organization_name=_org_name(uow, model.organization_id),
        label=version.label,
        status=VersionStatus(version.status),
        created_at=version.created_at,
        released_at=version.released_at,
        withdrawn_at=version.withdrawn_at,
        facts=_facts(uow, version.id) if with_facts else (),
    )


def _model_view(uow: UnitOfWork, model: Model) -> ModelView:
    versions = uow.session.scalars(
        select(ModelVersion).where(ModelVersion.model_id == model.id).order_by(ModelVersion.created_at)
    )
    return ModelView(
        id=model.id,
        organization_id=model.organization_id,
        organization_name=_org_name(uow, model.organization_id),
        name=model.name,
        description=model.description,
        created_at=model.created_at,
        versions=tuple(_version_view(uow, v, model) for v in versions),
    )


_READ = Permission.REGISTRY_MODEL_READ


def _model_missing(model_id: uuid.UUID) -> str:
    return f"model {model_id} not found"


def version_missing(version_id: uuid.UUID) -> str:
    """The one "no such version" message: a version the caller may not see answers with it too."""
    return f"model version {version_id} not found"


def _mref(model: Model) -> ModelRef:
    return ModelRef(model.id, model.organization_id)


def _load_model(uow: UnitOfWork, model_id: uuid.UUID) -> Model:
    model = uow.session.get(Model, model_id)
    if model is None:
        raise NotFound(_model_missing(model_id))
    return model


def _load_version(uow: UnitOfWork, version_id: uuid.UUID) -> tuple[ModelVersion, Model]:
    """A version and its model, or NotFound (no authorization: callers authorize)."""
    version = uow.session.get(ModelVersion, version_id)
    if version is None:
        raise NotFound(version_missing(version_id))
    model = uow.session.get(Model, version.model_id)
    assert model is not None  # foreign key
    return version, model


def get_version_ref(uow: UnitOfWork, version_id: uuid.UUID) -> VersionRef:
    """The version with this id; ``NotFound`` (with :func:`version_missing`'s message) when there is none.

    A system read: callers authorize (typically with ``VersionOwner(ref.organization_id, ...)``).
    """
    return _ref(*_load_version(uow, version_id))


def list_version_refs(uow: UnitOfWork) -> list[VersionRef]:
    """Every version, ordered by model name and label (a system read, for reassessments)."""
    rows = uow.session.execute(
        select(ModelVersion, Model).join(Model, Model.id == ModelVersion.model_id).order_by(Model.name, ModelVersion.label)
    )
    return [_ref(version, model) for version, model in rows]


def list_versions_named(uow: UnitOfWork, model_name: str, label: str) -> list[VersionRef]:
    """The versions whose model name and label match, case-insensitively.

    Models of several organizations may share a name, hence a list.
    """
    rows = uow.session.execute(
        select(ModelVersion, Model)
        .join(Model, Model.id == ModelVersion.model_id)
        .where(Model.name_key == model_name.strip().casefold(), ModelVersion.label_key == label.strip().casefold())
    )
    return [_ref(version, model) for version, model in rows]


def list_current_facts(uow: UnitOfWork, version_id: uuid.UUID) -> list[FactView]:
    """The current declarations of a version (for evidence; callers authorize)."""
    rows = uow.session.scalars(
        select(FactDeclaration).where(FactDeclaration.model_version_id == version_id, FactDeclaration.superseded_at.is_(None))
    )
    return [FactView(r.id, r.name, r.value, r.unit, r.source_document, r.declared_by_label, r.declared_at) for r in rows]


def find_fact(uow: UnitOfWork, declaration_id: uuid.UUID) -> FactView | None:
    """One declaration by id, current or superseded (a determination's pinned evidence), or ``None``."""
    r = uow.session.get(FactDeclaration, declaration_id)
    if r is None:
        return None
    return FactView(r.id, r.name, r.value, r.unit, r.source_document, r.declared_by_label, r.declared_at)


def get_visible_version(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID) -> VersionRef:
    """The version if ``principal`` may see its model; otherwise ``NotFound`` as if it did not exist.

    The refusal is audited; callers still authorize what they do with the version.
    """
    return _ref(*_visible_version(uow, principal, version_id))


def _visible_version(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID) -> tuple[ModelVersion, Model]:
    """A version and its model if ``principal`` may see the model.

    Otherwise ``NotFound`` exactly as for a version that does not exist (the refusal is audited).
    Callers still authorize what they do with it.

    Args:
        uow: The unit of work.
        principal: The caller.
        version_id: The version asked for.

    Returns:
        The version and its model.

    Raises:
        NotFound: No such version, or one the caller may not see.
    """
    version, model = _load_version(uow, version_id)
    authorize_visible(uow, principal, _READ, _mref(model), not_found=version_missing(version_id))
    return version, model


def register_model(uow: UnitOfWork, principal: Principal, *, name: str, description: str = "") -> ModelView:
    """Register a model for the principal's own developer organization."""
    authorize(uow, principal, Permission.REGISTRY_MODEL_CREATE, principal.org_id)
    assert principal.org_id is not None
    clean = normalise_name(name, field="name")
    if len(description) > 5000:
        raise ValidationFailed("description must have at most 5000 characters", field="description")
    key = name_key(clean)
    exists = select(Model.id).where(Model.organization_id == principal.org_id, Model.name_key == key)
    if uow.session.scalar(exists) is not None:
        raise Conflict(f"your organization already has a model named {clean!r}", field="name")
    model = Model(
        id=new_id(),
        organization_id=principal.org_id,
        name=clean,
        name_key=key,
        description=description.strip(),
        created_at=uow.clock.now(),
        created_by=principal.user_id,
    )
    uow.session.add(model)
    uow.flush_unique(f"your organization already has a model named {clean!r}", "name")
    audit.record(uow, principal, RegistryTag.MODEL_REGISTERED, target_type="model", target_id=model.id, details={"name": clean})
    return _model_view(uow, model)


def list_models(uow: UnitOfWork, principal: Principal) -> list[ModelView]:
    """The principal's own models; every model for the program office and operators."""
    stmt = select(Model).order_by(Model.name_key)
    if not decide(uow, principal, Permission.REGISTRY_MODEL_LIST_ALL, None, uow.clock.now()).allowed:
        if principal.org_id is None:
            return []
        stmt = stmt.where(Model.organization_id == principal.org_id)
    return [_model_view(uow, m) for m in uow.session.scalars(stmt)]


def get_model(uow: UnitOfWork, principal: Principal, model_id: uuid.UUID) -> ModelView:
    """One model the principal may see, with its versions and their current facts."""
    model = _load_model(uow, model_id)
    authorize_visible(uow, principal, Permission.REGISTRY_MODEL_READ, _mref(model), not_found=_model_missing(model_id))
    return _model_view(uow, model)


def add_version(uow: UnitOfWork, principal: Principal, model_id: uuid.UUID, *, label: str) -> VersionView:
    """Add a release candidate (status prerelease) to a model."""
    model = _load_model(uow, model_id)
    authorize_visible(
        uow, principal, Permission.REGISTRY_VERSION_EDIT, _mref(model), not_found=_model_missing(model_id), read=_READ
    )
    clean = normalise_name(label, field="label", max_length=100)
    key = name_key(clean)
    if uow.session.scalar(select(ModelVersion.id).where(ModelVersion.model_id == model.id, ModelVersion.label_key == key)):
        raise Conflict(f"{model.name} already has a version {clean!r}", field="label")
    version = ModelVersion(
        id=new_id(),
        model_id=model.id,
        label=clean,
        label_key=key,
        status=VersionStatus.PRERELEASE.value,
        created_at=uow.clock.now(),
    )
    uow.session.add(version)
    uow.flush_unique(f"{model.name} already has a version {clean!r}", "label")
    audit.record(
        uow,
        principal,
        RegistryTag.VERSION_ADDED,
        target_type="model_version",
        target_id=version.id,
        details={"model": str(model.id), "label": clean},
    )
    return _version_view(uow, version, model)


def get_version(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID) -> VersionView:
    """One version the principal may see, with its current facts."""
    version, model = _visible_version(uow, principal, version_id)
    return _version_view(uow, version, model)


def declare_facts(
    uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, *, facts: Sequence[FactInput], source_document: str = ""
) -> VersionView:
    """Declare facts about a version; each supersedes the earlier declaration of the same fact.

    Every fact is checked against the catalogue before anything is written, so one bad
    fact leaves the version untouched.
    """
    version, model = _load_version(uow, version_id)
    authorize_visible(
        uow, principal, Permission.REGISTRY_VERSION_EDIT, _mref(model), not_found=version_missing(version_id), read=_READ
    )
    if not facts:
        raise ValidationFailed("declare at least one fact", field="facts")
    if len(source_document) > 2000:
        raise ValidationFailed("source_document must have at most 2000 characters", field="source_document")
    checked: list[tuple[str, Any, str | None]] = []
    seen: set[str] = set()
    for i, fact in enumerate(facts):
        spec = spec_for(fact.name, field=f"facts[{i}].name")
        if spec.name in seen:
            raise ValidationFailed(f"{spec.name} is declared twice", field=f"facts[{i}].name")
        seen.add(spec.name)
        check_unit(spec, fact.unit, field=f"facts[{i}].unit")
        checked.append((spec.name, normalise_value(spec, fact.value, field=f"facts[{i}].value"), spec.unit))
    now = uow.clock.now()
    current = {
        row.name: row
        for row in uow.session.scalars(
            select(FactDeclaration).where(FactDeclaration.model_version_id == version.id, FactDeclaration.superseded_at.is_(None))
        )
    }
    declared: list[str] = []
    for name, value, unit in checked:
        if name in current:
            current[name].superseded_at = now
        row = FactDeclaration(
            id=new_id(),
            model_version_id=version.id,
            name=name,
            value=value,
            unit=unit,
            source_document=source_document.strip(),
            declared_by=principal.user_id,
            declared_by_label=principal.label,
            declared_at=now,
        )
        uow.session.add(row)
        declared.append(name)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        RegistryTag.FACTS_DECLARED,
        target_type="model_version",
        target_id=version.id,
        details={"facts": declared, "source_document": source_document.strip()[:200]},
    )
    return _version_view(uow, version, model)


def set_status(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, *, status: VersionStatus) -> VersionView:
    """Release or withdraw a version. No approval exists anywhere (R2): the owner's word is final.

    Publishes :class:`VersionStatusChanged` in the same transaction; engagements of the version
    close in reaction (G2), so a release never commits without them closing.
    """
    version, model = _load_version(uow, version_id)
    authorize_visible(
        uow, principal, Permission.REGISTRY_VERSION_RELEASE, _mref(model), not_found=version_missing(version_id), read=_READ
    )
    current = VersionStatus(version.status)
    target = next_status(current, status)
    if target is not current:
        now = uow.clock.now()
        version.status = target.value
        if target is VersionStatus.RELEASED:
            version.released_at = now
        else:
            version.withdrawn_at = now
        uow.session.flush()
        audit.record(
            uow,
            principal,
            RegistryTag.for_status(target),
            target_type="model_version",
            target_id=version.id,
            details={"from": current.value},
        )
        uow.publish(VersionStatusChanged(version.id, target, principal))
    return _version_view(uow, version, model)
