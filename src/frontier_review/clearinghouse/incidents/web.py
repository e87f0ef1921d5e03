"""Web pages of AI-enabled intrusion reports, under ``/clearinghouse/incidents``.

- ``/clearinghouse/incidents``: the incidents the reader may see (for the clearinghouse, its queue);
- ``/clearinghouse/incidents/new``: the report form, with typed indicator rows;
- ``/clearinghouse/incidents/referred``: a law-enforcement organization's "referred to us" list;
- ``/clearinghouse/incidents/{id}``: the incident (indicators, label, referrals, acknowledgement).

Every form declares its page (``form_page``): a refused one is shown again with what was typed,
indicator rows included. A referral is confirmed on its own page first (``web/confirm.py``): it
shares the incident with another organization and cannot be taken back.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.clearinghouse.incidents import choices, service
from frontier_review.clearinghouse.incidents.browse import page_incidents
from frontier_review.clearinghouse.incidents.domain import DETECTION_LABELS, TRANSITIONS, IncidentStatus, Tlp, incident_link
from frontier_review.clearinghouse.incidents.observables import Kind
from frontier_review.identity.domain import Sector
from frontier_review.kernel.listing import Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind
from frontier_review.policies import decide
from frontier_review.web.confirm import Consequences, ask
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.tables import Column, Filter, Table, table_view
from frontier_review.web.templating import flash, render
from frontier_review.web.timezones import DEFAULT_ZONE, read_local

router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)])
_BASE = "/clearinghouse/incidents"
_NEW = _BASE + "/new"
_PAGE = _BASE + "/{incident_id}"
_ROWS = 3  # empty indicator rows the form offers (more after a refusal that kept more)

INCIDENTS_TABLE = Table(
    id="incidents-table",
    caption="AI-enabled intrusions",
    noun=("incident", "incidents"),
    columns=(
        Column("Title", "title"),
        Column("Reported by", "reporter"),
        Column("TLP", "tlp"),
        Column("Status", "status"),
        Column("Detected", "detected", descending_first=True),
        Column("Reported", "reported", descending_first=True),
    ),
    default_sort=Sort("reported", descending=True),
    search_label="Title contains",
    filters=(
        Filter("status", "Status", choices=tuple((s.value, s.label) for s in IncidentStatus)),
        Filter("tlp", "TLP", choices=tuple((t.value, t.value) for t in Tlp)),
        Filter("sector", "Sector", choices=tuple((s.value, s.label) for s in Sector)),
    ),
)


def _list(request: Request, uow: UoW, principal: WebPrincipal, *, referred: bool) -> Response:
    query = INCIDENTS_TABLE.read(request.query_params)
    result = page_incidents(uow, principal, query, referred_to_me=referred)
    return render(
        request,
        "clearinghouse/incidents.html",
        principal,
        table=table_view(request, INCIDENTS_TABLE, result.page, query),
        counts=result.counts,
        referred=referred,
        queue=principal.org_kind is OrgKind.CLEARINGHOUSE and not referred,
        can_report=decide(uow, principal, Permission.INCIDENT_REPORT, None).allowed,
    )


@router.get(_BASE, response_class=HTMLResponse)
def incidents(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """Every incident the reader may see; the clearinghouse's queue."""
    return _list(request, uow, principal, referred=False)


@router.get(_BASE + "/referred", response_class=HTMLResponse)
def referred_to_us(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The incidents referred to the reader's organization (law enforcement)."""
    return _list(request, uow, principal, referred=True)


@router.get(_NEW, response_class=HTMLResponse)
def new_incident(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    orgs, people = choices.list_recipient_choices(uow, principal)
    form = getattr(request.state, "form", None)
    kept = form.form.values if form is not None and form.action == _NEW else {}
    rows = max(_ROWS, len(kept.get("indicator_type", [])))
    return render(
        request,
        "clearinghouse/incident_new.html",
        principal,
        kinds=list(Kind),
        rows=rows,
        sectors=list(Sector),
        detections=DETECTION_LABELS,
        tlps=list(Tlp),
        org_choices=orgs,
        people_choices=people,
    )


@router.post(_NEW, dependencies=[form_page(_NEW)])
def report(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    title: Annotated[str, Form(max_length=200)],
    systems: Annotated[str, Form(max_length=2000)],
    started_at: Annotated[str, Form(max_length=40)],
    detected_at: Annotated[str, Form(max_length=40)],
    detection: Annotated[str, Form(max_length=32)],
    narrative: Annotated[str, Form(max_length=50_000)],
    tlp: Annotated[str, Form(max_length=24)],
    detection_details: Annotated[str, Form(max_length=2000)] = "",
    model_text: Annotated[str, Form(max_length=200)] = "",
    model_version_id: Annotated[str, Form(max_length=40)] = "",
    sectors: Annotated[list[str] | None, Form(max_length=16)] = None,
    indicator_type: Annotated[list[str] | None, Form(max_length=200)] = None,
    indicator_value: Annotated[list[str] | None, Form(max_length=200)] = None,
    recipient_orgs: Annotated[list[str] | None, Form(max_length=100)] = None,
    recipient_people: Annotated[list[str] | None, Form(max_length=100)] = None,
    tz: Annotated[str, Form(max_length=64)] = DEFAULT_ZONE,
) -> Response:
    """Report the incident; empty indicator rows are skipped."""
    types, values = indicator_type or [], indicator_value or []
    # Every row as sent (an empty row is skipped by the domain), so a problem names the row typed.
    rows = [(k, v) for k, v in zip(types, values, strict=False)]
    view = service.report_incident(
        uow,
        principal,
        title=title,
        systems=systems,
        sectors=sectors or [],
        started_at=read_local(started_at, tz),
        detected_at=read_local(detected_at, tz),
        detection=detection,
        detection_details=detection_details,
        model_version_id=model_version_id or None,
        model_text=model_text,
        narrative=narrative,
        indicators=rows,
        tlp=tlp,
        recipient_orgs=recipient_orgs or [],
        recipient_people=recipient_people or [],
    )
    flash(request, "Incident reported; the clearinghouse is notified.", "success")
    return RedirectResponse(incident_link(view.id), status_code=303)


@router.get(_PAGE, response_class=HTMLResponse)
def incident_page(incident_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    view = service.get_incident(uow, principal, incident_id)
    orgs, people = choices.list_recipient_choices(uow, principal) if view.may_relabel else ([], [])
    return render(
        request,
        "clearinghouse/incident.html",
        principal,
        i=view,
        tlps=list(Tlp),
        steps=[s for s in TRANSITIONS[view.status] if s in {IncidentStatus.UNDER_REVIEW, IncidentStatus.CLOSED}],
        can_refer_now=view.may_refer and IncidentStatus.REFERRED in TRANSITIONS[view.status],
        law_enforcement=choices.list_law_enforcement(uow, principal, incident_id) if view.may_refer else [],
        referral_people=choices.list_referral_people(uow, principal, incident_id) if view.may_refer else [],
        org_choices=orgs,
        people_choices=people,
        named_orgs={o.id for o in view.recipient_orgs},
        named_people={p.user_id for p in view.recipient_people},
    )


@router.post(_PAGE + "/triage", dependencies=[back_to(_PAGE)])
def triage(
    incident_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal, status: Annotated[str, Form(max_length=16)]
) -> Response:
    view = service.triage(uow, principal, incident_id, status=status)
    flash(request, f"Incident {view.status.label.lower()}.", "success")
    return RedirectResponse(incident_link(incident_id), status_code=303)


@router.post(_PAGE + "/tlp", dependencies=[form_page(_PAGE)])
def relabel(
    incident_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    tlp: Annotated[str, Form(max_length=24)],
    recipient_orgs: Annotated[list[str] | None, Form(max_length=100)] = None,
    recipient_people: Annotated[list[str] | None, Form(max_length=100)] = None,
) -> Response:
    view = service.relabel(
        uow, principal, incident_id, tlp=tlp, recipient_orgs=recipient_orgs or [], recipient_people=recipient_people or []
    )
    flash(request, f"Label set to {view.tlp.value}.", "success")
    return RedirectResponse(incident_link(incident_id), status_code=303)


@router.post(_PAGE + "/refer", response_class=HTMLResponse, dependencies=[form_page(_PAGE, aliases={"people": "people"})])
def refer(
    incident_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    organization_id: Annotated[str, Form(max_length=40)] = "",
    people: Annotated[list[str] | None, Form(max_length=50)] = None,
    note: Annotated[str, Form(max_length=2000)] = "",
    confirm: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """Confirm first (what is shared, with whom), then refer."""
    chosen = sorted({p.strip() for raw in people or [] for p in raw.split(",") if p.strip()})
    view = service.get_incident(uow, principal, incident_id)
    agencies = {str(o.id): o.name for o in choices.list_law_enforcement(uow, principal, incident_id)}
    names = {str(p.user_id): p.email for p in choices.list_referral_people(uow, principal, incident_id)}
    where = agencies.get(organization_id.strip())
    if where is not None:
        effects = [
            f"{where} receives this {view.tlp.value} incident: its narrative, indicators and referrals.",
            (
                f"Under {view.tlp.value} only these people there see it: {', '.join(names.get(p, p) for p in chosen) or '-'}."
                if view.tlp is Tlp.RED
                else f"Every member of {where} sees it; the label stays {view.tlp.value}."
            ),
            f"{where}'s people in the audience are notified, and so is {view.reporter_org_name}.",
        ]
        said = Consequences(
            title=f"Refer this incident to {where}?",
            action=incident_link(incident_id) + "/refer",
            effects=tuple(effects),
            final="A referral cannot be withdrawn: the organization keeps what it received.",
            button="Refer now",
            back=incident_link(incident_id),
            fields={"organization_id": organization_id.strip(), "people": ",".join(chosen), "note": note.strip()},
        )
        if (asked := ask(request, principal, said, confirm)) is not None:
            return asked
    # An unknown organization is refused by the service, naming the field.
    service.refer(uow, principal, incident_id, organization_id=organization_id, people=chosen, note=note)
    flash(request, f"Referred to {where}.", "success")
    return RedirectResponse(incident_link(incident_id), status_code=303)


@router.post(_PAGE + "/acknowledge", dependencies=[back_to(_PAGE)])
def acknowledge(incident_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    service.acknowledge(uow, principal, incident_id)
    flash(request, "Referral acknowledged; the clearinghouse is notified.", "success")
    return RedirectResponse(incident_link(incident_id), status_code=303)
