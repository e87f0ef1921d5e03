"""Web pages of benchmark runs (program office): suites, targets, runs with live progress."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review import engagements
from frontier_review.evals import runs, service, targets
from frontier_review.evals.tasks import RUN_TASK
from frontier_review.kernel.permissions import Permission
from frontier_review.policies import decide
from frontier_review.registry import service as registry
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.templating import flash, render

router = APIRouter(prefix="/evals", include_in_schema=False, dependencies=[Depends(check_csrf)])


@router.get("", response_class=HTMLResponse)
def evals_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    suites = service.list_suites(uow, principal)
    model_targets = targets.list_targets(uow, principal)
    recent = runs.list_runs(uow, principal, limit=50)
    versions = [v for m in registry.list_models(uow, principal) for v in m.versions]
    grants = [
        e
        for e in engagements.list_engagements(uow, principal)
        if e.state.value in {"offered", "active"} and any(p.organization_id == principal.org_id for p in e.participants)
    ]
    return render(
        request,
        "evals/index.html",
        principal,
        suites=suites,
        targets=model_targets,
        runs=recent,
        versions=versions,
        grants=grants,
    )


@router.get("/runs-table", response_class=HTMLResponse)
def runs_table(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The runs table alone, polled by htmx for live progress."""
    return render(request, "evals/_runs.html", principal, runs=runs.list_runs(uow, principal, limit=50))


@router.post("/targets/gateway", dependencies=[form_page("/evals")])
def add_gateway_target(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    name: Annotated[str, Form(max_length=120)],
    engagement_id: Annotated[uuid.UUID, Form()],
) -> Response:
    """A target through the program office's own engagement grant on this platform's gateway."""
    gateway_url = str(request.base_url).rstrip("/") + "/gateway/v1"
    targets.create_gateway_target(uow, principal, name=name, engagement_id=engagement_id, gateway_url=gateway_url)
    flash(
        request,
        f"Target {name} reaches the candidate through the gateway with your own grant; every call is recorded.",
        "success",
    )
    return RedirectResponse("/evals", status_code=303)


@router.post("/targets", dependencies=[form_page("/evals")])
def add_target(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    name: Annotated[str, Form(max_length=120)],
    model: Annotated[str, Form(max_length=200)],
    base_url: Annotated[str, Form(max_length=500)] = "",
    api_key: Annotated[str, Form(max_length=500)] = "",
    serves: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    version_id: uuid.UUID | None = None
    reference: str | None = None
    if serves.startswith("version:"):
        try:
            version_id = uuid.UUID(serves.removeprefix("version:"))
        except ValueError:
            version_id = None
    elif serves.startswith("reference:"):
        reference = serves.removeprefix("reference:")
    targets.create_target(
        uow,
        principal,
        name=name,
        model=model,
        base_url=base_url or None,
        api_key=api_key or None,
        model_version_id=version_id,
        reference_model=reference,
    )
    flash(request, f"Target {name} registered; its key is sealed and will not be shown again.", "success")
    return RedirectResponse("/evals", status_code=303)


@router.post("/runs", dependencies=[form_page("/evals")])
def start_run(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    benchmark: Annotated[str, Form(max_length=130)],
    target: Annotated[str, Form(max_length=120)],
    max_connections: Annotated[int, Form()] = 8,
) -> Response:
    queue = request.app.state.container.jobs

    def dispatch(run_id: uuid.UUID) -> None:
        queue.enqueue(RUN_TASK, str(run_id))

    view = runs.start_run(uow, principal, benchmark=benchmark, target=target, dispatch=dispatch, max_connections=max_connections)
    flash(request, f"Run queued: {view.benchmark} on {view.target}.", "success")
    return RedirectResponse(f"/evals/runs/{view.id}", status_code=303)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(request: Request, uow: UoW, principal: WebPrincipal, run_id: uuid.UUID) -> Response:
    view = runs.get_run(uow, principal, run_id)
    can_read_items = decide(uow, principal, Permission.EVALS_ITEMS_READ, None, uow.clock.now()).allowed
    return render(request, "evals/run.html", principal, run=view, can_read_items=can_read_items)


@router.get("/runs/{run_id}/transcripts", response_class=HTMLResponse)
def transcripts_page(request: Request, uow: UoW, principal: WebPrincipal, run_id: uuid.UUID) -> Response:
    view = runs.get_run(uow, principal, run_id)
    return render(
        request, "evals/transcripts.html", principal, run=view, transcripts=runs.run_transcripts(uow, principal, run_id)
    )


@router.get("/runs/{run_id}/log.eval")
def log_export(uow: UoW, principal: WebPrincipal, run_id: uuid.UUID) -> Response:
    data = runs.export_log(uow, principal, run_id)
    return Response(
        data, media_type="application/zip", headers={"Content-Disposition": f'attachment; filename="run-{run_id}.eval"'}
    )


@router.get("/runs/{run_id}/status", response_class=HTMLResponse)
def run_status(request: Request, uow: UoW, principal: WebPrincipal, run_id: uuid.UUID) -> Response:
    return render(request, "evals/_run_status.html", principal, run=runs.get_run(uow, principal, run_id))


@router.post("/runs/{run_id}/cancel", dependencies=[back_to("/evals/runs/{run_id}")])
def cancel(request: Request, uow: UoW, principal: WebPrincipal, run_id: uuid.UUID) -> Response:
    runs.cancel_run(uow, principal, run_id)
    flash(request, "Cancellation requested.", "success")
    return RedirectResponse(f"/evals/runs/{run_id}", status_code=303)
