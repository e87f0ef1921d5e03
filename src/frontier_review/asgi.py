"""The ASGI application: every area's routers, the health probes and static files.

This is the web side of the composition root: the one module that lists every area's routers.
The adapter kit the routers are built with (dependencies, error mapping, templating, uploads,
middleware) stays in ``frontier_review.web`` and names no area; what it needs from the areas
(who a session or token is, the unread count) is handed to it here as ``app.state.web_hooks``.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from importlib.resources import files
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.middleware.sessions import SessionMiddleware

from frontier_review import __version__
from frontier_review.audit import api as audit_api
from frontier_review.audit import service as audit_service
from frontier_review.audit import web as audit_web
from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.incidents import api as incidents_api
from frontier_review.clearinghouse.incidents import web as incidents_web
from frontier_review.clearinghouse.patches import api as patches_api  # clearinghouse — patches
from frontier_review.clearinghouse.patches import web as patches_web  # clearinghouse — patches
from frontier_review.clearinghouse.reports import api as reports_api
from frontier_review.clearinghouse.reports import web as reports_web
from frontier_review.clearinghouse.scans import routes as scans_routes
from frontier_review.clearinghouse.subscriptions import api as subscriptions_api
from frontier_review.clearinghouse.subscriptions import web as subscriptions_web
from frontier_review.coverage import api as coverage_api
from frontier_review.coverage import version_page
from frontier_review.coverage import web as coverage_web
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements import api as engagements_api
from frontier_review.engagements import web as engagements_web
from frontier_review.engagements.access import recorder as access_log
from frontier_review.evals import api as evals_api
from frontier_review.evals import web as evals_web
from frontier_review.gateway.app import GatewayApp
from frontier_review.gateway.dispatch import GatewayDispatch
from frontier_review.home import web as home_web
from frontier_review.identity import api as identity_api
from frontier_review.identity import directory
from frontier_review.identity import service as identity
from frontier_review.identity import web as identity_web
from frontier_review.jobs.queue import queue_stats
from frontier_review.kernel.principal import Principal
from frontier_review.notifications import service as notifications
from frontier_review.notifications import web as notifications_web
from frontier_review.registry import api as registry_api
from frontier_review.registry import web as registry_web
from frontier_review.security import passwords
from frontier_review.telemetry import metrics as telemetry_metrics
from frontier_review.telemetry import tracing
from frontier_review.telemetry.http import HttpTelemetryMiddleware
from frontier_review.telemetry.metrics import Reading
from frontier_review.web import openapi, problems
from frontier_review.web.deps import WebHooks, web_principal_optional
from frontier_review.web.middleware import BodySizeLimitMiddleware, RequestIdMiddleware, SecurityHeadersMiddleware
from frontier_review.web.templating import render

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

SESSION_COOKIE = "fr_session"


class Readiness(BaseModel):
    """What a readiness probe is told (``/readyz``)."""

    status: str = Field(description="`ready`, `degraded` (Redis is configured but unreachable) or `unavailable`.")
    database: str = Field(description="`ok`, or why the database cannot serve.")
    redis: str | None = Field(default=None, description="`ok` or `unreachable`; absent when Redis is not configured.")


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Frontier Review API</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script></body></html>"""


def _principal_for_session(uow: UnitOfWork, key: str) -> Principal | None:
    return identity.principal_for_session(uow, session_key=key)


def _organization_name(uow: UnitOfWork, org_id: uuid.UUID) -> str | None:
    card = directory.find_organization(uow, org_id)
    return card.name if card is not None else None


WEB_HOOKS = WebHooks(
    principal_for_session=_principal_for_session,
    principal_for_token=identity.principal_for_token,
    unread_count=notifications.unread_count,
    organization_name=_organization_name,
)


def _render_error(request: Request, status: int, detail: str) -> Response:
    container: Container = request.app.state.container
    principal = None
    try:
        with container.uow() as uow:
            principal = web_principal_optional(request, uow)
    except Exception:  # the error page must render even if the database is down
        principal = None
    title = problems.TITLES.get(status, "Error")
    return render(request, "error.html", principal, status_code=status, title=title, detail=detail)


def _queue_probe(container: Container) -> Iterator[Reading]:
    stats = queue_stats(container.jobs.huey)
    yield Reading("fr_jobs_queued", "Jobs waiting in the queue to be run.", stats.depth)
    yield Reading("fr_jobs_scheduled", "Jobs scheduled to run later (delays, retries' back-off).", stats.scheduled)
    yield Reading(
        "fr_jobs_oldest_age_seconds",
        "How long the next job to run has waited in the queue (absent when none waits).",
        stats.oldest_age_seconds,
    )


def _audit_probe(container: Container) -> Iterator[Reading]:
    with container.uow() as uow:
        backlog = access_log.unchained_backlog(uow)
        checkpoint = audit_service.last_checkpoint_at(uow)
    now = container.clock.now()
    yield Reading("fr_audit_unchained_access_log_rows", "Access-log rows not yet folded into the audit chain.", backlog.rows)
    yield Reading(
        "fr_audit_oldest_unchained_seconds",
        "Age of the oldest access-log row not yet chained (absent when none waits).",
        (now - backlog.oldest_at).total_seconds() if backlog.oldest_at is not None else None,
    )
    yield Reading(
        "fr_audit_seconds_since_checkpoint",
        "Seconds since the latest signed audit checkpoint (absent before the first).",
        (now - checkpoint).total_seconds() if checkpoint is not None else None,
    )


def _pool_probe(container: Container) -> Iterator[Reading]:
    pool = container.engine.pool
    size = getattr(pool, "size", None)
    kept = float(size()) if callable(size) else None
    yield Reading("fr_db_pool_size", "Connections the database pool keeps (per process).", kept)
    yield Reading("fr_build_info", "The running version (always 1).", 1.0, {"version": __version__})


def _install_probes(container: Container) -> None:
    """What /metrics reads at each scrape: cheap queries, whatever process answers the scrape."""
    metrics = container.metrics
    metrics.add_probe("jobs", lambda: _queue_probe(container))
    metrics.add_probe("audit", lambda: _audit_probe(container))
    metrics.add_probe("database_pool", lambda: _pool_probe(container))


def _metrics_route(app: FastAPI) -> None:
    @app.get("/metrics", include_in_schema=False)
    def metrics(request: Request) -> Response:
        """Prometheus metrics, for a scraper presenting ``Bearer <FR_METRICS_TOKEN>``.

        Without the token, with a wrong one, or when none is configured: the same 401, so that
        nothing tells whether metrics are on.
        """
        container: Container = request.app.state.container
        if not telemetry_metrics.authorized(container.settings, request.headers.get("authorization")):
            detail = "send the metrics token as 'Authorization: Bearer …'"
            response = problems.problem(401, code="not_authenticated", detail=detail, instance=request.url.path)
            response.headers["WWW-Authenticate"] = 'Bearer realm="frontier-review-metrics"'
            return response
        return Response(container.metrics.render(), media_type=telemetry_metrics.CONTENT_TYPE)


def attach(app: FastAPI, container: Container) -> None:
    """Serve ``container`` with ``app``: its gateway, and the probes /metrics reads at each scrape."""
    app.state.container = container
    app.state.gateway = GatewayApp(container)
    _install_probes(container)


def create_app(container: Container, *, span_exporter: SpanExporter | None = None) -> FastAPI:  # noqa: PLR0915 - one line per area's routers
    """Build the ASGI application around ``container``.

    Traces are exported when ``FR_OTEL_EXPORTER_OTLP_ENDPOINT`` is set, or to ``span_exporter``
    (tests hand an in-memory one).

    Requests reach the container (its gateway and its metrics) only through ``app.state``, set by
    :func:`attach`; the rest of the app depends on the settings that configure its middleware and
    tracing. The test server relies on that to serve one app per process, attaching each test's
    container to it, because building the routes is most of the cost of starting a server.
    """
    settings = container.settings
    passwords.dummy_hash()  # computed once now, so the first unknown-user login costs no more than later ones
    shutdown_tracing: list[Callable[[], None]] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.gateway.aclose()
        for shutdown in shutdown_tracing:
            shutdown()  # flushes the spans still batched

    app = FastAPI(
        # FastAPI's built-in telemetry would start as soon as any global tracer provider exists and
        # would send exception messages as log records; tracing is telemetry.tracing's, explicitly.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        lifespan=lifespan,
        title="Frontier Review API",
        version=__version__,
        description=(
            "REST API of Frontier Review. Authenticate with a personal API token: "
            "`Authorization: Bearer frt_…` (create one on your account page). Errors are RFC 9457 "
            "problem documents (`application/problem+json`)."
        ),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    attach(app, container)
    app.state.web_hooks = WEB_HOOKS

    api = APIRouter(prefix="/api/v1")
    api.include_router(identity_api.router)
    api.include_router(audit_api.router)
    api.include_router(registry_api.router)
    api.include_router(coverage_api.router)
    api.include_router(evals_api.router)
    api.include_router(engagements_api.router)
    api.include_router(subscriptions_api.router)
    api.include_router(incidents_api.router)
    api.include_router(reports_api.router)  # clearinghouse: reports
    api.include_router(patches_api.router)  # clearinghouse — patches

    @api.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(DOCS_PAGE)

    app.include_router(api)
    app.include_router(audit_api.public_router)
    app.include_router(home_web.router)
    app.include_router(identity_web.router)
    app.include_router(audit_web.router)
    app.include_router(registry_web.router)
    app.include_router(version_page.router)
    app.include_router(coverage_web.router)
    app.include_router(evals_web.router)
    app.include_router(notifications_web.router)
    app.include_router(engagements_web.router)
    app.include_router(subscriptions_web.router)
    app.include_router(incidents_web.router)
    app.include_router(reports_web.router)  # clearinghouse: reports and the hub
    app.include_router(patches_web.router)  # clearinghouse — patches: exposure board, fix and own-record forms
    app.include_router(scans_routes.router)  # clearinghouse: scans (its API under /api/v1, its pages)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    def healthz() -> dict[str, str]:
        """For liveness probes: answers `{"status": "ok"}` whenever the process serves requests. No authentication."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: the database (and Redis, when configured) answer",
        responses={
            200: {"model": Readiness},
            503: {"description": "Not ready: the database is unreachable or not migrated.", "model": Readiness},
        },
    )
    def readyz(request: Request) -> JSONResponse:
        """For readiness probes: whether this process can serve requests now. No authentication.

        Answers 200 with `status` `ready`, or `degraded` when Redis is configured but unreachable
        (requests still work), and 503 with `status` `unavailable` when the database is unreachable
        or not migrated. Each dependency checked is reported by name.
        """
        # Only the database decides readiness: without Redis, requests still work (sign-in rate
        # limits fail open, jobs wait), and draining every web process at once would not help.
        container = request.app.state.container
        database_ok = container.database_ready()
        checks = {"database": "ok" if database_ok else "unreachable or not migrated"}
        redis_ok = container.redis_ready()
        if redis_ok is not None:
            checks["redis"] = "ok" if redis_ok else "unreachable"
        if not database_ok:
            return JSONResponse({"status": "unavailable", **checks}, status_code=503)
        status = "ready" if redis_ok is not False else "degraded"
        return JSONResponse({"status": status, **checks})

    # Swagger UI 5 (OpenAPI 3.1) as shipped, unmodified, by the swagger-ui-py package.
    app.mount("/static/swagger-ui", StaticFiles(directory=str(files("swagger_ui") / "static")), name="swagger-ui")
    app.mount("/static", StaticFiles(directory=str(files("frontier_review.web") / "static")), name="static")

    problems.install(app, _render_error)
    _metrics_route(app)
    shutdown = tracing.instrument(app, container.engine, settings, exporter=span_exporter)
    if shutdown is not None:
        shutdown_tracing.append(shutdown)
    openapi.install(app)  # every operation's problem answers, read off its route

    # Outermost last: request id, then metrics and the access log, security headers, body limit,
    # and sessions innermost.
    app.add_middleware(
        SessionMiddleware,
        secret_key=container.session_secret,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_seconds,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(BodySizeLimitMiddleware, limit=settings.max_body_bytes, upload_limit=settings.artifact_max_bytes)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.secure_cookies)
    app.add_middleware(HttpTelemetryMiddleware, metrics=lambda: app.state.container.metrics)
    app.add_middleware(RequestIdMiddleware)
    return app


def create_asgi(container: Container, *, span_exporter: SpanExporter | None = None) -> GatewayDispatch:
    """What servers run: gateway paths go straight to the gateway, everything else to the web app.

    The gateway has its own auth, errors and limits, and none of the web stack's per-request work.

    The job queue is built now, not on first use: building it installs the dispatchers that
    enqueue work a request commits (a webhook delivery), so a web process that had not yet
    touched the queue would otherwise leave that work to the next minute's sweeper.
    """
    container.jobs  # noqa: B018 - built for its side effect (see above)
    app = create_app(container, span_exporter=span_exporter)
    _keep_the_collector_off_the_platform()
    return GatewayDispatch(app, app.state.gateway)


def _keep_the_collector_off_the_platform() -> None:
    """Freeze what the process built at start-up, and collect the young generation less often.

    A server holds several hundred thousand long-lived objects (FastAPI's routes, SQLAlchemy's
    mappers, the templates), which Python's collector would otherwise scan again in every full
    collection; frozen, they are never scanned. Each gateway call allocates a few hundred objects,
    so the default young-generation threshold (700) ran a collection every call or two.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
