"""Web pages of findings: filing (its own page, evidence in the same step), the finding page, relabelling, the thread.

Every form here declares its page (``form_page``): a refused one is shown again with what was typed.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.clearinghouse.reports import ProductInput
from frontier_review.engagements.findings import referral, service
from frontier_review.engagements.findings.domain import CATEGORY_LABELS, FindingStatus, Severity, Tlp, finding_link
from frontier_review.engagements.lifecycle import service as lifecycle
from frontier_review.engagements.lifecycle.domain import EngagementState
from frontier_review.engagements.materials.schemas import attachment
from frontier_review.identity.domain import Sector
from frontier_review.kernel.errors import ValidationFailed
from frontier_review.web.confirm import Consequences, ask
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.templating import flash, render
from frontier_review.web.uploads import SealedSpoolRoute

# Evidence uploads spool through sealed temporary files: no plaintext on disk before it is sealed.
router = APIRouter(include_in_schema=False, dependencies=[Depends(check_csrf)], route_class=SealedSpoolRoute)
_NEW = "/engagements/{engagement_id}/findings/new"
_FINDING = "/engagements/{engagement_id}/findings/{finding_id}"
# The sealed-file store names the file's parts; the forms have one file field each.
_EVIDENCE_FIELDS = {"filename": "evidence", "content_type": "evidence", "file": "evidence"}
_FILE_FIELDS = {"filename": "file", "content_type": "file"}


@router.get(_NEW, response_class=HTMLResponse)
def new_finding_page(engagement_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    """The filing form: only those who may file see it (the rest get the refusal's reason)."""
    engagement = lifecycle.get_engagement(uow, principal, engagement_id)
    choices = service.list_recipient_choices(uow, principal, engagement_id)
    return render(
        request,
        "engagements/finding_new.html",
        principal,
        e=engagement,
        closed=engagement.state is EngagementState.CLOSED,
        categories=CATEGORY_LABELS,
        severities=list(Severity),
        tlps=list(Tlp),
        recipient_choices=choices,
        max_mib=uow.settings.artifact_max_bytes // (1024 * 1024),
    )


@router.post(_NEW, dependencies=[form_page(_NEW, aliases=_EVIDENCE_FIELDS)])
def file_finding(
    engagement_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    title: Annotated[str, Form(max_length=200)],
    category: Annotated[str, Form(max_length=40)],
    severity: Annotated[str, Form(max_length=16)],
    tlp: Annotated[str, Form(max_length=24)],
    description: Annotated[str, Form(max_length=50_000)],
    recipients: Annotated[list[str] | None, Form(max_length=100)] = None,
    evidence: Annotated[list[UploadFile] | None, File()] = None,
) -> Response:
    """File the finding and seal its evidence files in one transaction.

    A refused file (empty, too large, a bad name) refuses the whole filing: no finding is left
    without the evidence its finder meant it to have.
    """
    view = service.file_finding(
        uow,
        principal,
        engagement_id,
        title=title,
        category=category,
        severity=severity,
        description=description,
        tlp=tlp,
        recipients=recipients or [],
    )
    attached = 0
    for upload in evidence or []:
        if not upload.filename:
            continue  # the file input left empty
        service.attach_evidence(
            uow, principal, view.id, filename=upload.filename, content_type=upload.content_type, stream=upload.file
        )
        attached += 1
    sealed = f" {attached} evidence file{'s' if attached != 1 else ''} sealed." if attached else ""
    flash(request, f"Finding filed; the developer is notified.{sealed}", "success")
    return RedirectResponse(finding_link(engagement_id, view.id), status_code=303)


@router.get("/engagements/{engagement_id}/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(
    engagement_id: uuid.UUID, finding_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal
) -> Response:
    finding = service.get_finding(uow, principal, finding_id)
    if finding.engagement_id != engagement_id:
        return RedirectResponse(finding_link(finding.engagement_id, finding.id), status_code=303)
    engagement = lifecycle.get_engagement(uow, principal, engagement_id)
    return render(
        request,
        "engagements/finding.html",
        principal,
        f=finding,
        e=engagement,
        statuses=list(FindingStatus),
        tlps=list(Tlp),
        recipient_choices=service.list_relabel_choices(uow, principal, finding_id) if finding.may_relabel else [],
        named_ids={r.user_id for r in finding.recipients},
        referred=referral.find_referral(uow, principal, finding_id),
        may_refer=referral.may_refer(uow, principal, finding_id),
    )


@router.post("/engagements/{engagement_id}/findings/{finding_id}/tlp", dependencies=[form_page(_FINDING)])
def relabel(
    engagement_id: uuid.UUID,
    finding_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    tlp: Annotated[str, Form(max_length=24)],
    recipients: Annotated[list[str] | None, Form(max_length=100)] = None,
) -> Response:
    view = service.relabel(uow, principal, finding_id, tlp=tlp, recipients=recipients or [])
    flash(request, f"Label set to {view.tlp.value}.", "success")
    return RedirectResponse(finding_link(engagement_id, finding_id), status_code=303)


@router.post("/engagements/{engagement_id}/findings/{finding_id}/comments", dependencies=[form_page(_FINDING)])
def comment(
    engagement_id: uuid.UUID,
    finding_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    body: Annotated[str, Form(max_length=20_000)] = "",
    status: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    back = finding_link(engagement_id, finding_id)
    service.comment(uow, principal, finding_id, body=body, status=status or None)
    flash(request, "Posted.", "success")
    return RedirectResponse(back + "#thread", status_code=303)


@router.post(
    "/engagements/{engagement_id}/findings/{finding_id}/evidence", dependencies=[form_page(_FINDING, aliases=_FILE_FIELDS)]
)
def attach_evidence(
    engagement_id: uuid.UUID,
    finding_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    file: Annotated[UploadFile, File()],
) -> Response:
    back = finding_link(engagement_id, finding_id)
    view = service.attach_evidence(
        uow, principal, finding_id, filename=file.filename or "evidence", content_type=file.content_type, stream=file.file
    )
    flash(request, f"{view.filename} attached and sealed.", "success")
    return RedirectResponse(back + "#evidence", status_code=303)


@router.get("/engagements/{engagement_id}/findings/{finding_id}/evidence/{evidence_id}", dependencies=[back_to(_FINDING)])
def download_evidence(
    engagement_id: uuid.UUID, finding_id: uuid.UUID, evidence_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal
) -> Response:
    evidence, chunks = service.download_evidence(uow, principal, finding_id, evidence_id)
    return attachment(chunks, evidence.filename, evidence.content_type)


_REFERRAL = _FINDING + "/referral"
_REFERRAL_ROWS = 2
_PRODUCT_PARTS = ("vendor", "product", "purl", "cpe", "versions")


@router.get(_REFERRAL, response_class=HTMLResponse)
def referral_page(
    engagement_id: uuid.UUID, finding_id: uuid.UUID, request: Request, uow: UoW, principal: WebPrincipal
) -> Response:
    """The referral form, prefilled from the finding; those who may not refer are told why."""
    plan = referral.plan_referral(uow, principal, finding_id)
    if plan.engagement_id != engagement_id:
        return RedirectResponse(finding_link(plan.engagement_id, finding_id) + "/referral", status_code=303)
    return render(
        request,
        "engagements/finding_referral.html",
        principal,
        plan=plan,
        referred=referral.find_referral(uow, principal, finding_id),
        sectors=[(s.value, s.label) for s in Sector],
        rows=range(_REFERRAL_ROWS),
        ch_people=[(str(p.id), p.email) for p in plan.clearinghouse_choices],
    )


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(",", "\n").splitlines() if part.strip()]


@router.post(_REFERRAL, dependencies=[form_page(_REFERRAL, aliases={"*": "*"})])
def refer(
    engagement_id: uuid.UUID,
    finding_id: uuid.UUID,
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    title: Annotated[str, Form(max_length=200)] = "",
    description: Annotated[str, Form(max_length=50_000)] = "",
    cve_id: Annotated[str, Form(max_length=40)] = "",
    cwe_ids: Annotated[str, Form(max_length=400)] = "",
    cvss31: Annotated[str, Form(max_length=200)] = "",
    cvss40: Annotated[str, Form(max_length=300)] = "",
    references: Annotated[str, Form(max_length=20_000)] = "",
    exploited: Annotated[str, Form(max_length=5)] = "",
    sectors: Annotated[list[str] | None, Form(max_length=16)] = None,
    clearinghouse_people: Annotated[list[str] | None, Form(max_length=20)] = None,
    vendor: Annotated[list[str] | None, Form(max_length=_REFERRAL_ROWS)] = None,
    product: Annotated[list[str] | None, Form(max_length=_REFERRAL_ROWS)] = None,
    purl: Annotated[list[str] | None, Form(max_length=_REFERRAL_ROWS)] = None,
    cpe: Annotated[list[str] | None, Form(max_length=_REFERRAL_ROWS)] = None,
    versions: Annotated[list[str] | None, Form(max_length=_REFERRAL_ROWS)] = None,
    draft: Annotated[str, Form(max_length=80_000)] = "",
    confirm: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """Check the referral, show who will see it (confirm kit), then refer on confirmation.

    The confirmation page carries what was typed back as one hidden ``draft`` (JSON), so the
    confirmed request refers exactly what the page described.
    """
    if draft:
        try:
            typed: dict[str, Any] = json.loads(draft)
        except ValueError:
            raise ValidationFailed("the confirmation page was damaged: start the referral again", field="draft") from None
    else:
        cols = [vendor or [], product or [], purl or [], cpe or [], versions or []]
        n = max(len(c) for c in cols)
        rows = [[c[i] if i < len(c) else "" for c in cols] for i in range(n)]
        typed = {
            "title": title,
            "description": description,
            "products": [r for r in rows if any(x.strip() for x in r)],
            "cve_id": cve_id,
            "cwe_ids": _split(cwe_ids),
            "cvss31": cvss31,
            "cvss40": cvss40,
            "sectors": sectors or [],
            "references": _split(references),
            "exploited": bool(exploited),
            "clearinghouse_people": clearinghouse_people or [],
        }
    given = _referral_input(typed)
    plan = referral.check_referral(uow, principal, finding_id, given)
    back = finding_link(engagement_id, finding_id)
    effects = [
        f"“{given.title.strip() or plan.title}” becomes a {plan.tlp.value} vulnerability report of the clearinghouse, "
        "linked to this finding; its source is your organization.",
        *plan.audience,
    ]
    if plan.tlp.value == "TLP:RED":
        effects.append("Named on the report: " + (", ".join(p.email for p in plan.named) or "nobody") + ".")
    effects.extend(plan.left_out)
    asked = ask(
        request,
        principal,
        Consequences(
            title="Refer this finding to the clearinghouse?",
            action=back + "/referral",
            effects=tuple(effects),
            final="A finding is referred once; the clearinghouse then triages and validates the report.",
            button="Refer to the clearinghouse",
            back=back,
            fields={"draft": json.dumps(typed, sort_keys=True)},
        ),
        confirm,
    )
    if asked is not None:
        return asked
    done = referral.refer_finding(uow, principal, finding_id, given)
    flash(request, f"Referred to the clearinghouse as report “{done.report.title}”.", "success")
    return RedirectResponse(back + "#referral", status_code=303)


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _referral_input(typed: dict[str, Any]) -> referral.ReferralInput:
    rows = typed.get("products")
    products = [
        ProductInput(*(str(r[i]) if i < len(r) else "" for i in range(len(_PRODUCT_PARTS))))
        for r in (rows if isinstance(rows, list) else [])
        if isinstance(r, list)
    ]
    return referral.ReferralInput(
        title=str(typed.get("title") or ""),
        description=str(typed.get("description") or ""),
        products=products,
        cve_id=str(typed.get("cve_id") or ""),
        cwe_ids=_strings(typed.get("cwe_ids")),
        cvss31=str(typed.get("cvss31") or ""),
        cvss40=str(typed.get("cvss40") or ""),
        sectors=_strings(typed.get("sectors")),
        references=_strings(typed.get("references")),
        exploited=bool(typed.get("exploited")),
        clearinghouse_people=_strings(typed.get("clearinghouse_people")),
    )
