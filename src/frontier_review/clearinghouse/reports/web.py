"""Web pages of the clearinghouse: hub, submission, triage queue, priority board, report, public page.

The report page carries its actions; the public page lists validated TLP:CLEAR reports. The
report page's "Patch distribution" section and the priority board's "still exposed" counts are the
patches slice's reads, called here in the route's own unit of work (one per request), so the
templates only draw what they are given.

Every list and count comes from ``browse`` (the report's TLP audience); every action calls the
service, which authorizes again. Irreversible actions (disclose, reject, merge) go through the
confirm kit. A refused form is shown again with what was typed (``form_page``).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.clearinghouse import patches
from frontier_review.clearinghouse.reports import browse, service, workflow
from frontier_review.clearinghouse.reports.domain import ProductInput, ReportStatus, Tlp, report_link
from frontier_review.clearinghouse.reports.service import ReportInput
from frontier_review.identity import directory
from frontier_review.identity.domain import OrgKind, Sector
from frontier_review.kernel.listing import Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide
from frontier_review.web.confirm import Consequences, ask
from frontier_review.web.deps import OptionalWebPrincipal, UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.tables import Column, Filter, Table, table_view
from frontier_review.web.templating import flash, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
_NEW = "/clearinghouse/reports/new"
_REPORT = "/clearinghouse/reports/{report_id}"
_STATUS_CHOICES = [("open", "open"), *((s.value, s.value) for s in ReportStatus)]
_TLP_CHOICES = [(t.value, t.value) for t in Tlp]
PRODUCT_ROWS = 3

QUEUE = Table(
    id="queue",
    caption="Reports",
    columns=(
        Column("Priority", "priority", descending_first=True, numeric=True),
        Column("Title", "title"),
        Column("Label", "tlp"),
        Column("Status", "status"),
        Column("CVE", "cve"),
        Column("Received", "received", descending_first=True),
    ),
    default_sort=Sort("priority", descending=True),
    noun=("report", "reports"),
    search_label="Title or CVE",
    filters=(
        Filter("status", "Status", choices=_STATUS_CHOICES),
        Filter("tlp", "Label", choices=_TLP_CHOICES),
        Filter("validated", "Validated", choices=[("yes", "validated"), ("no", "unvalidated")]),
    ),
)
PUBLIC = Table(
    id="public",
    caption="Validated TLP:CLEAR reports",
    columns=(
        Column("Title", "title"),
        Column("CVE", "cve"),
        Column("Priority", "priority", descending_first=True, numeric=True),
        Column("Received", "received", descending_first=True),
    ),
    default_sort=Sort("received", descending=True),
    noun=("report", "reports"),
    search_label="Title or CVE",
)


@router.get("/clearinghouse", response_class=HTMLResponse)
def hub(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """What this organization can do at the clearinghouse, with its own counts."""
    counts = browse.queue_counts(uow, principal)
    works_queue = decide(uow, principal, Permission.REPORT_QUEUE, None).allowed
    mine = browse.page_reports(uow, principal, QUEUE.read({"sort": "received", "descending": "true"}))
    card = directory.find_organization(uow, principal.org_id) if principal.org_id is not None else None
    return render(
        request,
        "clearinghouse/hub.html",
        principal,
        counts=counts,
        works_queue=works_queue,
        recent=mine,
        OrgKind=OrgKind,
        member=card is not None,
        law_enforcement=card is not None and card.law_enforcement,
    )


@router.get("/clearinghouse/queue", response_class=HTMLResponse)
def queue(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    query = QUEUE.read(request.query_params)
    listing = table_view(request, QUEUE, browse.page_queue(uow, principal, query), query)
    return render(request, "clearinghouse/queue.html", principal, listing=listing, board=False, exposed={})


@router.get("/clearinghouse/board", response_class=HTMLResponse)
def board(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The priority board: open reports ranked by the formula, with the factors next to each number."""
    query = QUEUE.read({**request.query_params, "status": request.query_params.get("status") or "open"})
    page = browse.page_queue(uow, principal, query)
    listing = table_view(request, QUEUE, page, query)
    # Only where the reader sees every record (the clearinghouse); left out, not zero, elsewhere.
    exposed = patches.still_exposed(uow, principal, [r.id for r in page])
    return render(request, "clearinghouse/queue.html", principal, listing=listing, board=True, exposed=exposed)


@router.get("/clearinghouse/public", response_class=HTMLResponse)
def public(request: Request, uow: UoW, principal: OptionalWebPrincipal) -> Response:
    """Validated TLP:CLEAR reports, for anyone (no sign-in)."""
    query = PUBLIC.read(request.query_params)
    listing = table_view(request, PUBLIC, browse.page_public(uow, query), query)
    return render(request, "clearinghouse/public.html", principal, listing=listing)


@router.get(_NEW, response_class=HTMLResponse)
def new_report(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    orgs = directory.list_organizations(uow)
    people = directory.list_members(uow, [o.id for o in orgs])
    names = {o.id: o.name for o in orgs}
    return render(
        request,
        "clearinghouse/new.html",
        principal,
        tlps=_TLP_CHOICES,
        sectors=[(s.value, s.label) for s in Sector],
        orgs=[(str(o.id), o.name) for o in orgs if o.id != principal.org_id],
        people=[(str(p.id), f"{p.email} ({names.get(p.organization_id, '?') if p.organization_id else '?'})") for p in people],
        rows=range(PRODUCT_ROWS),
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


@router.post(_NEW, dependencies=[form_page(_NEW)])  # the service names the form's own fields
def submit(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    title: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=50_000)],
    tlp: Annotated[str, Form(max_length=24)],
    cve_id: Annotated[str, Form(max_length=40)] = "",
    cwe_ids: Annotated[str, Form(max_length=400)] = "",
    cvss31: Annotated[str, Form(max_length=200)] = "",
    cvss40: Annotated[str, Form(max_length=300)] = "",
    references: Annotated[str, Form(max_length=20_000)] = "",
    embargo_until: Annotated[str, Form(max_length=10)] = "",
    ai_notes: Annotated[str, Form(max_length=2000)] = "",
    ai_model_version_id: Annotated[str, Form(max_length=40)] = "",
    ai_assisted_exploitability: Annotated[str, Form(max_length=5)] = "",
    exploited: Annotated[str, Form(max_length=5)] = "",
    sectors: Annotated[list[str] | None, Form(max_length=16)] = None,
    recipient_orgs: Annotated[list[str] | None, Form(max_length=100)] = None,
    recipient_people: Annotated[list[str] | None, Form(max_length=100)] = None,
    vendor: Annotated[list[str] | None, Form(max_length=PRODUCT_ROWS)] = None,
    product: Annotated[list[str] | None, Form(max_length=PRODUCT_ROWS)] = None,
    purl: Annotated[list[str] | None, Form(max_length=PRODUCT_ROWS)] = None,
    cpe: Annotated[list[str] | None, Form(max_length=PRODUCT_ROWS)] = None,
    versions: Annotated[list[str] | None, Form(max_length=PRODUCT_ROWS)] = None,
) -> Response:
    cols = [vendor or [], product or [], purl or [], cpe or [], versions or []]
    n = max(len(c) for c in cols)
    products = [ProductInput(*(c[i] if i < len(c) else "" for c in cols)) for i in range(n)]
    view = service.submit(
        uow,
        principal,
        ReportInput(
            title=title,
            description=description,
            tlp=tlp,
            products=products,
            cve_id=cve_id,
            cwe_ids=_lines(cwe_ids),
            cvss31=cvss31,
            cvss40=cvss40,
            sectors=sectors or [],
            references=_lines(references),
            embargo_until=embargo_until or None,
            ai_model_version_id=ai_model_version_id or None,
            ai_notes=ai_notes,
            ai_assisted_exploitability=bool(ai_assisted_exploitability),
            exploited=bool(exploited),
        ),
        recipient_orgs=recipient_orgs or [],
        recipient_people=recipient_people or [],
    )
    flash(request, "Report received. It stays with your organization and the clearinghouse until it is validated.", "success")
    return RedirectResponse(report_link(view.id), status_code=303)


@router.get(_REPORT, response_class=HTMLResponse)
def report_page(report_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    view = service.get_report(uow, principal, report_id)
    orgs = directory.list_organizations(uow) if (view.may_address or view.may_name_validator or view.may_relabel) else []
    return render(
        request,
        "clearinghouse/report.html",
        principal,
        r=view,
        tlps=_TLP_CHOICES,
        orgs=[(str(o.id), o.name) for o in orgs],
        validators=[(str(o.id), o.name) for o in orgs if o.id != view.source_org_id],
        named_orgs=[str(n.id) for n in view.recipient_orgs],
        distribution=patches.section(uow, principal, report_id),
    )


@router.post(_REPORT + "/status", dependencies=[form_page(_REPORT)])
def advance(
    report_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, status: Annotated[str, Form(max_length=20)]
) -> Response:
    view = workflow.advance(uow, principal, report_id, to=status)
    flash(request, f"Report {view.status.value}.", "success")
    return RedirectResponse(report_link(report_id), status_code=303)


@router.post(_REPORT + "/tlp", dependencies=[form_page(_REPORT)])
def relabel(
    report_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    tlp: Annotated[str, Form(max_length=24)],
    recipient_orgs: Annotated[list[str] | None, Form(max_length=100)] = None,
    recipient_people: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    view = workflow.relabel(
        uow, principal, report_id, tlp=tlp, recipient_orgs=recipient_orgs or [], recipient_people=_lines(recipient_people)
    )
    flash(request, f"Label {view.tlp.value}; recipients saved.", "success")
    return RedirectResponse(report_link(report_id), status_code=303)


@router.post(_REPORT + "/validator", dependencies=[form_page(_REPORT)])
def name_validator(
    report_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    organization_id: Annotated[str, Form(max_length=40)],
) -> Response:
    view = workflow.name_validator(uow, principal, report_id, organization_id=organization_id)
    flash(request, f"{view.validator_org_name} validates this report.", "success")
    return RedirectResponse(report_link(report_id), status_code=303)


@router.post(_REPORT + "/validation", dependencies=[form_page(_REPORT)])
def validate(
    report_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    notes: Annotated[str, Form(max_length=20_000)] = "",
    evidence: Annotated[str, Form(max_length=20_000)] = "",
    reproduced: Annotated[str, Form(max_length=5)] = "",
    versions_confirmed: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    workflow.validate(
        uow,
        principal,
        report_id,
        reproduced=bool(reproduced),
        versions_confirmed=bool(versions_confirmed),
        notes=notes,
        evidence=evidence,
    )
    flash(request, "Validated: the report now reaches its label's audience.", "success")
    return RedirectResponse(report_link(report_id), status_code=303)


def _ask_if_allowed(
    may: bool, request: Request, principal: Principal, consequences: Consequences, confirm: str
) -> Response | None:
    """The confirmation page, only for whoever may do the action.

    Others go straight to the use case, which refuses (and audits) exactly as without a page.
    """
    return ask(request, principal, consequences, confirm) if may else None


@router.post(_REPORT + "/disclose", dependencies=[form_page(_REPORT)])
def disclose(
    report_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, confirm: Annotated[str, Form(max_length=80)] = ""
) -> Response:
    view = service.get_report(uow, principal, report_id)
    asked = _ask_if_allowed(
        view.may_disclose,
        request,
        principal,
        Consequences(
            title=f"Disclose “{view.title}”?",
            action=report_link(report_id) + "/disclose",
            effects=(
                "The report becomes disclosed: its workflow ends.",
                "Its label does not change; only its source relaxes it.",
            ),
            final="A disclosed report cannot be reopened.",
            button="Disclose",
            back=report_link(report_id),
        ),
        confirm,
    )
    if asked is not None:
        return asked
    workflow.disclose(uow, principal, report_id)
    flash(request, "Report disclosed.", "success")
    return RedirectResponse(report_link(report_id), status_code=303)


@router.post(_REPORT + "/reject", dependencies=[form_page(_REPORT)])
def reject(
    report_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    reason: Annotated[str, Form(max_length=2000)] = "",
    confirm: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    view = service.get_report(uow, principal, report_id)
    asked = _ask_if_allowed(
        view.may_reject,
        request,
        principal,
        Consequences(
            title=f"Reject “{view.title}”?",
            action=report_link(report_id) + "/reject",
            effects=("The report becomes rejected; its source is told.",),
            final="A rejected report cannot be reopened.",
            button="Reject",
            back=report_link(report_id),
            reason="Why (kept in the report's history)",
            reason_hint="Everyone who may read the report reads it.",
        ),
        confirm,
    )
    if asked is not None:
        return asked
    workflow.reject(uow, principal, report_id, reason=reason)
    flash(request, "Report rejected.", "success")
    return RedirectResponse(report_link(report_id), status_code=303)


@router.post(_REPORT + "/merge", dependencies=[form_page(_REPORT)])
def merge(
    report_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    into: Annotated[str, Form(max_length=40)],
    confirm: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    view = service.get_report(uow, principal, report_id)
    try:
        canonical_id = uuid.UUID(into.strip())
    except ValueError:
        from frontier_review.kernel.errors import ValidationFailed

        raise ValidationFailed("give the canonical report's id", field="into") from None
    canonical = service.get_report(uow, principal, canonical_id)
    asked = _ask_if_allowed(
        view.may_merge,
        request,
        principal,
        Consequences(
            title=f"Merge “{view.title}” into “{canonical.title}”?",
            action=report_link(report_id) + "/merge",
            effects=(
                "This report becomes a duplicate of the canonical one.",
                "The canonical report's label and recipients do not change.",
            ),
            final="A merged duplicate cannot be reopened.",
            button="Merge",
            back=report_link(report_id),
            fields={"into": str(canonical_id)},
        ),
        confirm,
    )
    if asked is not None:
        return asked
    workflow.merge(uow, principal, report_id, into=canonical_id)
    flash(request, "Merged as a duplicate.", "success")
    return RedirectResponse(report_link(report_id), status_code=303)
