"""Web pages of scan deconfliction, under ``/clearinghouse/scans``.

- ``/clearinghouse/scans``: our scans (the scanner's list);
- ``/clearinghouse/scans/assets``: scans of our assets (the target operator's list, with Object);
- ``/clearinghouse/scans/calendar``: the clearinghouse's calendar, by week and target, overlaps highlighted;
- ``/clearinghouse/scans/new``: the registration form;
- ``/clearinghouse/scans/{id}``: a scan with its overlaps, and its change, cancel, objection and resolve forms.

Every form declares its page (``form_page``): a refused one is shown again with what was typed.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.clearinghouse.scans import browse, service
from frontier_review.clearinghouse.scans.domain import MAX_WINDOW, scan_link, split_lines
from frontier_review.kernel.errors import FieldProblem, ValidationFailed
from frontier_review.kernel.listing import Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide
from frontier_review.web.confirm import Consequences, ask
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.tables import Column, Filter, Table, table_view
from frontier_review.web.templating import flash, render
from frontier_review.web.timezones import DEFAULT_ZONE, read_local

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
_NEW = "/clearinghouse/scans/new"
_SCAN = "/clearinghouse/scans/{scan_id}"

TABLE = Table(
    id="scans-table",
    caption="Scans",
    columns=(
        Column("Window", "starts"),
        Column("Target", "target"),
        Column("Scanner", "scanner"),
        Column("Scope"),
    ),
    default_sort=Sort("starts"),
    noun=("scan", "scans"),
    search_label="Search ranges, domains, model",
    filters=(
        Filter("status", "Status", choices=(("planned", "planned"), ("cancelled", "cancelled"))),
        Filter("overlap", "Overlaps", choices=(("open", "unresolved overlap"),)),
    ),
)


def _list(request: Request, uow: UoW, principal: Principal, side: str | None, title: str, template_side: str) -> Response:
    query = TABLE.read(request.query_params)
    if side is not None:
        query = dataclasses.replace(query, filters={**query.filters, "side": side})
    table = table_view(request, TABLE, browse.page_scans(uow, principal, query), query)
    return render(
        request,
        "clearinghouse/scans_list.html",
        principal,
        table=table,
        title=title,
        side=template_side,
        clearinghouse=decide(uow, principal, Permission.SCAN_LIST_ALL, None).allowed,
        can_register=decide(uow, principal, Permission.SCAN_REGISTER, principal.org_id).allowed,
    )


@router.get("/clearinghouse/scans", response_class=HTMLResponse)
def our_scans(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The scans our organization registered (the clearinghouse: every scan)."""
    every = decide(uow, principal, Permission.SCAN_LIST_ALL, None).allowed and request.query_params.get("all") == "1"
    if every:
        return _list(request, uow, principal, None, "All registered scans", "all")
    return _list(request, uow, principal, "scanner", "Our scans", "scanner")


@router.get("/clearinghouse/scans/assets", response_class=HTMLResponse)
def scans_of_our_assets(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """Every registered scan of our organization's assets, and who registered it."""
    return _list(request, uow, principal, "target", "Scans of our assets", "target")


@router.get("/clearinghouse/scans/calendar", response_class=HTMLResponse, dependencies=[back_to("/clearinghouse/scans")])
def scan_calendar(request: Request, uow: UoW, principal: WebPrincipal, start: str = "") -> Response:
    """The clearinghouse's calendar: four weeks from ``start`` (default: this week), by target."""
    try:
        first = date.fromisoformat(start) if start else uow.clock.now().date()
    except ValueError:
        first = uow.clock.now().date()
    weeks = browse.calendar(uow, principal, start=first, weeks=4)
    monday = browse.monday_of(first)
    return render(
        request,
        "clearinghouse/scans_calendar.html",
        principal,
        weeks=weeks,
        earlier=(monday - timedelta(weeks=4)).isoformat(),
        later=(monday + timedelta(weeks=4)).isoformat(),
        this_week=browse.monday_of(uow.clock.now().date()).isoformat(),
    )


@router.get(_NEW, response_class=HTMLResponse)
def new_scan_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The registration form (only those who may register see it)."""
    targets = service.list_target_choices(uow, principal)
    now = uow.clock.now().replace(minute=0, second=0, microsecond=0)
    return render(
        request,
        "clearinghouse/scan_new.html",
        principal,
        targets=[t for t in targets if t.id != principal.org_id] + [t for t in targets if t.id == principal.org_id],
        default_start=(now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        default_end=(now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        max_days=MAX_WINDOW.days,
    )


def _when(value: str, name: str, zone: str, problems: list[FieldProblem]) -> datetime | None:
    """A datetime-local value read in the form's zone; a bad one is noted (an empty one is the service's to name)."""
    if not value.strip():
        return None
    parsed = read_local(value, zone)
    if parsed is None:
        problems.append(FieldProblem(name, f"{name} is not a date and time"))
    return parsed


def _times(starts_at: str, ends_at: str, tz: str) -> tuple[datetime | None, datetime | None]:
    problems: list[FieldProblem] = []
    start, end = _when(starts_at, "starts_at", tz, problems), _when(ends_at, "ends_at", tz, problems)
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)
    return start, end


@router.post(_NEW, dependencies=[form_page(_NEW)])
def register_scan(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    target_org_id: Annotated[str, Form(max_length=64)] = "",
    ranges: Annotated[str, Form(max_length=20_000)] = "",
    domains: Annotated[str, Form(max_length=20_000)] = "",
    starts_at: Annotated[str, Form(max_length=40)] = "",
    ends_at: Annotated[str, Form(max_length=40)] = "",
    model_version_id: Annotated[str, Form(max_length=64)] = "",
    model_text: Annotated[str, Form(max_length=200)] = "",
    purpose: Annotated[str, Form(max_length=5000)] = "",
    tz: Annotated[str, Form(max_length=64)] = DEFAULT_ZONE,
) -> Response:
    start, end = _times(starts_at, ends_at, tz)
    view = service.register_scan(
        uow,
        principal,
        target_org_id=target_org_id,
        ranges=split_lines(ranges),
        domains=split_lines(domains),
        starts_at=start,
        ends_at=end,
        model_version_id=model_version_id or None,
        model_text=model_text,
        purpose=purpose,
    )
    found = len(view.overlaps)
    flagged = (
        f" It overlaps {found} other scan{'s' if found != 1 else ''}: both scanners and the clearinghouse are notified."
        if found
        else ""
    )
    flash(request, f"Scan registered; {view.target_name} is told.{flagged}", "warning" if found else "success")
    return RedirectResponse(scan_link(view.id), status_code=303)


@router.get(_SCAN, response_class=HTMLResponse)
def scan_page(scan_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """A scan with its overlaps; 404 for anyone but its scanner, its target and the clearinghouse."""
    scan = service.get_scan(uow, principal, scan_id)
    return render(request, "clearinghouse/scan.html", principal, s=scan, now=uow.clock.now())


@router.post(_SCAN + "/change", dependencies=[form_page(_SCAN)])
def change_scan(
    scan_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    ranges: Annotated[str, Form(max_length=20_000)] = "",
    domains: Annotated[str, Form(max_length=20_000)] = "",
    starts_at: Annotated[str, Form(max_length=40)] = "",
    ends_at: Annotated[str, Form(max_length=40)] = "",
    version: Annotated[int | None, Form()] = None,
    tz: Annotated[str, Form(max_length=64)] = DEFAULT_ZONE,
) -> Response:
    start, end = _times(starts_at, ends_at, tz)
    view = service.change_scan(
        uow,
        principal,
        scan_id,
        ranges=split_lines(ranges),
        domains=split_lines(domains),
        starts_at=start,
        ends_at=end,
        expected_version=version,
    )
    found = len(view.overlaps)
    flash(
        request,
        f"Scan changed; {found} overlap{'s' if found != 1 else ''} flagged." if found else "Scan changed; no overlap.",
        "success",
    )
    return RedirectResponse(scan_link(scan_id), status_code=303)


@router.post(_SCAN + "/cancel", dependencies=[back_to(_SCAN)])
def cancel_scan(
    scan_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, confirm: Annotated[str, Form(max_length=80)] = ""
) -> Response:
    scan = service.get_scan(uow, principal, scan_id)
    consequences = Consequences(
        title=f"Cancel the scan of {scan.target_name}?",
        action=scan_link(scan_id) + "/cancel",
        effects=(
            f"{scan.target_name} is told the scan is cancelled.",
            f"Its {len(scan.overlaps)} overlap(s) are cleared." if scan.overlaps else "It has no overlap to clear.",
        ),
        final="A cancelled scan cannot be changed or restored; register a new one if plans change again.",
        button="Cancel the scan",
        back=scan_link(scan_id),
    )
    asked = ask(request, principal, consequences, confirm)
    if asked is not None:
        return asked
    service.cancel_scan(uow, principal, scan_id)
    flash(request, "Scan cancelled.", "success")
    return RedirectResponse(scan_link(scan_id), status_code=303)


@router.post(_SCAN + "/objection", dependencies=[form_page(_SCAN)])
def object_to_scan(
    scan_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, reason: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    service.object_to_scan(uow, principal, scan_id, reason=reason)
    flash(request, "Objection recorded; the scanner is told.", "success")
    return RedirectResponse(scan_link(scan_id) + "#objection", status_code=303)


@router.post(_SCAN + "/objection/withdraw", dependencies=[back_to(_SCAN)])
def withdraw_objection(scan_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    service.withdraw_objection(uow, principal, scan_id)
    flash(request, "Objection withdrawn; the scanner is told.", "success")
    return RedirectResponse(scan_link(scan_id) + "#objection", status_code=303)


@router.post(_SCAN + "/overlaps/{overlap_id}/resolve", dependencies=[form_page(_SCAN)])
def resolve_overlap(
    scan_id: uuid.UUID,
    overlap_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    service.resolve_overlap(uow, principal, overlap_id, note=note)
    flash(request, "Overlap marked resolved.", "success")
    return RedirectResponse(scan_link(scan_id) + "#overlaps", status_code=303)
