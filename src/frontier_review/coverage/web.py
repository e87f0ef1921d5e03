"""Web pages of coverage: inquiries, policies (with a rendered diff), determinations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from frontier_review.coverage import browse, confirmations, determinations, inquiries, policies, previews, results
from frontier_review.coverage.inquiries import InquiryStatus
from frontier_review.coverage.policy import Sensitivity, VersionOwner
from frontier_review.coverage.version_page import version_page
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.errors import ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide
from frontier_review.web import forms
from frontier_review.web.confirm import ask
from frontier_review.web.deps import UoW, WebPrincipal, check_csrf
from frontier_review.web.forms import form_page
from frontier_review.web.problems import back_to
from frontier_review.web.tables import Column, Filter, Sort, Table, table_view
from frontier_review.web.templating import flash, render
from frontier_review.web.uploads import SealedSpoolRoute

router = APIRouter(prefix="/coverage", include_in_schema=False, dependencies=[Depends(check_csrf)], route_class=SealedSpoolRoute)
MAX_POLICY_BYTES = 256 * 1024
_INQUIRY = "/coverage/inquiries/{inquiry_id}"


# Inquiries -------------------------------------------------------------------------------


INQUIRIES_TABLE = Table(
    id="inquiries-table",
    caption="Coverage inquiries",
    noun=("inquiry", "inquiries"),
    columns=(
        Column("Version"),
        Column("Developer", "developer"),
        Column("Status", "status"),
        Column("Assignee", "assignee"),
        Column("Filed", "filed", descending_first=True),
        Column("Updated", "updated", descending_first=True),
    ),
    default_sort=Sort("filed", descending=True),
    search_label="Version or question contains",
    filters=(
        Filter("status", "Status", choices=tuple((s.value, s.value.replace("_", " ")) for s in InquiryStatus)),
        Filter("developer", "Developer"),
    ),
)


@router.get("/inquiries", response_class=HTMLResponse)
def inquiry_list(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    queue = decide(uow, principal, Permission.COVERAGE_INQUIRY_WORK, None, uow.clock.now()).allowed
    spec = INQUIRIES_TABLE.without_filter("developer")
    if browse.sees_queue(uow, principal):
        spec = INQUIRIES_TABLE.with_choices("developer", browse.developer_choices(uow))
    query = spec.read(request.query_params)
    table = table_view(request, spec, browse.page_inquiries(uow, principal, query), query)
    return render(request, "coverage/inquiries.html", principal, table=table, queue=queue)


@router.post("/inquiries", dependencies=[form_page("/coverage/inquiries")])
def file_inquiry(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    model_version_id: Annotated[uuid.UUID, Form()],
    question: Annotated[str, Form(max_length=10_000)],
) -> Response:
    view = inquiries.file_inquiry(uow, principal, model_version_id, question=question)
    flash(request, "Inquiry filed. The program office has been notified.", "success")
    return RedirectResponse(f"/coverage/inquiries/{view.id}", status_code=303)


@router.get("/inquiries/{inquiry_id}", response_class=HTMLResponse)
def inquiry_page(request: Request, uow: UoW, principal: WebPrincipal, inquiry_id: uuid.UUID) -> Response:
    return _inquiry_page(request, uow, principal, inquiry_id)


def _inquiry_page(
    request: Request, uow: UnitOfWork, principal: Principal, inquiry_id: uuid.UUID, *, draft: dict[str, str] | None = None
) -> Response:
    """The inquiry page; ``draft`` fills the decide form in again (back from its preview)."""
    view = inquiries.get_inquiry(uow, principal, inquiry_id)
    now = uow.clock.now()
    owner = VersionOwner(view.organization_id, str(view.id), "coverage_inquiry")
    can_work = decide(uow, principal, Permission.COVERAGE_INQUIRY_WORK, owner, now).allowed
    can_respond = decide(uow, principal, Permission.COVERAGE_INQUIRY_RESPOND, owner, now).allowed
    determination = determinations.get_determination(uow, principal, view.determination_id) if view.determination_id else None
    policy_list = policies.list_policies(uow, principal) if can_work else []
    version_results = results.list_results_for_version(uow, principal, view.model_version_id) if can_work else []
    return render(
        request,
        "coverage/inquiry.html",
        principal,
        inquiry=view,
        can_work=can_work,
        can_respond=can_respond,
        determination=determination,
        policies=policy_list,
        results=version_results,
        active=view.status.value in {"open", "assigned", "needs_information"},
        draft=draft,
    )


@router.post("/inquiries/{inquiry_id}/attach-results", dependencies=[form_page(_INQUIRY)])
def attach_results(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    inquiry_id: uuid.UUID,
    result_ids: Annotated[list[str] | None, Form()] = None,
) -> Response:
    # Sync (its database work in a worker thread, never on the event loop: see web.deps.api_principal).
    try:
        ids = [uuid.UUID(v) for v in result_ids or []]
    except ValueError:
        ids = []
    return _inquiry_action(
        request,
        inquiry_id,
        lambda: inquiries.attach_results(uow, principal, inquiry_id, result_ids=ids),
        "Results attached to the thread.",
    )


def _inquiry_action(request: Request, inquiry_id: uuid.UUID, action: object, done: str) -> Response:
    action()  # type: ignore[operator]
    flash(request, done, "success")
    return RedirectResponse(f"/coverage/inquiries/{inquiry_id}", status_code=303)


@router.post("/inquiries/{inquiry_id}/assign", dependencies=[back_to(_INQUIRY)])
def assign(
    request: Request, uow: UoW, principal: WebPrincipal, inquiry_id: uuid.UUID, version: Annotated[int, Form()]
) -> Response:
    return _inquiry_action(
        request, inquiry_id, lambda: inquiries.assign(uow, principal, inquiry_id, expected_version=version), "Assigned to you."
    )


@router.post("/inquiries/{inquiry_id}/request-information", dependencies=[form_page(_INQUIRY)])
def request_information(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    inquiry_id: uuid.UUID,
    message: Annotated[str, Form(max_length=10_000)],
    version: Annotated[int, Form()],
) -> Response:
    return _inquiry_action(
        request,
        inquiry_id,
        lambda: inquiries.request_information(uow, principal, inquiry_id, message=message, expected_version=version),
        "Request sent to the developer.",
    )


@router.post("/inquiries/{inquiry_id}/respond", dependencies=[form_page(_INQUIRY)])
def respond(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    inquiry_id: uuid.UUID,
    message: Annotated[str, Form(max_length=10_000)],
    version: Annotated[int, Form()],
) -> Response:
    return _inquiry_action(
        request,
        inquiry_id,
        lambda: inquiries.respond(uow, principal, inquiry_id, message=message, expected_version=version),
        "Answer sent.",
    )


# Deciding takes two steps (issue 12), from an inquiry or from the version page: the form shows a
# preview of the outcome and its trace, nothing recorded; only a confirmation bound to what was
# previewed records it. Both flows share the preview page and this one helper.


@dataclass(frozen=True)
class DecideStep:
    """Where a previewed decision comes from, as its preview page (``coverage/decide_preview.html``) needs it.

    Attributes:
        action: The path the preview's Confirm and Back to edit post to.
        fields: Hidden values posted again with the preview (the version decided, the inquiry's version).
        crumbs: The breadcrumb trail back to the page the form is on, as (href, text).
        records: What confirming records, and who is told, in one sentence.
    """

    action: str
    fields: dict[str, str]
    crumbs: tuple[tuple[str, str], ...]
    records: str


def _preview_page(
    request: Request,
    principal: Principal,
    step: DecideStep,
    preview: previews.DecisionPreview,
    rationale: str,
    changes: list[str],
    *,
    stale: bool,
) -> Response:
    return render(
        request,
        "coverage/decide_preview.html",
        principal,
        step=step,
        preview=preview,
        rationale=rationale,
        changes=changes,
        status_code=409 if stale else 200,
    )


@router.post("/inquiries/{inquiry_id}/decide", response_class=HTMLResponse, dependencies=[form_page(_INQUIRY)])
def decide_inquiry(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    inquiry_id: uuid.UUID,
    version: Annotated[int, Form()],
    policy: Annotated[str, Form(max_length=130)] = "",
    rationale: Annotated[str, Form(max_length=previews.MAX_RATIONALE)] = "",
    step: Annotated[str, Form(max_length=16)] = "preview",
    inputs: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """Preview (``step=preview``), go back to the form (``edit``) or record (``confirm``).

    ``confirm`` records only when ``inputs`` (the digest of the previewed inputs) and ``version``
    (the inquiry's version when it was previewed) still hold; otherwise the preview is shown
    again, on what stands now, with what changed (409), and nothing is recorded.
    """
    if step == "edit":
        return _inquiry_page(request, uow, principal, inquiry_id, draft={"policy": policy, "rationale": rationale})
    view, preview = inquiries.preview_decision(uow, principal, inquiry_id, policy_ref=policy, rationale=rationale)
    changes = previews.changed_inputs(inputs, preview.inputs) if inputs else []
    if version != view.version:
        changes.append("the inquiry changed (a message on its thread, an assignment): read it before deciding")
    if step == "confirm" and inputs and not changes:
        inquiries.decide_inquiry(
            uow,
            principal,
            inquiry_id,
            policy_ref=preview.policy_ref,
            rationale=rationale,
            expected_version=version,
            expected_inputs=inputs,
        )
        flash(request, "Decided. The developer has been notified.", "success")
        return RedirectResponse(f"/coverage/inquiries/{inquiry_id}", status_code=303)
    where = DecideStep(
        action=f"/coverage/inquiries/{inquiry_id}/decide",
        fields={"version": str(view.version)},
        crumbs=(("/coverage/inquiries", "Coverage inquiries"), (f"/coverage/inquiries/{inquiry_id}", view.version_display)),
        records=f"Confirming records this determination, answers the inquiry and notifies {view.organization_name}.",
    )
    return _preview_page(request, principal, where, preview, rationale, changes, stale=step == "confirm" and bool(changes))


@router.post("/inquiries/{inquiry_id}/withdraw", dependencies=[back_to(_INQUIRY)])
def withdraw(
    request: Request, uow: UoW, principal: WebPrincipal, inquiry_id: uuid.UUID, confirm: Annotated[str, Form(max_length=80)] = ""
) -> Response:
    """Withdraw, once the developer confirmed what it ends (web/confirm.py)."""
    if (asked := ask(request, principal, confirmations.withdraw(uow, principal, inquiry_id), confirm)) is not None:
        return asked
    return _inquiry_action(request, inquiry_id, lambda: inquiries.withdraw(uow, principal, inquiry_id), "Inquiry withdrawn.")


# Determinations --------------------------------------------------------------------------


@router.post("/determinations", response_class=HTMLResponse, dependencies=[form_page("/models")])
def record_determination(
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    model_version_id: Annotated[uuid.UUID, Form()],
    policy: Annotated[str, Form(max_length=130)] = "",
    rationale: Annotated[str, Form(max_length=previews.MAX_RATIONALE)] = "",
    step: Annotated[str, Form(max_length=16)] = "preview",
    inputs: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """The version page's direct determination, in the same two steps as deciding an inquiry.

    ``preview`` shows the outcome and trace (nothing recorded), ``edit`` the version page with what
    was typed, ``confirm`` records only on exactly the previewed inputs (else 409, with what changed).
    """
    if step == "edit":
        return version_page(request, uow, principal, model_version_id, draft={"policy": policy, "rationale": rationale})
    preview = previews.preview_determination(uow, principal, model_version_id, policy_ref=policy, rationale=rationale)
    changes = previews.changed_inputs(inputs, preview.inputs) if inputs else []
    if step == "confirm" and inputs and not changes:
        view = determinations.record_determination(
            uow, principal, model_version_id, policy_ref=preview.policy_ref, rationale=rationale, expected_inputs=inputs
        )
        flash(request, f"Determination recorded: {view.outcome.value.replace('_', ' ')}.", "success")
        return RedirectResponse(f"/coverage/determinations/{view.id}", status_code=303)
    page = f"/versions/{model_version_id}"
    where = DecideStep(
        action="/coverage/determinations",
        fields={"model_version_id": str(model_version_id), "back": page},
        crumbs=(("/models", "Models"), (page, preview.version_display)),
        records="Confirming records this determination for the version; its developer sees it on the version page.",
    )
    return _preview_page(request, principal, where, preview, rationale, changes, stale=step == "confirm" and bool(changes))


@router.get("/determinations/{determination_id}", response_class=HTMLResponse)
def determination_page(request: Request, uow: UoW, principal: WebPrincipal, determination_id: uuid.UUID) -> Response:
    view = determinations.get_determination(uow, principal, determination_id)
    return render(request, "coverage/determination.html", principal, determination=view)


# Policies --------------------------------------------------------------------------------


POLICIES_TABLE = Table(
    id="policies-table",
    caption="Published policy versions",
    noun=("policy version", "policy versions"),
    columns=(
        Column("Policy", "policy"),
        Column("Title", "title"),
        Column("Effective from", "effective", descending_first=True),
        Column("Marking"),
        Column("Criteria", numeric=True),
        Column("Published", "published", descending_first=True),
    ),
    default_sort=Sort("policy"),
    search_label="Policy or title contains",
    filters=(Filter("marking", "Marking", choices=(("unclassified", "unclassified"), ("classified", "classified"))),),
)


@router.get("/policies", response_class=HTMLResponse)
def policy_list(request: Request, uow: UoW, principal: WebPrincipal) -> Response:
    query = POLICIES_TABLE.read(request.query_params)
    table = table_view(request, POLICIES_TABLE, browse.page_policies(uow, principal, query), query)
    # The compare form offers every version, not only this page's.
    refs = browse.policy_refs(uow, principal)
    can_publish = decide(uow, principal, Permission.COVERAGE_POLICY_PUBLISH, Sensitivity(False), uow.clock.now()).allowed
    return render(
        request,
        "coverage/policies.html",
        principal,
        table=table,
        policies=table.rows,
        policy_refs=refs,
        can_publish=can_publish,
        problems=None,
        source="",
    )


# Every problem of a policy file (with its line) is shown next to the source it is in.
@router.post("/policies", response_class=HTMLResponse, dependencies=[form_page("/coverage/policies", aliases={"*": "source"})])
def publish(  # sync: its database work runs in a worker thread, never on the event loop
    request: Request,
    uow: UoW,
    principal: WebPrincipal,
    source: Annotated[str, Form(max_length=MAX_POLICY_BYTES)] = "",
    upload: UploadFile | None = None,
    action: Annotated[str, Form()] = "publish",
) -> Response:
    text = source
    if upload is not None and upload.filename:
        raw = upload.file.read(MAX_POLICY_BYTES + 1)
        if len(raw) > MAX_POLICY_BYTES:
            raise ValidationFailed("the policy file is too large", field="upload")
        text = raw.decode("utf-8", "replace")
        # A refused file comes back in the text box, so its line numbers can be followed there.
        forms.keep(request, source=text)
    # Checking the file is a parse that writes nothing; its problems raise through the unit of
    # work like every other refusal and come back next to the source, each with its line.
    checked = policies.validate_policy(uow, text)
    if action == "validate":
        rows = policies.list_policies(uow, principal)
        can_publish = decide(uow, principal, Permission.COVERAGE_POLICY_PUBLISH, Sensitivity(False), uow.clock.now()).allowed
        flash(request, f"Valid: {checked.ref}, {len(checked.criteria())} criteria. Not published yet.", "success")
        return render(
            request, "coverage/policies.html", principal, policies=rows, can_publish=can_publish, problems=None, source=text
        )
    view, created = policies.publish_policy(uow, principal, text)
    flash(request, f"{view.ref} {'published' if created else 'was already published with this content'}.", "success")
    return RedirectResponse(f"/coverage/policies/{view.ref}", status_code=303)


@router.get("/policies/{ref}", response_class=HTMLResponse)
def policy_page(request: Request, uow: UoW, principal: WebPrincipal, ref: str) -> Response:
    view = policies.get_policy(uow, principal, ref)
    versions = [p for p in policies.list_policies(uow, principal) if p.identifier == view.identifier]
    against, changes = None, None
    if (
        len(versions) > 1
        and view.content is not None
        and decide(uow, principal, Permission.COVERAGE_REASSESS, None, uow.clock.now()).allowed
    ):
        # Which registered versions this policy version decides differently from its predecessor.
        against, changes = determinations.reassess(uow, principal, policy_ref=view.ref)
    return render(request, "coverage/policy.html", principal, policy=view, versions=versions, against=against, changes=changes)


@router.get("/policy-diff", response_class=HTMLResponse)
def policy_diff(request: Request, uow: UoW, principal: WebPrincipal, a: str, b: str) -> Response:
    lines = policies.diff_policies(uow, principal, a, b)
    return render(request, "coverage/diff.html", principal, a=a, b=b, lines=lines)
