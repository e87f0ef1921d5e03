"""REST endpoints of coverage: policies, benchmarks and results, determinations, inquiries."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from frontier_review.coverage import determinations, inquiries, policies, results
from frontier_review.coverage.inquiries import InquiryStatus
from frontier_review.coverage.schemas import (
    AssignIn,
    AttachIn,
    BenchmarkIn,
    BenchmarkOut,
    ChangeOut,
    DecideIn,
    DeterminationIn,
    DeterminationOut,
    DiffOut,
    InquiryIn,
    InquiryOut,
    MessageIn,
    PolicyOut,
    ReassessOut,
    RecheckOut,
    ResultIn,
    ResultOut,
)
from frontier_review.kernel.errors import ValidationFailed
from frontier_review.web.deps import ApiPrincipal, UoW

router = APIRouter(tags=["coverage"])
TOML = {"application/toml": {"schema": {"type": "string"}}}


@router.get("/policies", summary="List published policies")
def list_policies(uow: UoW, principal: ApiPrincipal) -> list[PolicyOut]:
    """Every published coverage policy, without its content (get one policy for its criteria).

    **Who may call:** any member of a participating organization, and operators
    (`coverage:policy:read`). A classified policy's digest is withheld here.

    **Errors:** 403 for an account without an organization that is not an operator.
    """
    return [PolicyOut.of(p) for p in policies.list_policies(uow, principal)]


async def _toml_body(request: Request) -> str:
    # Only the body is read on the event loop; the routes are sync, so their database work runs
    # in a worker thread (see ``web.deps.api_principal``).
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the policy file must be UTF-8 text", field="body") from exc


TomlBody = Annotated[str, Depends(_toml_body)]


@router.post(
    "/policies",
    status_code=status.HTTP_201_CREATED,
    summary="Publish a policy (TOML body)",
    openapi_extra={"requestBody": {"content": TOML, "required": True}},
    responses={200: {"model": PolicyOut, "description": "Already published with the same content."}},
)
def publish_policy(response: Response, uow: UoW, principal: ApiPrincipal, source: TomlBody) -> PolicyOut:
    """Publish a coverage policy file; a published `identifier@version` never changes.

    Send the TOML file (UTF-8) as the body, with `Content-Type: application/toml`.

    **Who may call:** program-office admins; a classified policy needs a clearance
    (`coverage:policy:publish`).

    **Returns** 201 with the published policy, or 200 when the same content is already published.

    **Errors:** 403 for anyone else; 409 when the same `identifier@version` is published with
    different content (publish a new version instead); 422 listing each problem of an invalid
    file with its line and field.
    """
    view, created = policies.publish_policy(uow, principal, source)
    if not created:
        response.status_code = status.HTTP_200_OK
    return PolicyOut.of(view)


@router.post(
    "/policies/validate",
    summary="Validate a policy file without publishing it",
    openapi_extra={"requestBody": {"content": TOML, "required": True}},
)
def validate_policy(uow: UoW, principal: ApiPrincipal, source: TomlBody) -> dict[str, object]:
    """Check a policy file against this instance (its format and the benchmarks it names); nothing is stored.

    **Who may call:** any signed-in user or API token.

    **Returns** `{"valid": true, "ref", "classified", "criteria"}` with the criterion names.

    **Errors:** 422 listing each problem with its line and field, including a policy not marked
    classified that reads a classified benchmark.
    """
    del principal  # any signed-in user may check a file; nothing is stored
    policy = policies.validate_policy(uow, source)
    return {"valid": True, "ref": policy.ref, "classified": policy.classified, "criteria": [c.name for c in policy.criteria()]}


@router.get("/policies/diff", summary="Diff two policy versions")
def diff_policies(
    uow: UoW,
    principal: ApiPrincipal,
    a: str = Query(max_length=130, description="The first policy, `identifier@version` (or `identifier` for its latest)."),
    b: str = Query(max_length=130, description="The second policy, named the same way."),
) -> DiffOut:
    """A unified diff between the canonical content of two policies.

    **Who may call:** any member of a participating organization, and operators, when both
    policies are visible to them in full: a classified policy only to cleared program-office staff.

    **Errors:** 403 when either policy is classified and you are not cleared; 404 when either is
    not published.
    """
    return DiffOut(a=a, b=b, diff=policies.diff_policies(uow, principal, a, b))


@router.get("/policies/{ref}", summary="Get a policy (identifier@version, or identifier for the latest)")
def get_policy(ref: str, uow: UoW, principal: ApiPrincipal) -> PolicyOut:
    """One published policy with its criteria and thresholds, where you may see them.

    **Who may call:** any member of a participating organization, and operators
    (`coverage:policy:read`). A classified policy's content, source and digest are null except
    for cleared program-office staff, and each such view is audited.

    **Errors:** 404 when no such policy is published.
    """
    return PolicyOut.of(policies.get_policy(uow, principal, ref))


@router.get("/benchmarks", summary="List benchmarks (metadata only)")
def list_benchmarks(uow: UoW, principal: ApiPrincipal) -> list[BenchmarkOut]:
    """Every registered benchmark version: names and metadata, never items or scores.

    **Who may call:** any member of a participating organization, and operators.
    """
    return [BenchmarkOut.of(b) for b in results.list_benchmarks(uow, principal)]


@router.post("/benchmarks", status_code=status.HTTP_201_CREATED, summary="Register a benchmark version")
def register_benchmark(body: BenchmarkIn, uow: UoW, principal: ApiPrincipal) -> BenchmarkOut:
    """Make a benchmark version known, so that policies may set thresholds on it and results be recorded.

    **Who may call:** program-office staff; a classified benchmark needs a clearance
    (`coverage:benchmark:manage`).

    **Errors:** 403 for anyone else; 409 when that name and version exist; 422 for a badly formed
    name or version.
    """
    view = results.register_benchmark(
        uow, principal, name=body.name, version=body.version, title=body.title, domain=body.domain, classified=body.classified
    )
    return BenchmarkOut.of(view)


@router.post("/results", status_code=status.HTTP_201_CREATED, summary="Record an aggregate benchmark result")
def record_result(body: ResultIn, uow: UoW, principal: ApiPrincipal) -> ResultOut:
    """Record a benchmark score for a registered model version or for a named reference model.

    A classified benchmark's score is stored encrypted and shown only to cleared staff.

    **Who may call:** program-office staff; a classified benchmark needs a clearance
    (`coverage:benchmark:manage`).

    **Errors:** 403 for anyone else; 404 for an unknown benchmark version or model version; 422
    unless exactly one of `model_version_id` and `reference_model` is given, or for a score
    outside [0, 1].
    """
    view = results.record_result(
        uow,
        principal,
        benchmark=body.benchmark,
        benchmark_version=body.benchmark_version,
        score=float(body.score),
        model_version_id=body.model_version_id,
        reference_model=body.reference_model,
        stderr=None if body.stderr is None else float(body.stderr),
        samples=body.samples,
        scaffold_version=body.scaffold_version,
        run_ref=body.run_ref,
        note=body.note,
    )
    return ResultOut.of(view)


@router.get("/versions/{version_id}/results", summary="List a version's benchmark results")
def version_results(version_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[ResultOut]:
    """A version's recorded results, newest first, as far as you may see them.

    **Who may call:** whoever may see the version: the owning organization, the program office and
    operators. Only program-office staff get results (a classified benchmark's only with a
    clearance, and each such view is audited); anyone else gets an empty list, since a score
    read next to a classified policy's outcome would reveal its threshold.

    **Errors:** 404 when no such version exists or you may not see it (the same answer).
    """
    return [ResultOut.of(r) for r in results.list_results_for_version(uow, principal, version_id)]


@router.get("/versions/{version_id}/determinations", summary="List a version's determinations, newest first")
def version_determinations(version_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[DeterminationOut]:
    """Every coverage determination recorded for a version, newest first.

    **Who may call:** the owning organization, the program office and operators
    (`coverage:determination:read`). The outcome and the criteria met are shown to all of them;
    under a classified policy the trace and evidence only to cleared program-office staff, and
    observed scores and thresholds in a trace only to them in any case.

    **Errors:** 404 when no such version exists or you may not see it (the same answer).
    """
    return [DeterminationOut.of(d) for d in determinations.list_determinations_for_version(uow, principal, version_id)]


@router.post("/determinations", status_code=status.HTTP_201_CREATED, summary="Record a determination")
def record_determination(body: DeterminationIn, uow: UoW, principal: ApiPrincipal) -> DeterminationOut:
    """Evaluate a version under a policy on today's evidence and record the outcome.

    The new determination supersedes the previous one for the same version and policy, and pins
    the facts and results it used so that it can be re-checked later. The `rationale` is optional
    here, for scripted re-recording; answering an inquiry (`POST /inquiries/{id}/decide`) and the
    web's version page require one.

    **Who may call:** program-office staff; under a classified policy only cleared staff
    (`coverage:determination:create`).

    **Errors:** 403 for anyone else; 404 for an unknown version or policy; 422 for a malformed
    policy reference or an over-long rationale.
    """
    view = determinations.record_determination(
        uow, principal, body.model_version_id, policy_ref=body.policy, rationale=body.rationale
    )
    return DeterminationOut.of(view)


@router.get("/determinations/recheck", summary="Re-evaluate the latest determination")
def recheck(
    uow: UoW,
    principal: ApiPrincipal,
    model_version_id: uuid.UUID = Query(description="The model version."),
    policy: str = Query(max_length=130, description="The policy, `identifier@version` (or `identifier` for its latest)."),
) -> RecheckOut:
    """Check that the latest determination is reproducible, and whether today's evidence changes it.

    Re-evaluates the stored determination on the very evidence it used, and again on the evidence
    as it stands now. Nothing is recorded.

    **Who may call:** program-office staff; under a classified policy only cleared staff.

    **Errors:** 403 for anyone else; 404 for an unknown version or policy.
    """
    return RecheckOut.of(determinations.recheck(uow, principal, model_version_id, policy_ref=policy))


@router.get("/determinations/{determination_id}", summary="Get a determination")
def get_determination(determination_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> DeterminationOut:
    """One determination, at the detail you may see.

    **Who may call:** the organization that owns the version, the program office and operators
    (`coverage:determination:read`). As for a version's list: classified traces, evidence, scores
    and thresholds only for cleared program-office staff, and each such view is audited.

    **Errors:** 404 when no such determination exists or you may not see it (the same answer).
    """
    return DeterminationOut.of(determinations.get_determination(uow, principal, determination_id))


@router.get("/coverage/reassess", summary="Find versions whose outcome changes under a policy version")
def reassess(
    uow: UoW,
    principal: ApiPrincipal,
    policy: str = Query(max_length=130, description="The new policy, `identifier@version`."),
    against: str | None = Query(
        default=None, max_length=130, description="The policy to compare with; default: the previous version of `policy`."
    ),
) -> ReassessOut:
    """Evaluate every registered version under two policies on today's evidence and list those whose outcome differs.

    Nothing is recorded except the audit entry of the reassessment.

    **Who may call:** program-office staff (`coverage:policy:reassess`); when either policy is
    classified, only cleared staff.

    **Errors:** 403 for anyone else; 404 when either policy is not published.
    """
    compared, changes = determinations.reassess(uow, principal, policy_ref=policy, against=against)
    return ReassessOut(policy=policy, against=compared, changes=[ChangeOut.of(c) for c in changes])


@router.get("/inquiries", summary="List coverage inquiries (your own; the whole queue for the program office)")
def list_inquiries(
    uow: UoW,
    principal: ApiPrincipal,
    status_filter: InquiryStatus | None = Query(default=None, alias="status", description="Only inquiries in this status."),
) -> list[InquiryOut]:
    """Coverage inquiries, newest first, without their threads (get one inquiry for its thread).

    **Who may call:** any signed-in user or API token. The program office and operators get every
    inquiry; everyone else gets their own organization's.
    """
    return [InquiryOut.of(i) for i in inquiries.list_inquiries(uow, principal, status=status_filter)]


@router.post("/inquiries", status_code=status.HTTP_201_CREATED, summary="File a coverage inquiry")
def file_inquiry(body: InquiryIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    """Ask the program office whether one of your versions (released or not) is a covered frontier model.

    The program office is notified.

    **Who may call:** members of the developer organization that owns the version
    (`coverage:inquiry:file`).

    **Errors:** 403 for others who may see the version (program office, operators); 404 when no
    such version exists or you may not see it; 409 when the version already has an open inquiry.
    """
    return InquiryOut.of(inquiries.file_inquiry(uow, principal, body.model_version_id, question=body.question))


@router.get("/inquiries/{inquiry_id}", summary="Get an inquiry with its thread")
def get_inquiry(inquiry_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    """One inquiry with every step of its thread, oldest first.

    **Who may call:** the organization that filed it, the program office and operators.

    **Errors:** 404 when no such inquiry exists or you may not see it (the same answer).
    """
    return InquiryOut.of(inquiries.get_inquiry(uow, principal, inquiry_id))


@router.post("/inquiries/{inquiry_id}/assign", summary="Assign an inquiry (program office)")
def assign(inquiry_id: uuid.UUID, body: AssignIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    """Assign an open inquiry to a program-office member, yourself by default.

    **Who may call:** program-office staff (`coverage:inquiry:work`).

    **Errors:** 403 for others who may see the inquiry (its developer, operators); 404 when no such
    inquiry exists or you may not see it; 409 when the inquiry is decided or withdrawn, or when
    `version` is sent and the inquiry changed since (reload and try again); 422 when the assignee
    is not an active program-office member.
    """
    return InquiryOut.of(
        inquiries.assign(uow, principal, inquiry_id, assignee_id=body.assignee_id, expected_version=body.version)
    )


@router.post("/inquiries/{inquiry_id}/request-information", summary="Ask the developer for more (program office)")
def request_information(inquiry_id: uuid.UUID, body: MessageIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    """Ask the developer for more information; the inquiry waits for their answer and they are notified.

    **Who may call:** program-office staff (`coverage:inquiry:work`).

    **Errors:** 403 for others who may see the inquiry (its developer, operators); 404 when no such
    inquiry exists or you may not see it; 409 when the inquiry is decided or withdrawn, or when
    `version` is sent and the inquiry changed since (reload and try again).
    """
    return InquiryOut.of(
        inquiries.request_information(uow, principal, inquiry_id, message=body.message, expected_version=body.version)
    )


@router.post("/inquiries/{inquiry_id}/respond", summary="Answer the program office (developer)")
def respond(inquiry_id: uuid.UUID, body: MessageIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    """Answer on the inquiry's thread (typically after declaring more facts); the program office is notified.

    **Who may call:** members of the developer organization that filed it (`coverage:inquiry:respond`).

    **Errors:** 403 for others who may see the inquiry (program office, operators); 404 when no
    such inquiry exists or you may not see it; 409 when the inquiry is decided or withdrawn, or
    when `version` is sent and the inquiry changed since (reload and try again).
    """
    return InquiryOut.of(inquiries.respond(uow, principal, inquiry_id, message=body.message, expected_version=body.version))


@router.post("/inquiries/{inquiry_id}/attach-results", summary="Attach benchmark results (program office)")
def attach(inquiry_id: uuid.UUID, body: AttachIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    """Record on the thread which benchmark results of the version the program office weighed.

    **Who may call:** program-office staff (`coverage:inquiry:work`).

    **Errors:** 403 for others who may see the inquiry (its developer, operators); 404 when no such
    inquiry exists or you may not see it; 409 when the inquiry is decided or withdrawn; 422 when a
    result is not one of this inquiry's version.
    """
    return InquiryOut.of(inquiries.attach_results(uow, principal, inquiry_id, result_ids=body.result_ids))


@router.post("/inquiries/{inquiry_id}/decide", summary="Decide with a determination (program office)")
def decide(inquiry_id: uuid.UUID, body: DecideIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    """Answer the inquiry with a determination under a policy, recorded as by `POST /determinations`.

    The inquiry becomes `decided` and the developer is notified. The `rationale` is required (not
    blank): it is the developer's answer to "why", recorded with the determination.

    **Who may call:** program-office staff (`coverage:inquiry:work`); under a classified policy only
    cleared staff.

    **Errors:** 403 for others who may see the inquiry (its developer, operators), and for uncleared
    staff under a classified policy; 404 when no such inquiry exists or you may not see it, or the
    policy is not published; 409 when the inquiry is decided or withdrawn, or when `version` is
    sent and the inquiry changed since (reload and try again); 422 when `rationale` is missing,
    blank or longer than 10,000 characters.
    """
    return InquiryOut.of(
        inquiries.decide_inquiry(
            uow, principal, inquiry_id, policy_ref=body.policy, rationale=body.rationale, expected_version=body.version
        )
    )


@router.post("/inquiries/{inquiry_id}/withdraw", summary="Withdraw an inquiry (developer)")
def withdraw(inquiry_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    """Withdraw your question; the program office is notified.

    **Who may call:** members of the developer organization that filed it (`coverage:inquiry:respond`).

    **Errors:** 403 for others who may see the inquiry (program office, operators); 404 when no
    such inquiry exists or you may not see it; 409 when it is already decided or withdrawn.
    """
    return InquiryOut.of(inquiries.withdraw(uow, principal, inquiry_id))
