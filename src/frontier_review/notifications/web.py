"""The notifications page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.notifications import service
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])


@router.get("/notifications", response_class=HTMLResponse)
def notifications(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    return render(request, "notifications.html", principal, items=service.list_mine(uow, principal, limit=100))


@router.post("/notifications/read")
def mark_read(uow: UoW, principal: WebPrincipal) -> Response:
    service.mark_all_read(uow, principal)
    return RedirectResponse("/notifications", status_code=303)
