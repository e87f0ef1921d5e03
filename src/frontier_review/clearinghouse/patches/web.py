"""Pages of patch distribution: the exposure board, and the two forms of the report page's section.

The report page and the priority board are the reports slice's routes; they call this slice's
reads (``browse.section``, ``browse.still_exposed``) in their own unit of work and hand the result
to the templates. Every change goes through the service, which authorizes again; a refused form is
shown again on the report page.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.clearinghouse.patches import browse, service
from frontier_review.clearinghouse.patches.domain import FixInput
from frontier_review.clearinghouse.patches.policy import sees_every_operator
from frontier_review.clearinghouse.patches.views import ExposureBoard, ExposureRow
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.tables import Column, Filter, Table, TableView, table_view
from frontier_review.web.templating import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
_REPORT = "/clearinghouse/reports/{report_id}"

# An operator's own board: one row per report (its own record of it).
OWN_BOARD = Table(
    id="exposure",
    caption="Reports affecting your organization",
    columns=(
        Column("Priority", "priority", descending_first=True, numeric=True),
        Column("Report", "title"),
        Column("Your patch status", "state"),
        Column("Updated", "updated", descending_first=True),
    ),
    default_sort=browse.EXPOSURE_SORT,
    noun=("report", "reports"),
    search_label="Title or CVE",
    filters=(Filter("show", "Show", choices=(("exposed", "still exposed only"),), any_label="every record"),),
)
# The clearinghouse's: one row per report and operator.
EVERY_BOARD = replace(
    OWN_BOARD,
    caption="Affected operators' patch status",
    columns=(
        Column("Priority", "priority", descending_first=True, numeric=True),
        Column("Report", "title"),
        Column("Operator", "operator"),
        Column("Patch status", "state"),
        Column("Updated", "updated", descending_first=True),
    ),
    noun=("record", "records"),
)


def _link(report_id: uuid.UUID) -> str:
    return f"/clearinghouse/reports/{report_id}#patches"


def count_text(view: TableView[ExposureRow], exposed: int) -> str:
    """The board's count line: "3 reports, 1 still exposed", "51–100 of 120 records, 80 still exposed"."""
    one, many = view.table.noun
    page, total = view.page, view.page.total
    shown = f"{total} {one if total == 1 else many}" if page.pages == 1 else f"{page.first}–{page.last} of {total} {many}"
    return f"{shown}, {exposed} still exposed."


@router.get("/clearinghouse/exposure", response_class=HTMLResponse)
def exposure(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The exposure board: the organization's records by priority (the clearinghouse: every operator's)."""
    table = EVERY_BOARD if sees_every_operator(principal) else OWN_BOARD
    query = table.read(request.query_params)
    board: ExposureBoard = browse.page_exposure(uow, principal, query)
    view = table_view(request, table, board.rows, query)
    return render(
        request,
        "clearinghouse/exposure.html",
        principal,
        table=view,
        every=board.every_operator,
        count=count_text(view, board.exposed),
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


__all__ = ["EVERY_BOARD", "OWN_BOARD", "count_text", "router"]
