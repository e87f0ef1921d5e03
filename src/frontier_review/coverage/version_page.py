"""The model version page: the registry's version with coverage's view of it.

It shows determinations, benchmark results and inquiries beside the version's facts, so it is
coverage's page (coverage builds on the registry, never the other way round); the registry's
own web module keeps the forms that change a version.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from frontier_review.coverage import determinations, inquiries, policies, results
from frontier_review.coverage.policy import Sensitivity, VersionOwner
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide
from frontier_review.registry import service
from frontier_review.registry.domain import ModelRef
from frontier_review.registry.facts import CATALOGUE
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


@router.get("/versions/{version_id}", response_class=HTMLResponse)
def version(request: Request, uow: UoW, principal: WebPrincipal, version_id: uuid.UUID) -> Response:
    """A model version: its facts, its coverage outcome and what the viewer may do with it."""
    return version_page(request, uow, principal, version_id)


def version_page(
    request: Request, uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, *, draft: dict[str, str] | None = None
) -> Response:
    """The version page; ``draft`` fills the determination form in again (back from its preview)."""
    view = service.get_version(uow, principal, version_id)
    now = uow.clock.now()
    ref = ModelRef(view.model_id, view.organization_id)
    owner = VersionOwner(view.organization_id, str(view.id))
    can_edit = decide(uow, principal, Permission.REGISTRY_VERSION_EDIT, ref, now).allowed
    can_release = decide(uow, principal, Permission.REGISTRY_VERSION_RELEASE, ref, now).allowed
    can_inquire = decide(uow, principal, Permission.COVERAGE_INQUIRY_FILE, owner, now).allowed
    can_determine = decide(uow, principal, Permission.COVERAGE_DETERMINE, Sensitivity(False), now).allowed
    dets = determinations.list_determinations_for_version(uow, principal, view.id)
    version_results = results.list_results_for_version(uow, principal, view.id)
    version_inquiries = [i for i in inquiries.list_inquiries(uow, principal) if i.model_version_id == view.id]
    policy_list = policies.list_policies(uow, principal) if can_determine else []
    return render(
        request,
        "registry/version.html",
        principal,
        version=view,
        catalogue=CATALOGUE,
        can_edit=can_edit,
        can_release=can_release,
        can_inquire=can_inquire,
        can_determine=can_determine,
        determinations=dets,
        results=version_results,
        inquiries=version_inquiries,
        policies=policy_list,
        draft=draft,
    )
