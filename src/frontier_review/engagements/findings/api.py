"""REST endpoints for findings: filing, reading, relabelling, the thread and evidence files."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, UploadFile, status
from fastapi.responses import StreamingResponse

from frontier_review.engagements.findings import referral, service
from frontier_review.engagements.findings.schemas import (
    CommentIn,
    FindingIn,
    FindingOut,
    FindingSummaryOut,
    RecipientOut,
    ReferralIn,
    ReferralOut,
    RelabelIn,
)
from frontier_review.engagements.materials.schemas import DOWNLOAD, EvidenceOut, attachment
from frontier_review.kernel.errors import NotFound
from frontier_review.web.deps import ApiPrincipal, UoW
from frontier_review.web.uploads import SealedSpoolRoute

# Evidence uploads spool through sealed temporary files: no plaintext on disk before it is sealed.
router = APIRouter(tags=["engagements"], route_class=SealedSpoolRoute)


@router.get("/engagements/{engagement_id}/findings", summary="List the findings you may see on an engagement")
def list_findings(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[FindingSummaryOut]:
    """The engagement's findings whose TLP audience includes you, newest first; the others are not even counted.

    **Who may call:** whoever may see the engagement (`engagements:engagement:read`); each finding
    is listed only for its audience (`engagements:finding:read`, see `tlp` on filing).

    **Errors:** 404 when no such engagement exists or you may not see it (the same answer).
    """
    return [FindingSummaryOut.of(f) for f in service.list_findings(uow, principal, engagement_id)]


@router.post(
    "/engagements/{engagement_id}/findings",
    status_code=status.HTTP_201_CREATED,
    summary="File a finding (participants)",
)
def file_finding(engagement_id: uuid.UUID, body: FindingIn, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    """Report what you found about the model for your organization. Advisory: it never blocks a release.

    Filing is open from the offer until the engagement closes. The developer is notified, and the
    program office for high and critical findings; notices name the engagement and the severity,
    never the finding's title or content.

    **Who may call:** people of an organization that takes part and accepted the current terms
    (`engagements:finding:file`).

    **Returns** the finding as you see it.

    **Errors:** 403 for others who may see the engagement (the developer, the program office), for
    a participant whose organization has not accepted the current terms, and once the engagement
    is closed; 404 when no such engagement exists or you may not see it; 422 naming every bad field
    (title, category, severity, an empty description, label, recipients; TLP:RED names at least one).
    """
    view = service.file_finding(
        uow,
        principal,
        engagement_id,
        title=body.title,
        category=body.category,
        severity=body.severity,
        description=body.description,
        tlp=body.tlp,
        recipients=body.recipients,
    )
    return FindingOut.full(view)


@router.get(
    "/engagements/{engagement_id}/finding-recipients",
    summary="List the people you may name on a finding",
)
def finding_recipients(engagement_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> list[RecipientOut]:
    """Whom a finding you file may name: active members of the developer, the program office and your organization.

    You are not listed: the filer always sees the finding.

    **Who may call:** those who may file a finding on the engagement (`engagements:finding:file`).

    **Errors:** 403 for others who may see the engagement (the developer, the program office, a
    participant whose organization has not accepted the current terms); 404 when no such
    engagement exists or you may not see it.
    """
    return [
        RecipientOut(user_id=c.user_id, email=c.email, organization=c.organization_name)
        for c in service.list_recipient_choices(uow, principal, engagement_id)
    ]


@router.get("/findings/{finding_id}", summary="Get a finding with its thread")
def get_finding(finding_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    """One finding with its description, thread, evidence files and named recipients.

    **Who may call:** its TLP audience (`engagements:finding:read`): under TLP:CLEAR and TLP:GREEN
    whoever may see the engagement (other participants once their organization accepted the
    current terms); under TLP:AMBER and TLP:AMBER+STRICT the developer, the program office and the
    finder's organization; under TLP:RED the named recipients and the filer only. Revoked people
    and organizations are in no audience.

    **Errors:** 404 when no such finding exists or you are outside its audience (the same answer).
    """
    return FindingOut.full(service.get_finding(uow, principal, finding_id))


@router.post(
    "/findings/{finding_id}/tlp",
    summary="Change a finding's TLP label and named recipients",
)
def relabel(finding_id: uuid.UUID, body: RelabelIn, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    """Change a finding's TLP label and, with it, its named recipients; the people newly named are notified.

    **Who may call:** people of the finder's organization while it takes part (any label, any
    recipients), and the program office, which may only tighten the label
    (`engagements:finding:relabel`); in each case only within the finding's audience.

    **Returns** the finding as you see it afterwards.

    **Errors:** 403 for others in the finding's audience (the developer, other participants, the
    program office keeping or relaxing the label); 404 when no such finding exists or you are
    outside its audience; 422 for an unknown label, recipients outside the developer, the program
    office and the finder's organization, TLP:RED without recipients, or a change that would leave
    you outside the audience (name yourself).
    """
    return FindingOut.full(service.relabel(uow, principal, finding_id, tlp=body.tlp, recipients=body.recipients))


@router.post("/findings/{finding_id}/comments", summary="Comment on a finding; the developer may set its status")
def comment(finding_id: uuid.UUID, body: CommentIn, uow: UoW, principal: ApiPrincipal) -> FindingOut:
    """Add to the finding's thread, even after the engagement closed; the other side is notified.

    **Who may call:** within the finding's audience, the developer, the program office and the
    finder's organization while it takes part (`engagements:finding:comment`); only the developer
    sets `status` (`engagements:finding:set_status`).

    **Returns** the finding with its thread.

    **Errors:** 403 for others in the audience (other participants), and for a `status` from
    anyone but the developer; 404 when no such finding exists or you are outside its audience; 422
    for an empty comment that changes no status, one over 20000 characters, or an unknown status.
    """
    return FindingOut.full(service.comment(uow, principal, finding_id, body=body.body, status=body.status))


@router.post(
    "/findings/{finding_id}/evidence",
    status_code=status.HTTP_201_CREATED,
    summary="Attach an evidence file (the finder's organization)",
)
def attach_evidence(
    finding_id: uuid.UUID,
    uow: UoW,
    principal: ApiPrincipal,
    file: Annotated[UploadFile, File(description="The file, within the platform's size limit; encrypted at rest.")],
) -> EvidenceOut:
    """Attach an evidence file to a finding (a multipart form with `file`), until the engagement closes.

    **Who may call:** people of the finder's organization while it takes part
    (`engagements:finding:attach_evidence`).

    **Returns** the evidence file's metadata.

    **Errors:** 400 for a malformed multipart form; 403 for others in the finding's audience, and
    once the engagement is closed; 404 when no such finding exists or you are outside its audience;
    422 for an empty file, one over the size limit, or a bad name or type.
    """
    view = service.attach_evidence(
        uow, principal, finding_id, filename=file.filename or "evidence", content_type=file.content_type, stream=file.file
    )
    return EvidenceOut.of(view)


@router.get(
    "/findings/{finding_id}/evidence/{evidence_id}",
    summary="Download an evidence file",
    response_class=StreamingResponse,
    responses=DOWNLOAD,
)
def download_evidence(finding_id: uuid.UUID, evidence_id: uuid.UUID, uow: UoW, principal: ApiPrincipal) -> StreamingResponse:
    """An evidence file's content; every download is recorded in the audit log.

    **Who may call:** the finding's TLP audience (`engagements:finding:read`).

    **Errors:** 404 when no such finding exists, you are outside its audience, or the file is not
    on this finding (the same answer).
    """
    evidence, chunks = service.download_evidence(uow, principal, finding_id, evidence_id)
    return attachment(chunks, evidence.filename, evidence.content_type)


@router.post(
    "/engagements/{engagement_id}/findings/{finding_id}/referral",
    status_code=status.HTTP_201_CREATED,
    summary="Refer a third-party-software finding to the clearinghouse",
)
def refer_finding(
    engagement_id: uuid.UUID, finding_id: uuid.UUID, body: ReferralIn, uow: UoW, principal: ApiPrincipal
) -> ReferralOut:
    """Make the finding a clearinghouse vulnerability report linked to it, once (issue 14 item 8).

    The report's source is your organization and its label the finding's. Under TLP:RED the
    finding's named people (and its filer) are named on the report when still active; add people of
    the clearinghouse with `clearinghouse_people`, or nobody there can triage it. Under the other
    labels the report names no people. Until validated it reaches your organization, the
    clearinghouse and the validator it names.

    **Who may call:** people of the finder's organization while it takes part
    (`engagements:finding:refer`), for a finding of category `third_party_vulnerability`.

    **Errors:** 403 for others in the finding's audience and for the other categories; 404 when no
    such finding exists on this engagement or you are outside its audience; 409 when the finding
    was already referred; 422 naming every bad field (CVE, CWE, CVSS vectors, products, sectors,
    references, clearinghouse people).
    """
    if service.get_finding(uow, principal, finding_id).engagement_id != engagement_id:
        raise NotFound(f"finding {finding_id} not found")
    done = referral.refer_finding(uow, principal, finding_id, body.to_input())
    return ReferralOut(
        finding_id=done.finding_id,
        report_id=done.report.id,
        tlp=done.report.tlp.value,
        status=done.report.status.value,
        named=[p.email for p in done.named],
        left_out=list(done.left_out),
    )
