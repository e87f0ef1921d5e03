"""Web pages of benchmark runs (program office): suites, targets, runs with live progress."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from frontier_review import engagements
from frontier_review.evals import browse, comparison, confirmations, runs, service, targets
from frontier_review.evals.domain import RunStatus, format_duration, run_timing
from frontier_review.evals.tasks import RUN_TASK
from frontier_review.kernel.permissions import Permission
from frontier_review.policies import decide
from frontier_review.registry import service as registry
from frontier_review.web import charts
from frontier_review.web.confirm import ask
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.tables import Column, Filter, Sort, Table, table_view
from frontier_review.web.templating import flash, render

router = APIRouter(prefix="/evals", include_in_schema=False, dependencies=[Depends(check_csrf)])


@dataclass(frozen=True)
class Clock:
    """A run's elapsed time and the estimate of what remains, as the pages print them."""

    elapsed: str | None  # None before the run starts
    seconds: float  # elapsed, for sorting (0 before the run starts)
    remaining: str | None  # None unless running: "estimating…", "finishing…" or "about 4 min left"


def _clock(run: runs.RunView, now: datetime) -> Clock:
    timing = run_timing(
        run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        duration_seconds=run.duration_seconds,
        samples_done=run.samples_done,
        samples_total=run.samples_total,
        now=now,
    )
    elapsed = format_duration(timing.elapsed) if timing.elapsed is not None else None
    seconds = timing.elapsed.total_seconds() if timing.elapsed is not None else 0.0
    if not timing.running:
        remaining = None
    elif timing.remaining is None:
        remaining = "estimating…"
    elif not timing.remaining:
        remaining = "finishing…"
    else:
        remaining = format_duration(timing.remaining, approximate=True) + " left"
    return Clock(elapsed, seconds, remaining)


def _status_context(uow: UoW, principal: WebPrincipal, run_id: uuid.UUID) -> dict[str, Any]:
    """What the run's status block shows; the comparison only to cleared staff, once the run has a score."""
    view = runs.get_run(uow, principal, run_id)
    found = None
    if view.score is not None and comparison.may_compare(uow, principal, run_id):
        found = comparison.compare_run(uow, principal, view)
    return {
        "run": view,
        "clock": _clock(view, uow.clock.now()),
        "comparison": found,
        "comparison_chart": _comparison_chart(found) if found is not None and found.references else None,
    }


def _comparison_chart(found: comparison.Comparison) -> Markup:
    estimates = [charts.Estimate(f"This run: {found.subject}", found.score, found.stderr)]
    estimates += [charts.Estimate(ref.subject, ref.score, ref.stderr) for ref in found.references]
    return charts.estimate_chart(
        chart_id=f"run-{found.run_id}-comparison",
        title=f"Score on {found.benchmark}: this run against the reference models",
        desc="Scores from 0 to 1; the whiskers span one standard error either side of each score.",
        estimates=estimates,
    )


SUITES_TABLE = Table(
    id="suites-table",
    caption="Sealed benchmark suites (metadata only)",
    noun=("suite", "suites"),
    columns=(
        Column("Benchmark", "benchmark"),
        Column("Title"),
        Column("Marking"),
        Column("Samples", "samples", descending_first=True, numeric=True),
        Column("Sealed", "sealed", descending_first=True),
    ),
    default_sort=Sort("benchmark"),
    search_label="Benchmark contains",
    filters=(Filter("marking", "Marking", choices=(("unclassified", "unclassified"), ("classified", "classified"))),),
    prefix="suites_",
)

RUNS_TABLE = Table(
    id="runs-table",
    caption="Benchmark runs",
    noun=("run", "runs"),
    columns=(
        Column("Run"),
        Column("Benchmark", "benchmark"),
        Column("Target", "target"),
        Column("Status", "status"),
        Column("Progress"),
        Column("Time"),
        Column("Errors", "errors", descending_first=True, numeric=True),
        Column("Score"),
        Column("Queued", "queued", descending_first=True),
    ),
    default_sort=Sort("queued", descending=True),
    search_label="Target contains",
    filters=(
        Filter("status", "Status", choices=tuple((s.value, s.value) for s in RunStatus)),
        Filter("benchmark", "Runs of benchmark"),
    ),
    prefix="runs_",
)


def _runs_table(request: Request, uow: UoW, principal: WebPrincipal, suites: list[service.SuiteView]) -> dict[str, Any]:
    """The runs table's context, for the page and for the fragment htmx polls (same parameters)."""
    spec = RUNS_TABLE.with_choices("benchmark", ((str(s.benchmark_id), s.ref) for s in suites))
    query = spec.read(request.query_params)
    table = table_view(request, spec, browse.page_runs(uow, principal, query), query, path="/evals")
    poll = "/evals/runs-table" + (f"?{request.url.query}" if request.url.query else "")
    return {"runs_table": table, "runs": table.rows, "clocks": _clocks(list(table.rows), uow.clock.now()), "runs_poll": poll}


@router.get("", response_class=HTMLResponse)
def evals_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    suites = service.list_suites(uow, principal)
    suites_query = SUITES_TABLE.read(request.query_params)
    suites_table = table_view(request, SUITES_TABLE, browse.page_suites(uow, principal, suites_query), suites_query)
    model_targets = targets.list_targets(uow, principal)
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
        suites_table=suites_table,
        targets=model_targets,
        versions=versions,
        grants=grants,
        **_runs_table(request, uow, principal, suites),
    )


@router.get("/runs-table", response_class=HTMLResponse)
def runs_table(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The runs table alone, polled by htmx for live progress (with the page's sort, filters and page)."""
    context = _runs_table(request, uow, principal, service.list_suites(uow, principal))
    return render(request, "evals/_runs.html", principal, **context)


def _clocks(recent: list[runs.RunView], now: datetime) -> dict[uuid.UUID, Clock]:
    return {run.id: _clock(run, now) for run in recent}


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
    context = _status_context(uow, principal, run_id)
    can_read_items = decide(uow, principal, Permission.EVALS_ITEMS_READ, None, uow.clock.now()).allowed
    return render(request, "evals/run.html", principal, can_read_items=can_read_items, **context)


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
    """The run's status block, polled by htmx while the run is unfinished (the finished block stops the polling)."""
    return render(request, "evals/_run_status.html", principal, **_status_context(uow, principal, run_id))


@router.post("/runs/{run_id}/cancel", dependencies=[back_to("/evals/runs/{run_id}")])
def cancel(
    request: Request, uow: UoW, principal: WebPrincipal, run_id: uuid.UUID, confirm: Annotated[str, Form(max_length=80)] = ""
) -> Response:
    """Cancel, once the page that says what is lost was confirmed (web/confirm.py)."""
    if (asked := ask(request, principal, confirmations.cancel(uow, principal, run_id), confirm)) is not None:
        return asked
    runs.cancel_run(uow, principal, run_id)
    flash(request, "Cancellation requested.", "success")
    return RedirectResponse(f"/evals/runs/{run_id}", status_code=303)
