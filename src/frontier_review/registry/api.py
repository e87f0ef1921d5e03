"""REST endpoints of the registry."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from frontier_review.registry import service
from frontier_review.registry.schemas import FactsIn, ModelIn, ModelOut, StatusIn, VersionIn, VersionOut
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(tags=["registry"])


@router.get("/models", summary="List models")
def list_models(uow: UoW, principal: ApiPrincipal) -> list[ModelOut]:
    """Models with their versions and current facts, by name.

    **Who may call:** any signed-in user or API token. You get your own organization's models;
    the program office and operators get every organization's (`registry:model:list_all`).
    """
    return [ModelOut.of(m) for m in service.list_models(uow, principal)]


@router.post("/models", status_code=status.HTTP_201_CREATED, summary="Register a model")
def register_model(body: ModelIn, uow: UoW, principal: ApiPrincipal) -> ModelOut:
    """Register a model family for your own developer organization; add its versions next.

    **Who may call:** members of a developer organization (`registry:model:create`).

    **Errors:** 403 for anyone else (operators included: they do not speak for a developer); 409
    when your organization already has a model of that name; 422 for a bad name or description.
    """
    return ModelOut.of(service.register_model(uow, principal, name=body.name, description=body.description))


@router.get("/models/{model_id}", summary="Get a model with its versions")
def get_model(model_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> ModelOut:
    """One model with its versions and their current facts.

    **Who may call:** the owning organization, the program office and operators
    (`registry:model:read`).

    **Errors:** 404 when no such model exists or you may not see it (the same answer).
    """
    return ModelOut.of(service.get_model(uow, principal, model_id))


@router.post("/models/{model_id}/versions", status_code=status.HTTP_201_CREATED, summary="Add a release candidate")
def add_version(model_id: uuid.UUID, body: VersionIn, uow: UoW, principal: ApiPrincipal) -> VersionOut:
    """Add a version to a model, in status `prerelease`.

    **Who may call:** members of the developer organization that owns the model
    (`registry:version:edit`).

    **Errors:** 403 for others who may see the model (program office, operators); 404 when no
    such model exists or you may not see it; 409 when the model already has that label; 422
    for a bad label.
    """
    return VersionOut.of(service.add_version(uow, principal, model_id, label=body.label))


@router.get("/versions/{version_id}", summary="Get a version with its current facts")
def get_version(version_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> VersionOut:
    """One version with its current (not superseded) facts.

    **Who may call:** the owning organization, the program office and operators
    (`registry:model:read`).

    **Errors:** 404 when no such version exists or you may not see it (the same answer).
    """
    return VersionOut.of(service.get_version(uow, principal, version_id))


@router.post("/versions/{version_id}/facts", summary="Declare facts")
def declare_facts(version_id: uuid.UUID, body: FactsIn, uow: UoW, principal: ApiPrincipal) -> VersionOut:
    """Declare facts about a version from the fact catalogue.

    Each fact supersedes its earlier declaration, which stays on record. Every fact is checked
    before anything is written, so one bad fact leaves the version untouched.

    **Who may call:** members of the developer organization that owns the version
    (`registry:version:edit`).

    **Returns** the version with its current facts.

    **Errors:** 403 for others who may see the version (program office, operators); 404 when no
    such version exists or you may not see it; 422 naming the field (such as `facts[1].value`)
    for an unknown fact, a wrong unit, a value of the wrong type or a fact given twice.
    """
    facts = [service.FactInput(f.name, f.value, f.unit) for f in body.facts]
    return VersionOut.of(service.declare_facts(uow, principal, version_id, facts=facts, source_document=body.source_document))


@router.post("/versions/{version_id}/status", summary="Release or withdraw a version")
def set_status(version_id: uuid.UUID, body: StatusIn, uow: UoW, principal: ApiPrincipal) -> VersionOut:
    """Release or withdraw a prerelease version. No approval exists: the developer's word is final.

    Every engagement on the version closes in the same step. Asking for the status the version
    already has changes nothing.

    **Who may call:** members of the developer organization that owns the version
    (`registry:version:release`).

    **Returns** the version with its new status.

    **Errors:** 403 for others who may see the version (program office, operators); 404 when no
    such version exists or you may not see it; 409 when a released version would be withdrawn or
    the reverse (both are final).
    """
    return VersionOut.of(service.set_status(uow, principal, version_id, status=body.status))
