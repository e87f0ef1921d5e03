"""Web pages of the audit log: browser with filters, chain status, checkpoint, export."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from frontier_review.audit import browse as audit_log
from frontier_review.audit import service
from frontier_review.audit.api import jsonl_response
from frontier_review.audit.domain import Outcome
from frontier_review.kernel.permissions import Permission
from frontier_review.policies import decide
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf, web_hooks
from frontier_review.web.templating import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
PAGE = 50


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    action: str | None = None,
    actor: str | None = None,
    outcome: str | None = None,
    before_seq: int | None = None,
) -> Response:
    flt = audit_log.EntryFilter(action=action or None, actor=actor or None, outcome=outcome or None, before_seq=before_seq)
    entries = audit_log.list_entries(uow, principal, flt, limit=PAGE)
    now = uow.clock.now()
    audit_all = decide(uow, principal, Permission.AUDIT_READ_ALL, None, now).allowed
    report = checkpoints = None
    if decide(uow, principal, Permission.AUDIT_VERIFY, None, now).allowed:
        report = service.verify(uow, principal, tail_only=True)
        checkpoints = service.list_checkpoints(uow, principal, limit=1)
    params = {k: v for k, v in {"action": action, "actor": actor, "outcome": outcome}.items() if v}
    next_query = urlencode({**params, "before_seq": entries[-1]["seq"]}) if entries else ""
    scope_name = ""
    if not audit_all and principal.org_id is not None:
        scope_name = web_hooks(request).organization_name(uow, principal.org_id) or ""
    return render(
        request,
        "audit.html",
        principal,
        entries=entries,
        flt=flt,
        report=report,
        checkpoints=checkpoints,
        audit_all=audit_all,
        outcomes=[o.value for o in Outcome],
        limit=PAGE,
        next_query=next_query,
        query_string=("?" + urlencode(params)) if params else "",
        scope_name=scope_name,
    )


@router.post("/audit/checkpoints")
def checkpoint(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    info = service.create_checkpoint(uow, principal)
    if info is None:
        flash(request, "Nothing new to sign since the last checkpoint.", "info")
    else:
        flash(request, f"Checkpoint signed at entry #{info.seq}.", "success")
    return RedirectResponse("/audit", status_code=303)


@router.get("/audit/export.jsonl")
def export(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    action: str | None = None,
    actor: str | None = None,
    outcome: str | None = None,
) -> StreamingResponse:
    flt = audit_log.EntryFilter(action=action or None, actor=actor or None, outcome=outcome or None)
    return jsonl_response(request, audit_log.start_export(uow, principal, flt))
