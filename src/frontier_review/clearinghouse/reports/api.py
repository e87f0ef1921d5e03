"""REST endpoints for vulnerability reports (``/api/v1/clearinghouse/reports``); errors are problem+json.

Every answer goes through the report's TLP audience (``policy.reads_report``): a report outside it
answers 404 exactly like a missing one, and lists and their totals count only what the caller may
see. Without credentials, GET answers for validated TLP:CLEAR reports only (the public feed).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, status

from frontier_review.clearinghouse.reports import browse, kev, service, workflow
from frontier_review.clearinghouse.reports.schemas import (
    AddressIn,
    MergeIn,
    RejectIn,
    ReportIn,
    ReportOut,
    ReportPageOut,
    ReportSummaryOut,
    StatusIn,
    SubmitIn,
    ValidateIn,
    ValidatorIn,
)
from frontier_review.kernel.listing import ListQuery, Sort
from frontier_review.web.deps import ApiPrincipal, OptionalApiPrincipal, UoW

router = APIRouter(prefix="/clearinghouse", tags=["clearinghouse"])
_ID = "/reports/{report_id}"


@router.get("/reports", summary="List the vulnerability reports you may see")
def list_reports(
    uow: UoW,
    principal: OptionalApiPrincipal,
    sort: Annotated[str, Query(max_length=20, description="priority, received, updated, title, status, tlp or cve")] = "priority",
    descending: bool = True,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
    q: Annotated[str, Query(max_length=200, description="Part of the title or the CVE id.")] = "",
    status_filter: Annotated[str, Query(alias="status", max_length=20, description="A status, or `open`.")] = "",
    tlp: Annotated[str, Query(max_length=24)] = "",
    validated: Annotated[str, Query(max_length=3, description="`yes` or `no`.")] = "",
    band: Annotated[str, Query(max_length=10)] = "",
) -> ReportPageOut:
    """Reports in your TLP audience, highest priority first; the total counts only those.

    **Who may call:** anyone. Without credentials: validated TLP:CLEAR reports only. Unvalidated
    reports reach only their source, the clearinghouse and the named validator.
    """
    query = ListQuery(
        sort=Sort(sort, descending=descending),
        page=page,
        per_page=per_page,
        search=q,
        filters={"status": status_filter, "tlp": tlp, "validated": validated, "band": band},
    )
    got = browse.page_reports(uow, principal, query)
    return ReportPageOut(items=[ReportSummaryOut.of(r) for r in got], total=got.total, page=got.page, per_page=got.per_page)


@router.post("/reports", status_code=status.HTTP_201_CREATED, summary="Submit a vulnerability report")
def submit(body: SubmitIn, uow: UoW, principal: ApiPrincipal) -> ReportOut:
    """Submit a report for your organization; it is `received` and unvalidated.

    **Who may call:** any member of any organization (`clearinghouse:report:submit`).

    **Errors:** 422 naming every bad field (CVSS vectors, CWE ids, purl, CPE, `vers` ranges, the
    label, recipients: TLP:RED names people, AMBER organizations, and they must exist).
    """
    view = service.submit(
        uow, principal, body.to_input(), recipient_orgs=body.recipient_orgs, recipient_people=body.recipient_people
    )
    return ReportOut.full(view)


@router.get(_ID, summary="Get a vulnerability report")
def get_report(report_id: uuid.UUID, uow: UoW, principal: OptionalApiPrincipal) -> ReportOut:
    """One report with its computed scores, priority factors and history; each read is audited.

    **Who may call:** its TLP audience (`clearinghouse:report:read`); without credentials,
    validated TLP:CLEAR reports only.

    **Errors:** 404 when no such report exists or you are outside its audience (the same answer).
    """
    if principal is None:
        return ReportOut.full(service.get_public_report(uow, report_id))
    return ReportOut.full(service.get_report(uow, principal, report_id))


@router.put(_ID, summary="Correct a report's fields")
def update_report(report_id: uuid.UUID, body: ReportIn, uow: UoW, principal: ApiPrincipal) -> ReportOut:
    """Correct the fields (not the label); the priority is recomputed and the history kept.

    **Who may call:** the source and the clearinghouse (`clearinghouse:report:edit`).
    """
    return ReportOut.full(service.update_report(uow, principal, report_id, body.to_input()))


@router.post(_ID + "/status", summary="Move a report to triaged or coordinating")
def advance(report_id: uuid.UUID, body: StatusIn, uow: UoW, principal: ApiPrincipal) -> ReportOut:
    """**Who may call:** the clearinghouse (`clearinghouse:report:triage`). **Errors:** 409 for a move the workflow refuses."""
    return ReportOut.full(workflow.advance(uow, principal, report_id, to=body.status))


@router.post(_ID + "/recipients", summary="Address a report")
def address(report_id: uuid.UUID, body: AddressIn, uow: UoW, principal: ApiPrincipal) -> ReportOut:
    """Set its recipient organizations (AMBER, AMBER+STRICT) or people (RED).

    **Who may call:** the clearinghouse and the source (`clearinghouse:report:address`).
    """
    return ReportOut.full(
        workflow.address(uow, principal, report_id, recipient_orgs=body.recipient_orgs, recipient_people=body.recipient_people)
    )


@router.post(_ID + "/tlp", summary="Change a report's TLP label")
def relabel(report_id: uuid.UUID, body: AddressIn, uow: UoW, principal: ApiPrincipal) -> ReportOut:
    """Only the source relaxes a label; the clearinghouse may tighten it (`clearinghouse:report:relabel`)."""
    view = workflow.relabel(
        uow,
        principal,
        report_id,
        tlp=body.tlp or "",
        recipient_orgs=body.recipient_orgs,
        recipient_people=body.recipient_people,
    )
    return ReportOut.full(view)


@router.post(_ID + "/validator", summary="Name a report's validator organization")
def name_validator(report_id: uuid.UUID, body: ValidatorIn, uow: UoW, principal: ApiPrincipal) -> ReportOut:
    """**Who may call:** the clearinghouse (`clearinghouse:report:name_validator`)."""
    return ReportOut.full(workflow.name_validator(uow, principal, report_id, organization_id=body.organization_id))


@router.post(_ID + "/validation", summary="Validate a report")
def validate(report_id: uuid.UUID, body: ValidateIn, uow: UoW, principal: ApiPrincipal) -> ReportOut:
    """Reproduced, versions confirmed; notes and evidence sealed. Its label then decides who sees it.

    **Who may call:** the clearinghouse or the named validator (`clearinghouse:report:validate`).
    """
    view = workflow.validate(
        uow,
        principal,
        report_id,
        reproduced=body.reproduced,
        versions_confirmed=body.versions_confirmed,
        notes=body.notes,
        evidence=body.evidence,
    )
    return ReportOut.full(view)


@router.post(_ID + "/merge", summary="Merge a duplicate into its canonical report")
def merge(report_id: uuid.UUID, body: MergeIn, uow: UoW, principal: ApiPrincipal) -> ReportOut:
    """The canonical's audience is never widened (`clearinghouse:report:merge`)."""
    return ReportOut.full(workflow.merge(uow, principal, report_id, into=body.into))


@router.post(_ID + "/disclose", summary="Mark a validated, coordinated report disclosed")
def disclose(report_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> ReportOut:
    """**Who may call:** the clearinghouse (`clearinghouse:report:disclose`)."""
    return ReportOut.full(workflow.disclose(uow, principal, report_id))


@router.post(_ID + "/reject", summary="Reject a report")
def reject(report_id: uuid.UUID, body: RejectIn, uow: UoW, principal: ApiPrincipal) -> ReportOut:
    """**Who may call:** the clearinghouse (`clearinghouse:report:reject`)."""
    return ReportOut.full(workflow.reject(uow, principal, report_id, reason=body.reason))


@router.post("/kev", summary="Import the CISA KEV catalogue (its JSON feed)")
def import_kev(document: Annotated[dict[str, Any], Body()], uow: UoW, principal: ApiPrincipal) -> dict[str, object]:
    """Replace the stored Known Exploited Vulnerabilities catalogue and recompute every priority.

    **Who may call:** clearinghouse admins and platform operators (`clearinghouse:kev:import`).
    """
    done = kev.import_kev(uow, principal, document)
    return {
        "catalog_version": done.catalog_version,
        "entries": done.entries,
        "skipped": done.skipped,
        "reports_changed": done.reports_changed,
    }
