"""Web pages of the registry: models, versions, facts (release is confirmed on engagements' page).

The version page itself shows coverage's determinations, results and inquiries too, so it lives
above both areas, in ``coverage.version_page``; the registry never imports coverage.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.identity import directory
from frontier_review.identity.domain import OrgKind
from frontier_review.kernel.permissions import Permission
from frontier_review.policies import decide
from frontier_review.registry import service
from frontier_review.registry.browse import page_versions
from frontier_review.registry.domain import ModelRef, VersionStatus
from frontier_review.registry.facts import parse_form_value, spec_for
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.tables import Column, Filter, Sort, Table, table_view
from frontier_review.web.templating import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
_VERSION = "/versions/{version_id}"


MODELS_TABLE = Table(
    id="versions-table",
    caption="Models and their release candidates",
    noun=("release candidate", "release candidates"),
    columns=(
        Column("Model", "model"),
        Column("Version", "version"),
        Column("Developer", "developer"),
        Column("Status", "status"),
        Column("Training compute (FLOP)", numeric=True),
        Column("Declared", "facts", descending_first=True),
    ),
    default_sort=Sort("model"),
    search_label="Model or version contains",
    filters=(
        Filter("status", "Status", choices=tuple((s.value, s.value) for s in VersionStatus)),
        Filter("developer", "Developer"),
    ),
)


@router.get("/models", response_class=HTMLResponse)
def models(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    now = uow.clock.now()
    spec = MODELS_TABLE.without_filter("developer")
    if decide(uow, principal, Permission.REGISTRY_MODEL_LIST_ALL, None, now).allowed:
        developers = directory.list_organizations(uow, kinds=[OrgKind.DEVELOPER])
        spec = MODELS_TABLE.with_choices("developer", ((str(o.id), o.name) for o in developers))
    query = spec.read(request.query_params)
    table = table_view(request, spec, page_versions(uow, principal, query), query)
    can_register = decide(uow, principal, Permission.REGISTRY_MODEL_CREATE, principal.org_id, now).allowed
    return render(request, "registry/models.html", principal, table=table, can_register=can_register)


@router.post("/models", dependencies=[form_page("/models")])
def register_model(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    name: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    view = service.register_model(uow, principal, name=name, description=description)
    flash(request, f"Model “{view.name}” registered. Add its first release candidate.", "success")
    return RedirectResponse(f"/models/{view.id}", status_code=303)


@router.get("/models/{model_id}", response_class=HTMLResponse)
def model(request: Request, uow: UoW, principal: WebPrincipal, model_id: uuid.UUID) -> Response:
    view = service.get_model(uow, principal, model_id)
    can_edit = decide(
        uow, principal, Permission.REGISTRY_VERSION_EDIT, ModelRef(view.id, view.organization_id), uow.clock.now()
    ).allowed
    return render(request, "registry/model.html", principal, model=view, can_edit=can_edit)


@router.post("/models/{model_id}/versions", dependencies=[form_page("/models/{model_id}")])
def add_version(
    request: Request, uow: UoW, principal: WebPrincipal, model_id: uuid.UUID, label: Annotated[str, Form(max_length=100)]
) -> Response:
    view = service.add_version(uow, principal, model_id, label=label)
    flash(request, f"Version {view.label} added. Declare its facts below.", "success")
    return RedirectResponse(f"/versions/{view.id}", status_code=303)


# The service names the one fact this form declares as facts[0].
@router.post(
    "/versions/{version_id}/facts",
    dependencies=[form_page(_VERSION, aliases={"facts[0].name": "name", "facts[0].value": "value", "facts[0].unit": "value"})],
)
def declare_fact(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    version_id: uuid.UUID,
    name: Annotated[str, Form(max_length=64)],
    value: Annotated[str, Form(max_length=5000)],
    source_document: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    spec = spec_for(name)
    typed = parse_form_value(spec, value)
    service.declare_facts(
        uow, principal, version_id, facts=[service.FactInput(spec.name, typed, spec.unit)], source_document=source_document
    )
    flash(request, f"{name} declared.", "success")
    return RedirectResponse(f"/versions/{version_id}", status_code=303)


@router.post("/versions/{version_id}/status")
def set_status(version_id: uuid.UUID, status: Annotated[VersionStatus, Form()]) -> Response:
    """Never performs: releasing or withdrawing is confirmed on its own page first (issue 12).

    The pages at ``/versions/{id}/release`` and ``/versions/{id}/withdraw`` (served by engagements,
    which a release closes) say what will end; this older form target only leads there. Scripts
    use ``POST /api/v1/versions/{id}/status``.
    """
    change = "withdraw" if status is VersionStatus.WITHDRAWN else "release"
    # 307 keeps the POST (and its CSRF token): the answer is the confirmation page, nothing done.
    return RedirectResponse(f"/versions/{version_id}/{change}", status_code=307)
