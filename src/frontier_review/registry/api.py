"""REST endpoints of the registry."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from frontier_review.registry import service
from frontier_review.registry.schemas import FactsIn, ModelIn, ModelOut, StatusIn, VersionIn, VersionOut
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(tags=["registry"])


@router.get("/models", summary="List models", description="Your organization's models; every model for the program office.")
def list_models(uow: UoW, principal: ApiPrincipal) -> list[ModelOut]:
    return [ModelOut.of(m) for m in service.list_models(uow, principal)]


@router.post(
    "/models", status_code=status.HTTP_201_CREATED, summary="Register a model", description="Permission: `registry:model:create`."
)
def register_model(body: ModelIn, uow: UoW, principal: ApiPrincipal) -> ModelOut:
    return ModelOut.of(service.register_model(uow, principal, name=body.name, description=body.description))


@router.get("/models/{model_id}", summary="Get a model with its versions", description="Permission: `registry:model:read`.")
def get_model(model_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> ModelOut:
    return ModelOut.of(service.get_model(uow, principal, model_id))


@router.post(
    "/models/{model_id}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Add a release candidate",
    description="Permission: `registry:version:edit`.",
)
def add_version(model_id: uuid.UUID, body: VersionIn, uow: UoW, principal: ApiPrincipal) -> VersionOut:
    return VersionOut.of(service.add_version(uow, principal, model_id, label=body.label))


@router.get(
    "/versions/{version_id}", summary="Get a version with its current facts", description="Permission: `registry:model:read`."
)
def get_version(version_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> VersionOut:
    return VersionOut.of(service.get_version(uow, principal, version_id))


@router.post(
    "/versions/{version_id}/facts",
    summary="Declare facts",
    description="Each fact supersedes its earlier declaration. Permission: `registry:version:edit`.",
)
def declare_facts(version_id: uuid.UUID, body: FactsIn, uow: UoW, principal: ApiPrincipal) -> VersionOut:
    facts = [service.FactInput(f.name, f.value, f.unit) for f in body.facts]
    return VersionOut.of(service.declare_facts(uow, principal, version_id, facts=facts, source_document=body.source_document))


@router.post(
    "/versions/{version_id}/status",
    summary="Release or withdraw",
    description="Always succeeds for the owner (R2). Permission: `registry:version:release`.",
)
def set_status(version_id: uuid.UUID, body: StatusIn, uow: UoW, principal: ApiPrincipal) -> VersionOut:
    return VersionOut.of(service.set_status(uow, principal, version_id, status=body.status))
