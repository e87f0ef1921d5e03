"""The home page route (``/``): each role's pending work, from :mod:`.page`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from frontier_review.engagements import Severity
from frontier_review.home.page import QueueDepth, home_page
from frontier_review.web.deps import UoW, WebPrincipal
from frontier_review.web.templating import render

router = APIRouter(include_in_schema=False)


def _queue_depth(request: Request) -> QueueDepth:
    huey = request.app.state.container.jobs.huey
    return QueueDepth(pending=int(huey.pending_count()), scheduled=int(huey.scheduled_count()))


@router.get("/", response_class=HTMLResponse)
def home(request: Request, uow: UoW, principal: WebPrincipal, severity: str = "") -> Response:
    wanted = Severity(severity) if severity in {s.value for s in Severity} else None
    page = home_page(uow, principal, severity=wanted, queue_depth=lambda: _queue_depth(request))
    return render(request, "home.html", principal, home=page, severities=list(Severity))
