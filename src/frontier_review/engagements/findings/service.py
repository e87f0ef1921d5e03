"""Findings: what participants report about the model, and the developer's answers (DESIGN §3.4).

A participant files a finding (title, category, severity, description, TLP 2.0 label, named
recipients) and may attach evidence files; description, comments and evidence are sealed at
rest. The developer answers in the finding's thread and sets its status; the finder's
organization and the program office take part in the thread. Who sees a finding — in lists and
their counts, on its page, in evidence downloads and in notices — is its TLP 2.0 audience
(``policy.reads_finding`` over ``kernel.tlp``). Anyone else is told the finding does not exist.
Only the finder's organization relaxes a label; the program office may tighten it.

Findings are advisory: nothing here can delay a release (G2). Reads are not audited; filing,
comments, status changes, relabelling, evidence uploads and evidence downloads are.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import BinaryIO

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access.context import get_access_context
from frontier_review.engagements.access.domain import current_state
from frontier_review.engagements.findings import notify
from frontier_review.engagements.findings.domain import (
    MAX_COMMENT,
    Category,
    FindingStatus,
    Severity,
    Tlp,
    check_filing,
    choice,
    may_be_named,
    parse_tlp,
    raise_problems,
)
from frontier_review.engagements.findings.orm import Finding, FindingComment, FindingRecipient
from frontier_review.engagements.findings.policy import Relabel
from frontier_review.engagements.findings.views import (
    EvidenceDownload,
    FindingSummary,
    FindingView,
    RecipientChoice,
    finding_ref,
    finding_view,
    get_readable,
    summary,
)
from frontier_review.engagements.lifecycle.domain import EngagementState
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.engagements.lifecycle.views import get_ref, get_row_for, org_name
from frontier_review.engagements.materials import evidence as evidence_store
from frontier_review.engagements.materials.evidence import EvidenceView
from frontier_review.engagements.tags import EngagementTag
from frontier_review.identity import directory
from frontier_review.identity.directory import Person
from frontier_review.kernel.clock import utc
from frontier_review.kernel.errors import FieldProblem, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import authorize, decide, refuse
from frontier_review.security import service as security


def _still_open(uow: UnitOfWork, principal: Principal, row: Engagement, permission: Permission, target: tuple[str, str]) -> None:
    """Participants add to findings until the engagement closes.

    Revocation and terms are the rules' business (``EngagementRef.party_refusal``).
    """
    state, reason = current_state(get_access_context(uow, principal, row.id), uow.clock.now())
    if state is EngagementState.CLOSED:
        why = reason.value.replace("_", " ") if reason else "closed"
        refuse(
            uow, principal, permission, f"the engagement is closed ({why}); findings can no longer be filed or extended", target
        )


def _clean_recipients(
    uow: UnitOfWork, row: Engagement, finder_org_id: uuid.UUID, label: Tlp, recipients: Iterable[uuid.UUID | str] | None
) -> list[Person]:
    """The named people: active members of an organization entitled to the finding.

    Those organizations are the developer, the program office and the finder's. TLP:RED needs at
    least one.
    """
    chosen: list[Person] = []
    problems: list[FieldProblem] = []
    seen: set[uuid.UUID] = set()
    for raw in recipients or ():
        try:
            user_id = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw).strip())
        except ValueError:
            problems.append(FieldProblem("recipients", f"recipient {str(raw)[:40]!r} is not a user id"))
            continue
        if user_id in seen:
            continue
        seen.add(user_id)
        user = directory.find_person(uow, user_id)
        org = directory.find_organization(uow, user.organization_id) if user is not None and user.organization_id else None
        named = user is not None and may_be_named(
            org.id if org else None,
            org.kind if org else None,
            active=user.is_active,
            developer_org_id=row.developer_org_id,
            finder_org_id=finder_org_id,
        )
        if user is None or not named:
            # The same answer for an unknown id and someone elsewhere: no probing for accounts.
            problems.append(
                FieldProblem(
                    "recipients",
                    f"recipient {user_id} is not a member of the developer, the program office or the finder's organization",
                )
            )
            continue
        chosen.append(user)
    if label is Tlp.RED and not chosen and not problems:
        problems.append(FieldProblem("recipients", "a TLP:RED finding names at least one recipient"))
    raise_problems(problems)
    return chosen


def _store_recipients(uow: UnitOfWork, principal: Principal, finding: Finding, users: list[Person]) -> None:
    uow.session.execute(sa_delete(FindingRecipient).where(FindingRecipient.finding_id == finding.id))
    now = uow.clock.now()
    for user in users:
        uow.session.add(
            FindingRecipient(id=new_id(), finding_id=finding.id, user_id=user.id, added_by=principal.label, added_at=now)
        )
    uow.session.flush()


def file_finding(
    uow: UnitOfWork,
    principal: Principal,
    engagement_id: uuid.UUID,
    *,
    title: str,
    category: Category | str,
    severity: Severity | str,
    description: str,
    tlp: Tlp | str,
    recipients: Iterable[uuid.UUID | str] | None = None,
) -> FindingView:
    """File a finding for the principal's organization.

    The principal is a current party's member whose organization accepted the current terms.

    Filing is open from the offer until the engagement closes (window elapsed, release or
    withdrawal): a finding made late in the window can still be written up until then, and
    none can be filed afterwards. A person or organization the developer revoked, or a partner
    whose designation lapsed, cannot file.

    Args:
        uow: the unit of work.
        principal: the finder.
        engagement_id: the engagement the finding is about.
        title: shown to the finding's audience only, never in notices.
        category: a :class:`Category` value.
        severity: a :class:`Severity` value.
        description: sealed at rest.
        tlp: a TLP 2.0 label (``TLP:AMBER`` or ``amber``).
        recipients: named people (user ids) in the developer, the program office or the finder's
            organization; a TLP:RED finding names at least one, and only they and the filer see it.

    Returns:
        The finding as the finder sees it.

    Raises:
        ValidationFailed: a bad field, naming it (nothing is stored).
        PermissionDenied: not a current party, terms not accepted, or the engagement closed.

    The finding's audience is notified (the developer; the program office for high and critical
    findings). Notices name the engagement and the severity, never the finding's title or content.
    """
    row = get_row_for(uow, principal, engagement_id, Permission.FINDING_FILE)
    eref = get_ref(uow, row)
    _still_open(uow, principal, row, Permission.FINDING_FILE, ("engagement", str(row.id)))
    assert principal.org_id is not None  # the rule admits participants' members only
    filing = check_filing(title, category, severity, description, tlp)
    parsed_category, parsed_severity, parsed_tlp = filing.category, filing.severity, filing.tlp
    named = _clean_recipients(uow, row, principal.org_id, parsed_tlp, recipients)
    now = uow.clock.now()
    finding = Finding(
        id=new_id(),
        engagement_id=row.id,
        organization_id=principal.org_id,
        title=filing.title,
        category=parsed_category.value,
        severity=parsed_severity.value,
        tlp=parsed_tlp.value,
        status=FindingStatus.OPEN.value,
        filed_by=principal.label,
        filed_by_user_id=principal.user_id,
        filed_at=now,
        updated_at=now,
    )
    finding.description_sealed = security.seal_field(
        uow, filing.description.encode(), table="findings", row_id=str(finding.id), field="description_sealed"
    )
    uow.session.add(finding)
    uow.session.flush()
    _store_recipients(uow, principal, finding, named)
    audit.record(
        uow,
        principal,
        EngagementTag.FINDING_FILED,
        target_type="finding",
        target_id=finding.id,
        details={
            "engagement": str(row.id),
            "category": parsed_category.value,
            "severity": parsed_severity.value,
            "tlp": parsed_tlp.value,
            "recipients": sorted(str(u.id) for u in named),
        },
    )
    fref = finding_ref(uow, finding, row, eref)
    notice = f"{row.title}: {org_name(uow, principal.org_id)} filed a {parsed_severity.value} finding"
    key = f"finding:{finding.id}"
    notify.to_org(uow, row, fref, row.developer_org_id, "finding_filed", notice, key)
    if parsed_severity in {Severity.HIGH, Severity.CRITICAL}:
        notify.to_program_office(uow, row, fref, "finding_filed", notice, key)
    elif parsed_tlp is Tlp.RED:
        # Named people at the program office learn of a RED finding whatever its severity.
        notify.to_named(uow, row, fref, named, "finding_filed", notice, key)
    return finding_view(uow, principal, finding, fref)


def get_finding(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> FindingView:
    """The finding with its description, thread and evidence list.

    Raises:
        NotFound: No such finding, or the caller is outside its TLP audience (``policy.reads_finding``).
    """
    finding, _, fref = get_readable(uow, principal, finding_id)
    return finding_view(uow, principal, finding, fref)


def list_findings(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[FindingSummary]:
    """The engagement's findings in the principal's TLP audience, newest first.

    Counts come from this list too (:func:`count_by_severity`), so nothing outside the audience
    is even counted.
    """
    row = get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_READ)
    eref = get_ref(uow, row)
    now = uow.clock.now()
    out = []
    for f in uow.session.scalars(select(Finding).where(Finding.engagement_id == row.id).order_by(Finding.filed_at.desc())):
        if decide(uow, principal, Permission.FINDING_READ, finding_ref(uow, f, row, eref), now).allowed:
            out.append(summary(uow, f))
    return out


def relabel(
    uow: UnitOfWork,
    principal: Principal,
    finding_id: uuid.UUID,
    *,
    tlp: Tlp | str,
    recipients: Iterable[uuid.UUID | str] | None = None,
) -> FindingView:
    """Change a finding's TLP label and, with it, its named recipients (audited).

    Only the finder's organization relaxes a label or renames recipients; the program office may
    tighten it (to TLP:RED naming the recipients). A TLP:RED label needs at least one recipient.

    Args:
        uow: the unit of work.
        principal: who relabels.
        finding_id: the finding.
        tlp: the new label.
        recipients: the named people after the change (None keeps the current ones).

    Returns:
        The finding as ``principal`` sees it afterwards.

    Raises:
        NotFound: the principal is not in the finding's audience.
        PermissionDenied: relaxing without being the finder, or the developer trying at all.
        ValidationFailed: an unknown label, or recipients outside the entitled organizations.
    """
    finding, row, fref = get_readable(uow, principal, finding_id)
    problems: list[FieldProblem] = []
    parsed = parse_tlp(tlp, problems)
    raise_problems(problems)
    assert parsed is not None
    label = parsed
    authorize(uow, principal, Permission.FINDING_RELABEL, Relabel(fref, label.value))
    keep = recipients is None
    named = _clean_recipients(uow, row, finding.organization_id, label, fref.recipients if keep else recipients)
    after = dataclasses.replace(fref, tlp=label.value, recipients=frozenset(u.id for u in named))
    if not decide(uow, principal, Permission.FINDING_READ, after, uow.clock.now()).allowed:
        # Checked before anything changes: whoever relabels keeps seeing what they relabelled.
        raise ValidationFailed("name yourself among the recipients to keep seeing this finding", field="recipients")
    previous = finding.tlp
    finding.tlp = label.value
    finding.updated_at = uow.clock.now()
    _store_recipients(uow, principal, finding, named)
    # People named just now learn of the finding; nobody else is told anything new.
    added = [u for u in named if u.id not in fref.recipients and u.id != principal.user_id]
    notify.to_people(
        uow,
        row,
        after,
        added,
        "finding_named",
        f"{row.title}: you were named as a recipient of a {label.value} finding",
        f"named:{finding.id}:{uow.clock.now().isoformat()}",
    )
    audit.record(
        uow,
        principal,
        EngagementTag.FINDING_RELABELLED,
        target_type="finding",
        target_id=finding.id,
        details={"from": previous, "to": label.value, "recipients": sorted(str(u.id) for u in named)},
    )
    return finding_view(uow, principal, finding, after)


def _choices(uow: UnitOfWork, row: Engagement, finder_org_id: uuid.UUID) -> list[RecipientChoice]:
    orgs = {row.developer_org_id, finder_org_id, *directory.list_organization_ids(uow, OrgKind.PROGRAM_OFFICE)}
    return [RecipientChoice(p.id, p.email, org_name(uow, p.organization_id)) for p in directory.list_members(uow, orgs)]


def list_recipient_choices(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[RecipientChoice]:
    """Whom ``principal`` may name on a finding it files.

    They are people of the developer, the program office and its own organization. Only those
    who may file learn the names (others get ``PermissionDenied``).
    """
    row = get_row_for(uow, principal, engagement_id, Permission.FINDING_FILE)
    assert principal.org_id is not None  # the rule admits participants' members only
    return [c for c in _choices(uow, row, principal.org_id) if c.user_id != principal.user_id]


def list_relabel_choices(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> list[RecipientChoice]:
    """Whom a relabelling may name on this finding (for the form); ``NotFound`` outside its audience."""
    finding, row, _ = get_readable(uow, principal, finding_id)
    return _choices(uow, row, finding.organization_id)


def comment(
    uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID, *, body: str, status: FindingStatus | str | None = None
) -> FindingView:
    """Add to the finding's thread; the developer may set the status with it.

    With a status the body may be empty. The finder's organization and the program office comment but never set the
    status. The other side is notified: the finder's organization when the developer writes,
    the developer when anyone else does (and the finder's organization when the program
    office does). Comments are allowed after the engagement closes: findings outlive it.
    """
    finding, row, fref = get_readable(uow, principal, finding_id)
    authorize(uow, principal, Permission.FINDING_COMMENT, fref)
    if status is not None:
        authorize(uow, principal, Permission.FINDING_SET_STATUS, fref)
    problems: list[FieldProblem] = []
    new_status = choice(FindingStatus, status, "status", problems) if status is not None else None
    text = body.strip()
    if len(text) > MAX_COMMENT:
        problems.append(FieldProblem("body", f"a comment has at most {MAX_COMMENT} characters"))
    changed = new_status if new_status is not None and new_status.value != finding.status else None
    if not text and changed is None:
        problems.append(FieldProblem("body", "write a comment"))
    raise_problems(problems)
    now = uow.clock.now()
    # A thread reads in the order it was written, even when two comments share a clock reading.
    last = uow.session.scalar(select(func.max(FindingComment.created_at)).where(FindingComment.finding_id == finding.id))
    if last is not None:
        now = max(now, utc(last) + timedelta(microseconds=1))
    note = FindingComment(
        id=new_id(),
        finding_id=finding.id,
        author=principal.label,
        author_org_id=principal.org_id,
        status_to=changed.value if changed else None,
        created_at=now,
    )
    note.body_sealed = security.seal_field(uow, text.encode(), table="finding_comments", row_id=str(note.id), field="body_sealed")
    uow.session.add(note)
    previous = finding.status
    if changed is not None:
        finding.status = changed.value
    finding.updated_at = now
    uow.session.flush()
    audit.record(
        uow,
        principal,
        EngagementTag.FINDING_STATUS_SET if changed else EngagementTag.FINDING_COMMENTED,
        target_type="finding",
        target_id=finding.id,
        details={"comment": str(note.id), **({"from": previous, "to": changed.value} if changed else {})},
    )
    key = f"comment:{note.id}"
    if principal.is_member_of(row.developer_org_id):
        what = f"the developer set a finding to {changed.value}" if changed else "the developer answered a finding"
        notify.to_org(uow, row, fref, finding.organization_id, "finding_answered", f"{row.title}: {what}", key)
    else:
        said = f"{row.title}: {org_name(uow, principal.org_id)} commented on a finding"
        notify.to_org(uow, row, fref, row.developer_org_id, "finding_comment", said, key)
        if not principal.is_member_of(finding.organization_id):
            notify.to_org(uow, row, fref, finding.organization_id, "finding_comment", said, key)
    return finding_view(uow, principal, finding, fref)


def attach_evidence(
    uow: UnitOfWork,
    principal: Principal,
    finding_id: uuid.UUID,
    *,
    filename: str,
    content_type: str | None,
    stream: BinaryIO | Iterable[bytes],
) -> EvidenceView:
    """Attach an evidence file, sealed in chunks, within ``artifact_max_bytes``.

    Only the finder's organization attaches evidence, while it may still file findings.
    """
    finding, row, fref = get_readable(uow, principal, finding_id)
    target = ("finding", str(finding.id))
    authorize(uow, principal, Permission.FINDING_ATTACH_EVIDENCE, fref)
    _still_open(uow, principal, row, Permission.FINDING_ATTACH_EVIDENCE, target)
    evidence = evidence_store.store_evidence(
        uow, principal, finding.id, filename=filename, content_type=content_type, stream=stream
    )
    now = uow.clock.now()
    finding.updated_at = now
    uow.session.flush()
    audit.record(
        uow,
        principal,
        EngagementTag.FINDING_EVIDENCE_ATTACHED,
        target_type="finding",
        target_id=finding.id,
        details={"evidence": str(evidence.id), "size": evidence.size, "sha256": evidence.sha256},
    )
    return evidence


def download_evidence(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID, evidence_id: uuid.UUID) -> EvidenceDownload:
    """An evidence file for anyone who may read the finding.

    Each download is audited in this transaction: commit before streaming ``chunks``.
    """
    finding, _, _ = get_readable(uow, principal, finding_id)
    evidence = evidence_store.get_evidence(uow, finding.id, evidence_id)
    audit.record(
        uow,
        principal,
        EngagementTag.FINDING_EVIDENCE_DOWNLOADED,
        target_type="finding",
        target_id=finding.id,
        details={"evidence": str(evidence.id), "sha256": evidence.sha256},
    )
    return EvidenceDownload(evidence, evidence_store.open_evidence(uow, evidence))
