"""Web pages of the audit log: browser with filters, chain status, checkpoint, export.

The browser pages by position in the chain (Newer/Older, with the filtered total), filters in the
query (actor, action, outcome, target, a date range in the viewer's time zone), and shows each
target by the name its area gives it for this reader (``audit.targets``), or as a bare id when the
reader may not see it.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from frontier_review.audit import browse as audit_log
from frontier_review.audit import service
from frontier_review.audit.api import jsonl_response
from frontier_review.audit.domain import Outcome
from frontier_review.audit.targets import name_targets
from frontier_review.kernel.listing import ListQuery, Page
from frontier_review.kernel.permissions import Permission
from frontier_review.policies import decide
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf, web_hooks
from frontier_review.web.tables import Column, Filter, Sort, Table, table_view
from frontier_review.web.templating import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
PAGE = 50
UTC_ZONE = "UTC"
_ZONE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*$")

AUDIT_TABLE = Table(
    id="audit-table",
    caption="Audit entries, newest first",
    noun=("entry", "entries"),
    columns=tuple(Column(label) for label in ("#", "When", "Who", "Action", "Outcome", "Target", "Reason")),
    default_sort=Sort("seq", descending=True),
    filters=(
        Filter("action", "Action starts with", kind="text", placeholder="identity:login"),
        Filter("actor", "Actor contains", kind="text"),
        Filter("outcome", "Outcome", choices=tuple((o.value, o.value) for o in Outcome)),
        Filter("target_type", "Target type"),
        Filter("target", "Target id starts with", kind="text"),
        Filter("from", "From", kind="date"),
        Filter("to", "To (inclusive)", kind="date"),
    ),
    per_page=PAGE,
    # Set by the form's own zone field, or positions in the log that a new filter starts over from.
    reset_params=("tz", "before_seq", "after_seq"),
)


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(raw: str | None) -> str:
    """The IANA time zone the date range is read in: the one asked for if it exists, else UTC."""
    name = (raw or "").strip()
    if name and len(name) <= 64 and _ZONE_NAME.match(name) and name in _zones():
        return name
    return UTC_ZONE


def _keyset(raw: str | None) -> int | None:
    """A position in the log from the URL; anything else is ignored (the newest page is shown)."""
    try:
        value = int(raw) if raw else None
    except ValueError:
        return None
    return value if value is not None and 0 <= value < 2**62 else None


def _entry_filter(query: ListQuery, zone: str) -> tuple[audit_log.EntryFilter, list[str]]:
    """The log's filter from the table's values, and what had to be ignored (said on the page)."""
    problems = []
    bounds: dict[str, datetime | None] = {"from": None, "to": None}
    for name in bounds:
        raw = query.filter(name)
        if raw is None:
            continue
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            problems.append(f"“{raw}” is not a date; the {name} date was ignored.")
            continue
        # From the start of the first day to the end of the last one, in the viewer's zone.
        start = datetime.combine(day + timedelta(days=1 if name == "to" else 0), time(), ZoneInfo(zone))
        bounds[name] = start
    since, until = bounds["from"], bounds["to"]
    if since is not None and until is not None and since >= until:
        problems.append("The “from” date is after the “to” date, so no entry can match.")
    flt = audit_log.EntryFilter(
        action=query.filter("action"),
        actor=query.filter("actor"),
        outcome=query.filter("outcome"),
        target_type=query.filter("target_type"),
        target_id=query.filter("target"),
        since=since,
        until=until,
    )
    return flt, problems


def _table(uow: UoW, principal: WebPrincipal) -> Table:
    """The browser's table, its target types being the ones recorded in what the reader may see."""
    kinds = audit_log.list_target_types(uow, principal)
    return AUDIT_TABLE.with_choices("target_type", ((k, k.replace("_", " ")) for k in kinds))


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    spec = _table(uow, principal)
    params = request.query_params
    query = spec.read(params)
    zone = _zone(params.get("tz"))
    flt, problems = _entry_filter(query, zone)
    before, after = _keyset(params.get("before_seq")), _keyset(params.get("after_seq"))
    found = audit_log.page_entries(uow, principal, flt, limit=PAGE, before_seq=before, after_seq=after)
    names = name_targets(uow, principal, [(e["target"]["type"], e["target"]["id"]) for e in found.entries])
    table = table_view(request, spec, Page(found.entries, found.total, 1, PAGE, AUDIT_TABLE.default_sort), query)
    if found.total == 0:
        count = table.count_text
    else:
        count = f"{found.first}–{found.last} of {found.total} entries" if found.has_newer or found.has_older else table.count_text
    newest = table.href(before_seq=None, after_seq=None)
    pager = {
        "newest": newest if found.has_newer else None,
        "newer": table.href(before_seq=None, after_seq=str(found.entries[0]["seq"])) if found.has_newer else None,
        "older": table.href(after_seq=None, before_seq=str(found.entries[-1]["seq"])) if found.has_older else None,
        "oldest": table.href(before_seq=None, after_seq="0") if found.has_older else None,
    }
    now = uow.clock.now()
    audit_all = decide(uow, principal, Permission.AUDIT_READ_ALL, None, now).allowed
    report = checkpoints = None
    if decide(uow, principal, Permission.AUDIT_VERIFY, None, now).allowed:
        report = service.verify(uow, principal, tail_only=True)
        checkpoints = service.list_checkpoints(uow, principal, limit=1)
    scope_name = ""
    if not audit_all and principal.org_id is not None:
        scope_name = web_hooks(request).organization_name(uow, principal.org_id) or ""
    export = "/audit/export.jsonl" + table.href(before_seq=None, after_seq=None).removeprefix(table.path)
    return render(
        request,
        "audit.html",
        principal,
        entries=found.entries,
        target_names=names,
        table=table,
        count=count,
        pager=pager,
        zone=zone,
        problems=problems,
        report=report,
        checkpoints=checkpoints,
        audit_all=audit_all,
        export_href=export,
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
def export(request: Request, uow: UoW, principal: WebPrincipal) -> StreamingResponse:
    """Every entry matching the browser's filters (all of them, not one page), in chain order."""
    params = request.query_params
    query = _table(uow, principal).read(params)
    flt, _problems = _entry_filter(query, _zone(params.get("tz")))
    return jsonl_response(request, audit_log.start_export(uow, principal, flt))
