"""Pages of patch distribution: the exposure board, the report page's section and its two forms.

The report page and the priority board are the reports slice's routes; this slice adds to them
through two template functions (:func:`section_for` and :func:`exposed_for`, installed in the
templates' globals when this module is imported) so neither slice imports the other's web layer.
Each opens its own read-only unit of work, as the page header's unread count does, and records
nothing: the page around it already read (and audited) the report. Every change goes through
the service, which authorizes again; a refused form is shown again on the report page.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.clearinghouse.patches import browse, service
from frontier_review.clearinghouse.patches.domain import FixInput
from frontier_review.clearinghouse.patches.views import DistributionView
from frontier_review.kernel.principal import Principal
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.templating import flash, render, templates

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
_REPORT = "/clearinghouse/reports/{report_id}"


def _link(report_id: uuid.UUID) -> str:
    return f"/clearinghouse/reports/{report_id}#patches"


def section_for(request: Request, principal: Principal | None, report_id: uuid.UUID) -> DistributionView | None:
    """The report page's "Patch distribution" section for this reader (None: nothing to show)."""
    if principal is None:
        return None
    with request.app.state.container.uow() as uow:
        return browse.section(uow, principal, report_id)


def exposed_for(request: Request, principal: Principal | None, rows: Iterable[Any]) -> dict[uuid.UUID, int]:
    """The priority board's "still exposed" count per report, where the reader sees every record."""
    if principal is None:
        return {}
    with request.app.state.container.uow() as uow:
        return browse.still_exposed(uow, principal, [r.id for r in rows])


templates.env.globals["patch_section"] = section_for
templates.env.globals["still_exposed"] = exposed_for


@router.get("/clearinghouse/exposure", response_class=HTMLResponse)
def exposure(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The organization's exposure board: reports affecting it, by priority, with its own patch status."""
    rows = browse.exposure(uow, principal)
    wanted = request.query_params.get("show", "")
    shown = [r for r in rows if r.exposed] if wanted == "exposed" else rows
    return render(
        request,
        "clearinghouse/exposure.html",
        principal,
        rows=shown,
        total=len(rows),
        exposed=sum(r.exposed for r in rows),
        show=wanted,
    )


@router.post(_REPORT + "/fixes", dependencies=[form_page(_REPORT)])
def add_fix(
    report_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    fixed_version: Annotated[str, Form(max_length=200)] = "",
    released_on: Annotated[str, Form(max_length=20)] = "",
    link: Annotated[str, Form(max_length=2100)] = "",
    notes: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    fix = service.add_fix(uow, principal, report_id, FixInput(fixed_version, released_on, link, notes))
    flash(request, f"Fix {fix.fixed_version} recorded.", "success")
    return RedirectResponse(_link(report_id), status_code=303)


@router.post(_REPORT + "/distribution/mine", dependencies=[form_page(_REPORT)])
def update_own(
    report_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    state: Annotated[str, Form(max_length=20)],
    note: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    record = service.update_own(uow, principal, report_id, state=state, note=note)
    flash(request, f"Patch status: {record.state.label.lower()}.", "success")
    return RedirectResponse(_link(report_id), status_code=303)


__all__ = ["exposed_for", "router", "section_for"]
