"""REST endpoints of coverage: policies, benchmarks and results, determinations, inquiries."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Query, Request, Response, status

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
    return [PolicyOut.of(p) for p in policies.list_policies(uow, principal)]


@router.post(
    "/policies",
    status_code=status.HTTP_201_CREATED,
    summary="Publish a policy (TOML body)",
    description="Send the TOML file as the body. Identical content is a no-op (200); different content under a published "
    "identifier@version is a 409. Permission: `coverage:policy:publish`.",
    openapi_extra={"requestBody": {"content": TOML, "required": True}},
    responses={200: {"description": "Already published with the same content."}},
)
async def publish_policy(request: Request, response: Response, uow: UoW, principal: ApiPrincipal) -> PolicyOut:
    view, created = policies.publish_policy(uow, principal, await _toml_body(request))
    if not created:
        response.status_code = status.HTTP_200_OK
    return PolicyOut.of(view)


async def _toml_body(request: Request) -> str:
    try:
        return (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("the policy file must be UTF-8 text", field="body") from exc


@router.post(
    "/policies/validate",
    summary="Validate a policy file without publishing it",
    openapi_extra={"requestBody": {"content": TOML, "required": True}},
)
async def validate_policy(request: Request, uow: UoW, principal: ApiPrincipal) -> dict[str, object]:
    del principal  # any signed-in user may check a file; nothing is stored
    policy = policies.validate_policy(uow, await _toml_body(request))
    return {"valid": True, "ref": policy.ref, "classified": policy.classified, "criteria": [c.name for c in policy.criteria()]}


@router.get("/policies/diff", summary="Diff two policy versions", description="Both must be visible to you in full.")
def diff_policies(uow: UoW, principal: ApiPrincipal, a: str = Query(max_length=130), b: str = Query(max_length=130)) -> DiffOut:
    return DiffOut(a=a, b=b, diff=policies.diff_policies(uow, principal, a, b))


@router.get("/policies/{ref}", summary="Get a policy (identifier@version, or identifier for the latest)")
def get_policy(ref: str, uow: UoW, principal: ApiPrincipal) -> PolicyOut:
    return PolicyOut.of(policies.get_policy(uow, principal, ref))


@router.get("/benchmarks", summary="List benchmarks (metadata only)")
def list_benchmarks(uow: UoW, principal: ApiPrincipal) -> list[BenchmarkOut]:
    return [BenchmarkOut.of(b) for b in results.list_benchmarks(uow, principal)]


@router.post(
    "/benchmarks",
    status_code=status.HTTP_201_CREATED,
    summary="Register a benchmark version",
    description="Permission: `coverage:benchmark:manage`.",
)
def register_benchmark(body: BenchmarkIn, uow: UoW, principal: ApiPrincipal) -> BenchmarkOut:
    view = results.register_benchmark(
        uow, principal, name=body.name, version=body.version, title=body.title, domain=body.domain, classified=body.classified
    )
    return BenchmarkOut.of(view)


@router.post(
    "/results",
    status_code=status.HTTP_201_CREATED,
    summary="Record an aggregate benchmark result",
    description="Permission: `coverage:benchmark:manage`.",
)
def record_result(body: ResultIn, uow: UoW, principal: ApiPrincipal) -> ResultOut:
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


@router.get("/versions/{version_id}/results", summary="A version's results you may see")
def version_results(version_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[ResultOut]:
    return [ResultOut.of(r) for r in results.results_for_version(uow, principal, version_id)]


@router.get("/versions/{version_id}/determinations", summary="A version's determinations, newest first")
def version_determinations(version_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[DeterminationOut]:
    return [DeterminationOut.of(d) for d in determinations.determinations_for_version(uow, principal, version_id)]


@router.post(
    "/determinations",
    status_code=status.HTTP_201_CREATED,
    summary="Record a determination",
    description="Permission: `coverage:determination:create`.",
)
def record_determination(body: DeterminationIn, uow: UoW, principal: ApiPrincipal) -> DeterminationOut:
    view = determinations.record_determination(
        uow, principal, body.model_version_id, policy_ref=body.policy, rationale=body.rationale
    )
    return DeterminationOut.of(view)


@router.get("/determinations/recheck", summary="Re-evaluate the latest determination (C1)")
def recheck(uow: UoW, principal: ApiPrincipal, model_version_id: uuid.UUID, policy: str = Query(max_length=130)) -> RecheckOut:
    return RecheckOut.of(determinations.recheck(uow, principal, model_version_id, policy_ref=policy))


@router.get("/determinations/{determination_id}", summary="Get a determination")
def get_determination(determination_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> DeterminationOut:
    return DeterminationOut.of(determinations.get_determination(uow, principal, determination_id))


@router.get("/coverage/reassess", summary="Versions whose outcome changes under a policy version")
def reassess(
    uow: UoW,
    principal: ApiPrincipal,
    policy: str = Query(max_length=130),
    against: str | None = Query(default=None, max_length=130),
) -> ReassessOut:
    compared, changes = determinations.reassess(uow, principal, policy_ref=policy, against=against)
    return ReassessOut(policy=policy, against=compared, changes=[ChangeOut.of(c) for c in changes])


@router.get("/inquiries", summary="Coverage inquiries (your own; the whole queue for the program office)")
def list_inquiries(
    uow: UoW, principal: ApiPrincipal, status_filter: InquiryStatus | None = Query(default=None, alias="status")
) -> list[InquiryOut]:
    return [InquiryOut.of(i) for i in inquiries.list_inquiries(uow, principal, status=status_filter)]


@router.post(
    "/inquiries",
    status_code=status.HTTP_201_CREATED,
    summary="File a coverage inquiry",
    description="Permission: `coverage:inquiry:file`.",
)
def file_inquiry(body: InquiryIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    return InquiryOut.of(inquiries.file_inquiry(uow, principal, body.model_version_id, question=body.question))


@router.get("/inquiries/{inquiry_id}", summary="An inquiry with its thread")
def get_inquiry(inquiry_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    return InquiryOut.of(inquiries.get_inquiry(uow, principal, inquiry_id))


@router.post("/inquiries/{inquiry_id}/assign", summary="Assign (program office)")
def assign(inquiry_id: uuid.UUID, body: AssignIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    return InquiryOut.of(
        inquiries.assign(uow, principal, inquiry_id, assignee_id=body.assignee_id, expected_version=body.version)
    )


@router.post("/inquiries/{inquiry_id}/request-information", summary="Ask the developer for more (program office)")
def request_information(inquiry_id: uuid.UUID, body: MessageIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    return InquiryOut.of(
        inquiries.request_information(uow, principal, inquiry_id, message=body.message, expected_version=body.version)
    )


@router.post("/inquiries/{inquiry_id}/respond", summary="Answer the program office (developer)")
def respond(inquiry_id: uuid.UUID, body: MessageIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    return InquiryOut.of(inquiries.respond(uow, principal, inquiry_id, message=body.message, expected_version=body.version))


@router.post("/inquiries/{inquiry_id}/attach-results", summary="Attach benchmark results (program office)")
def attach(inquiry_id: uuid.UUID, body: AttachIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    return InquiryOut.of(inquiries.attach_results(uow, principal, inquiry_id, result_ids=body.result_ids))


@router.post("/inquiries/{inquiry_id}/decide", summary="Decide with a determination (program office)")
def decide(inquiry_id: uuid.UUID, body: DecideIn, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    return InquiryOut.of(
        inquiries.decide_inquiry(
            uow, principal, inquiry_id, policy_ref=body.policy, rationale=body.rationale, expected_version=body.version
        )
    )


@router.post("/inquiries/{inquiry_id}/withdraw", summary="Withdraw (developer)")
def withdraw(inquiry_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> InquiryOut:
    return InquiryOut.of(inquiries.withdraw(uow, principal, inquiry_id))
