"""Findings: what participants report about the model, and the developer's answers (DESIGN §3.4).

A participant files a finding (title, category, severity, description, TLP 2.0 label, named
recipients) and may attach evidence files; description, comments and evidence are sealed at
rest. The developer answers in the finding's thread and sets its status; the finder's
organization and the program office take part in the thread. Who sees a finding — in lists and
their counts, on its page, in evidence downloads and in notices — is its TLP 2.0 audience
(``policy.reads_finding`` over ``kernel.tlp``): TLP:CLEAR whoever sees the engagement, TLP:GREEN
its community, TLP:AMBER and TLP:AMBER+STRICT the developer, the finder's organization and the
program office, TLP:RED the named recipients and the filer. Revoked people and organizations and
lapsed designations are in no audience. Anyone else is told the finding does not exist. Only
the finder's organization relaxes a label; the program office may tighten it.

Findings are advisory: nothing here can delay a release (G2). Reads are not audited; filing,
comments, status changes, relabelling, evidence uploads and evidence downloads are.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import BinaryIO, NamedTuple, Protocol, TypeVar

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements import notices, service
from frontier_review.engagements.artifacts import (
    clean_content_type,
    clean_filename,
    iter_chunks,
    store_chunks,
)
from frontier_review.engagements.domain import ClosedReason, EngagementState, Window, effective_state
from frontier_review.engagements.orm import Engagement, Finding, FindingComment, FindingEvidence, FindingRecipient
from frontier_review.engagements.policy import TLP_LEVELS, EngagementRef, FindingRef, Relabel, reads_finding
from frontier_review.identity.orm import Organization, User
from frontier_review.kernel import tlp as tlp_rules
from frontier_review.kernel.clock import utc
from frontier_review.kernel.errors import FieldProblem, NotFound, PermissionDenied, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import authorize, decide, refuse
from frontier_review.security import service as security

MAX_TITLE = 200
MAX_DESCRIPTION = 50_000
MAX_COMMENT = 20_000
E = TypeVar("E", bound=StrEnum)


class Category(StrEnum):
    OFFENSIVE_CYBER_CAPABILITY = "offensive_cyber_capability"
    SAFEGUARD_BYPASS = "safeguard_bypass"
    THIRD_PARTY_VULNERABILITY = "third_party_vulnerability"
    OTHER = "other"


CATEGORY_LABELS: dict[Category, str] = {
    Category.OFFENSIVE_CYBER_CAPABILITY: "Offensive-cyber capability",
    Category.SAFEGUARD_BYPASS: "Safeguard bypass",
    Category.THIRD_PARTY_VULNERABILITY: "Vulnerability in third-party software",
    Category.OTHER: "Other",
}


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


SEVERITY_ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)


class FindingStatus(StrEnum):
    """The developer's answer; any status may follow any other (a finding can be reopened)."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    MITIGATED = "mitigated"
    WONT_FIX = "wont_fix"
    DISPUTED = "disputed"


Tlp = tlp_rules.Label  # TLP 2.0 labels, least to most restricted; one definition for every area


@dataclass(frozen=True)
class FindingSummary:
    """A finding in a list: no description, no thread."""

    id: uuid.UUID
    engagement_id: uuid.UUID
    title: str
    category: Category
    severity: Severity
    tlp: Tlp
    status: FindingStatus
    finder_org_id: uuid.UUID
    finder_org_name: str
    filed_by: str
    filed_at: datetime
    updated_at: datetime
    comments: int
    evidence: int

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]


@dataclass(frozen=True)
class RecipientView:
    """A person named on a finding (TLP:RED's audience besides the filer)."""

    user_id: uuid.UUID
    email: str
    organization_name: str


@dataclass(frozen=True)
class CommentView:
    id: uuid.UUID
    author: str
    author_org_id: uuid.UUID | None
    author_org_name: str
    body: str
    status_to: FindingStatus | None
    created_at: datetime


@dataclass(frozen=True)
class EvidenceView:
    id: uuid.UUID
    finding_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    chunks: int
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class FindingView(FindingSummary):
    """A finding as one reader may see it: description and thread decrypted, plus what the
    reader may do next (for buttons; the services check again)."""

    description: str
    thread: tuple[CommentView, ...]
    evidence_files: tuple[EvidenceView, ...]
    recipients: tuple[RecipientView, ...]
    may_comment: bool
    may_set_status: bool
    may_attach_evidence: bool
    may_relabel: bool


class EvidenceDownload(NamedTuple):
    """Unpacks as ``(evidence, chunks)``; ``chunks`` is lazy, like an artifact download's."""

    evidence: EvidenceView
    chunks: Iterator[bytes]


def count_by_severity(findings: Iterable[FindingSummary]) -> dict[Severity, int]:
    """How many findings of each severity, most severe first, zeros included (for the UI)."""
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for f in findings:
        counts[f.severity] += 1
    return counts


# --- rules and loading ---------------------------------------------------------------------


def _parse_tlp(value: str) -> Tlp:
    return tlp_rules.parse(value)


def _choice(enum: type[E], value: str | None, name: str, problems: list[FieldProblem]) -> E | None:
    try:
        return enum((value or "").strip().lower())
    except ValueError:
        problems.append(FieldProblem(name, f"{name} must be one of: {', '.join(e.value for e in enum)}"))
        return None


def _raise(problems: list[FieldProblem]) -> None:
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)


def _recipient_ids(uow: UnitOfWork, finding_id: uuid.UUID) -> frozenset[uuid.UUID]:
    return frozenset(uow.session.scalars(select(FindingRecipient.user_id).where(FindingRecipient.finding_id == finding_id)))


def _finding_ref(uow: UnitOfWork, finding: Finding, row: Engagement, eref: EngagementRef | None = None) -> FindingRef:
    return FindingRef(
        engagement=eref or service.ref(uow, row),
        id=finding.id,
        finder_org_id=finding.organization_id,
        tlp=finding.tlp,
        recipients=_recipient_ids(uow, finding.id),
        filer_user_id=finding.filed_by_user_id,
    )


def _readable(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> tuple[Finding, Engagement, FindingRef]:
    """The finding, if ``principal`` is in its TLP audience. Otherwise it does not exist for them
    (the refusal is still audited), so a TLP:RED finding's title or existence never leaks."""
    finding = uow.session.get(Finding, finding_id)
    if finding is None:
        raise NotFound(f"finding {finding_id} not found")
    row = service.load(uow, finding.engagement_id)
    fref = _finding_ref(uow, finding, row)
    try:
        authorize(uow, principal, Permission.FINDING_READ, fref)
    except PermissionDenied:
        raise NotFound(f"finding {finding_id} not found") from None
    return finding, row, fref


def _still_open(uow: UnitOfWork, principal: Principal, row: Engagement, permission: Permission, target: tuple[str, str]) -> None:
    """Participants add to findings until the engagement closes (revocation and terms are the
    rules' business: ``EngagementRef.party_refusal``)."""
    state, reason = effective_state(
        EngagementState(row.state),
        ClosedReason(row.closed_reason) if row.closed_reason else None,
        Window(row.window_start, row.window_end),
        service.version_status(uow, row),
        uow.clock.now(),
    )
    if state is EngagementState.CLOSED:
        why = reason.value.replace("_", " ") if reason else "closed"
        refuse(
            uow, principal, permission, f"the engagement is closed ({why}); findings can no longer be filed or extended", target
        )


class _Member(Protocol):
    @property
    def id(self) -> uuid.UUID: ...

    @property
    def organization_id(self) -> uuid.UUID | None: ...


_M = TypeVar("_M", bound=_Member)


def _in_audience(uow: UnitOfWork, fref: FindingRef, users: Iterable[_M]) -> list[_M]:
    """The people among ``users`` who are in the finding's TLP audience right now (for notices:
    a notice about a finding reveals that it exists)."""
    now = uow.clock.now()
    out = []
    for user in users:
        org = uow.session.get(Organization, user.organization_id) if user.organization_id else None
        kind = OrgKind(org.kind) if org is not None and org.kind in set(OrgKind) else None
        if reads_finding(user.id, user.organization_id, kind, fref, now).allowed:
            out.append(user)
    return out


def _notify_org(uow: UnitOfWork, row: Engagement, fref: FindingRef, org_id: uuid.UUID, kind: str, title: str, key: str) -> None:
    users = _in_audience(uow, fref, notices.members(uow, org_id))
    notices.to_users(uow, row, users, kind, title, key, finding_link(row.id, fref.id))


def _notify_program_office(uow: UnitOfWork, row: Engagement, fref: FindingRef, kind: str, title: str, key: str) -> None:
    for org_id in uow.session.scalars(select(Organization.id).where(Organization.kind == OrgKind.PROGRAM_OFFICE.value)):
        _notify_org(uow, row, fref, org_id, kind, title, key)


def _clean_recipients(
    uow: UnitOfWork, row: Engagement, finder_org_id: uuid.UUID, label: Tlp, recipients: Iterable[uuid.UUID | str] | None
) -> list[User]:
    """The named people: active members of an organization entitled to the finding (the
    developer, the program office, the finder's). TLP:RED needs at least one."""
    chosen: list[User] = []
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
        user = uow.session.get(User, user_id)
        org = uow.session.get(Organization, user.organization_id) if user is not None and user.organization_id else None
        entitled = org is not None and (
            org.id in {row.developer_org_id, finder_org_id} or org.kind == OrgKind.PROGRAM_OFFICE.value
        )
        if user is None or not user.is_active or not entitled:
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
    _raise(problems)
    return chosen


def _store_recipients(uow: UnitOfWork, principal: Principal, finding: Finding, users: list[User]) -> None:
    uow.session.execute(sa_delete(FindingRecipient).where(FindingRecipient.finding_id == finding.id))
    now = uow.clock.now()
    for user in users:
        uow.session.add(
            FindingRecipient(id=new_id(), finding_id=finding.id, user_id=user.id, added_by=principal.label, added_at=now)
        )
    uow.session.flush()


def _org_name(uow: UnitOfWork, org_id: uuid.UUID | None) -> str:
    if org_id is None:
        return "platform"
    org = uow.session.get(Organization, org_id)
    return org.name if org else "?"


def _summary(uow: UnitOfWork, f: Finding) -> FindingSummary:
    comments = uow.session.scalar(select(func.count()).select_from(FindingComment).where(FindingComment.finding_id == f.id))
    evidence = uow.session.scalar(select(func.count()).select_from(FindingEvidence).where(FindingEvidence.finding_id == f.id))
    return FindingSummary(
        id=f.id,
        engagement_id=f.engagement_id,
        title=f.title,
        category=Category(f.category),
        severity=Severity(f.severity),
        tlp=Tlp(f.tlp),
        status=FindingStatus(f.status),
        finder_org_id=f.organization_id,
        finder_org_name=_org_name(uow, f.organization_id),
        filed_by=f.filed_by,
        filed_at=f.filed_at,
        updated_at=f.updated_at,
        comments=int(comments or 0),
        evidence=int(evidence or 0),
    )


def _evidence_view(e: FindingEvidence) -> EvidenceView:
    return EvidenceView(e.id, e.finding_id, e.filename, e.content_type, e.size, e.sha256, e.chunks, e.uploaded_by, e.uploaded_at)


def _view(uow: UnitOfWork, principal: Principal, f: Finding, fref: FindingRef) -> FindingView:
    """The full finding; call only after the reader was authorized."""
    description = security.open_field(
        uow.session, uow.keyring, f.description_sealed, table="findings", row_id=str(f.id), field="description_sealed"
    ).decode()
    thread = tuple(
        CommentView(
            id=c.id,
            author=c.author,
            author_org_id=c.author_org_id,
            author_org_name=_org_name(uow, c.author_org_id),
            body=security.open_field(
                uow.session, uow.keyring, c.body_sealed, table="finding_comments", row_id=str(c.id), field="body_sealed"
            ).decode(),
            status_to=FindingStatus(c.status_to) if c.status_to else None,
            created_at=c.created_at,
        )
        for c in uow.session.scalars(
            select(FindingComment).where(FindingComment.finding_id == f.id).order_by(FindingComment.created_at)
        )
    )
    evidence = tuple(
        _evidence_view(e)
        for e in uow.session.scalars(
            select(FindingEvidence).where(FindingEvidence.finding_id == f.id).order_by(FindingEvidence.uploaded_at)
        )
    )
    recipients = tuple(
        RecipientView(u.id, u.email, _org_name(uow, u.organization_id))
        for u in uow.session.scalars(
            select(User)
            .join(FindingRecipient, FindingRecipient.user_id == User.id)
            .where(FindingRecipient.finding_id == f.id)
            .order_by(User.email)
        )
    )
    now = uow.clock.now()
    s = _summary(uow, f)
    # Relabelling is offered to whoever may tighten it one step at least (the finder may also relax).
    tighter = Tlp.RED.value if f.tlp != Tlp.RED.value else f.tlp
    return FindingView(
        id=s.id,
        engagement_id=s.engagement_id,
        title=s.title,
        category=s.category,
        severity=s.severity,
        tlp=s.tlp,
        status=s.status,
        finder_org_id=s.finder_org_id,
        finder_org_name=s.finder_org_name,
        filed_by=s.filed_by,
        filed_at=s.filed_at,
        updated_at=s.updated_at,
        comments=s.comments,
        evidence=s.evidence,
        description=description,
        thread=thread,
        evidence_files=evidence,
        recipients=recipients,
        may_comment=decide(uow, principal, Permission.FINDING_COMMENT, fref, now).allowed,
        may_set_status=decide(uow, principal, Permission.FINDING_SET_STATUS, fref, now).allowed,
        may_attach_evidence=decide(uow, principal, Permission.FINDING_ATTACH_EVIDENCE, fref, now).allowed,
        may_relabel=decide(uow, principal, Permission.FINDING_RELABEL, Relabel(fref, tighter), now).allowed,
    )


def finding_link(engagement_id: uuid.UUID, finding_id: uuid.UUID) -> str:
    return f"/engagements/{engagement_id}/findings/{finding_id}"


# --- use cases ------------------------------------------------------------------------------


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
    """File a finding for the principal's organization (a current party's member whose
    organization accepted the current terms).

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
    row = service.load_for(uow, principal, engagement_id, Permission.FINDING_FILE)
    eref = service.ref(uow, row)
    _still_open(uow, principal, row, Permission.FINDING_FILE, ("engagement", str(row.id)))
    assert principal.org_id is not None  # the rule admits participants' members only
    problems: list[FieldProblem] = []
    clean_title = " ".join(title.split())
    if not 3 <= len(clean_title) <= MAX_TITLE:
        problems.append(FieldProblem("title", f"title must have 3 to {MAX_TITLE} characters"))
    parsed_category = _choice(Category, category, "category", problems)
    parsed_severity = _choice(Severity, severity, "severity", problems)
    text = description.strip()
    if not text:
        problems.append(FieldProblem("description", "describe the finding"))
    elif len(text) > MAX_DESCRIPTION:
        problems.append(FieldProblem("description", f"description must have at most {MAX_DESCRIPTION} characters"))
    try:
        parsed_tlp: Tlp | None = _parse_tlp(tlp)
    except ValueError:
        parsed_tlp = None
        problems.append(FieldProblem("tlp", f"tlp must be one of: {', '.join(TLP_LEVELS)}"))
    _raise(problems)
    assert parsed_category is not None
    assert parsed_severity is not None
    assert parsed_tlp is not None
    named = _clean_recipients(uow, row, principal.org_id, parsed_tlp, recipients)
    now = uow.clock.now()
    finding = Finding(
        id=new_id(),
        engagement_id=row.id,
        organization_id=principal.org_id,
        title=clean_title,
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
        uow, text.encode(), table="findings", row_id=str(finding.id), field="description_sealed"
    )
    uow.session.add(finding)
    uow.session.flush()
    _store_recipients(uow, principal, finding, named)
    audit.record(
        uow,
        principal,
        "engagements:finding:filed",
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
    fref = _finding_ref(uow, finding, row, eref)
    notice = f"{row.title}: {_org_name(uow, principal.org_id)} filed a {parsed_severity.value} finding"
    key = f"finding:{finding.id}"
    _notify_org(uow, row, fref, row.developer_org_id, "finding_filed", notice, key)
    if parsed_severity in {Severity.HIGH, Severity.CRITICAL}:
        _notify_program_office(uow, row, fref, "finding_filed", notice, key)
    elif parsed_tlp is Tlp.RED:
        # Named people at the program office learn of a RED finding whatever its severity.
        _notify_named(uow, row, fref, named, "finding_filed", notice, key)
    return _view(uow, principal, finding, fref)


def _notify_named(uow: UnitOfWork, row: Engagement, fref: FindingRef, named: list[User], kind: str, title: str, key: str) -> None:
    users = [u for u in _in_audience(uow, fref, named) if u.organization_id != row.developer_org_id]
    notices.to_users(uow, row, users, kind, title, key, finding_link(row.id, fref.id))


def get_finding(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> FindingView:
    """The finding with its description, thread and evidence list; ``NotFound`` for anyone outside
    its TLP audience (``policy.reads_finding``)."""
    finding, _, fref = _readable(uow, principal, finding_id)
    return _view(uow, principal, finding, fref)


def list_findings(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[FindingSummary]:
    """The engagement's findings in the principal's TLP audience, newest first (counts come from
    this list too: :func:`count_by_severity`), so nothing outside the audience is even counted."""
    row = service.load_for(uow, principal, engagement_id, Permission.ENGAGEMENT_READ)
    eref = service.ref(uow, row)
    now = uow.clock.now()
    out = []
    for f in uow.session.scalars(select(Finding).where(Finding.engagement_id == row.id).order_by(Finding.filed_at.desc())):
        if decide(uow, principal, Permission.FINDING_READ, _finding_ref(uow, f, row, eref), now).allowed:
            out.append(_summary(uow, f))
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
    finding, row, fref = _readable(uow, principal, finding_id)
    problems: list[FieldProblem] = []
    try:
        label = _parse_tlp(tlp)
    except ValueError:
        problems.append(FieldProblem("tlp", f"tlp must be one of: {', '.join(TLP_LEVELS)}"))
    _raise(problems)
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
    notices.to_users(
        uow,
        row,
        _in_audience(uow, after, added),
        "finding_named",
        f"{row.title}: you were named as a recipient of a {label.value} finding",
        f"named:{finding.id}:{uow.clock.now().isoformat()}",
        finding_link(row.id, finding.id),
    )
    audit.record(
        uow,
        principal,
        "engagements:finding:relabelled",
        target_type="finding",
        target_id=finding.id,
        details={"from": previous, "to": label.value, "recipients": sorted(str(u.id) for u in named)},
    )
    return _view(uow, principal, finding, after)


@dataclass(frozen=True)
class RecipientChoice:
    """Someone a finder may name: an active member of the developer, the program office or the finder's organization."""

    user_id: uuid.UUID
    email: str
    organization_name: str


def _choices(uow: UnitOfWork, row: Engagement, finder_org_id: uuid.UUID) -> list[RecipientChoice]:
    orgs = {row.developer_org_id, finder_org_id}
    orgs |= set(uow.session.scalars(select(Organization.id).where(Organization.kind == OrgKind.PROGRAM_OFFICE.value)))
    users = uow.session.scalars(select(User).where(User.organization_id.in_(orgs), User.is_active.is_(True)).order_by(User.email))
    return [RecipientChoice(u.id, u.email, _org_name(uow, u.organization_id)) for u in users]


def recipient_choices(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[RecipientChoice]:
    """Whom ``principal`` may name on a finding it files: people of the developer, the program
    office and its own organization. Only those who may file learn the names (``PermissionDenied``)."""
    row = service.load_for(uow, principal, engagement_id, Permission.FINDING_FILE)
    assert principal.org_id is not None  # the rule admits participants' members only
    return [c for c in _choices(uow, row, principal.org_id) if c.user_id != principal.user_id]


def relabel_choices(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> list[RecipientChoice]:
    """Whom a relabelling may name on this finding (for the form); ``NotFound`` outside its audience."""
    finding, row, _ = _readable(uow, principal, finding_id)
    return _choices(uow, row, finding.organization_id)


def comment(
    uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID, *, body: str, status: FindingStatus | str | None = None
) -> FindingView:
    """Add to the finding's thread; the developer may set the status with it (the body may then
    be empty). The finder's organization and the program office comment but never set the
    status. The other side is notified: the finder's organization when the developer writes,
    the developer when anyone else does (and the finder's organization when the program
    office does). Comments are allowed after the engagement closes: findings outlive it."""
    finding, row, fref = _readable(uow, principal, finding_id)
    authorize(uow, principal, Permission.FINDING_COMMENT, fref)
    if status is not None:
        authorize(uow, principal, Permission.FINDING_SET_STATUS, fref)
    problems: list[FieldProblem] = []
    new_status = _choice(FindingStatus, status, "status", problems) if status is not None else None
    text = body.strip()
    if len(text) > MAX_COMMENT:
        problems.append(FieldProblem("body", f"a comment has at most {MAX_COMMENT} characters"))
    changed = new_status if new_status is not None and new_status.value != finding.status else None
    if not text and changed is None:
        problems.append(FieldProblem("body", "write a comment"))
    _raise(problems)
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
        "engagements:finding:status_set" if changed else "engagements:finding:commented",
        target_type="finding",
        target_id=finding.id,
        details={"comment": str(note.id), **({"from": previous, "to": changed.value} if changed else {})},
    )
    key = f"comment:{note.id}"
    if principal.is_member_of(row.developer_org_id):
        what = f"the developer set a finding to {changed.value}" if changed else "the developer answered a finding"
        _notify_org(uow, row, fref, finding.organization_id, "finding_answered", f"{row.title}: {what}", key)
    else:
        said = f"{row.title}: {_org_name(uow, principal.org_id)} commented on a finding"
        _notify_org(uow, row, fref, row.developer_org_id, "finding_comment", said, key)
        if not principal.is_member_of(finding.organization_id):
            _notify_org(uow, row, fref, finding.organization_id, "finding_comment", said, key)
    return _view(uow, principal, finding, fref)


def attach_evidence(
    uow: UnitOfWork,
    principal: Principal,
    finding_id: uuid.UUID,
    *,
    filename: str,
    content_type: str | None,
    stream: BinaryIO | Iterable[bytes],
) -> EvidenceView:
    """Attach an evidence file (sealed in chunks, within ``artifact_max_bytes``): the finder's
    organization only, while it may still file findings."""
    finding, row, fref = _readable(uow, principal, finding_id)
    target = ("finding", str(finding.id))
    authorize(uow, principal, Permission.FINDING_ATTACH_EVIDENCE, fref)
    _still_open(uow, principal, row, Permission.FINDING_ATTACH_EVIDENCE, target)
    name = clean_filename(filename)
    ctype = clean_content_type(content_type)
    evidence_id = new_id()
    stored = store_chunks(uow, evidence_id, stream, limit=uow.settings.artifact_max_bytes)
    now = uow.clock.now()
    evidence = FindingEvidence(
        id=evidence_id,
        finding_id=finding.id,
        filename=name,
        content_type=ctype,
        size=stored.size,
        sha256=stored.sha256,
        chunks=stored.chunks,
        uploaded_by=principal.label,
        uploaded_at=now,
    )
    uow.session.add(evidence)
    finding.updated_at = now
    uow.session.flush()
    audit.record(
        uow,
        principal,
        "engagements:finding:evidence_attached",
        target_type="finding",
        target_id=finding.id,
        details={"evidence": str(evidence.id), "size": stored.size, "sha256": stored.sha256},
    )
    return _evidence_view(evidence)


def evidence_download(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID, evidence_id: uuid.UUID) -> EvidenceDownload:
    """An evidence file for anyone who may read the finding; each download is audited (in this
    transaction: commit before streaming ``chunks``)."""
    finding, _, _ = _readable(uow, principal, finding_id)
    evidence = uow.session.get(FindingEvidence, evidence_id)
    if evidence is None or evidence.finding_id != finding.id:
        raise NotFound(f"evidence {evidence_id} not found on this finding")
    audit.record(
        uow,
        principal,
        "engagements:finding:evidence_downloaded",
        target_type="finding",
        target_id=finding.id,
        details={"evidence": str(evidence.id), "sha256": evidence.sha256},
    )
    return EvidenceDownload(_evidence_view(evidence), iter_chunks(uow, evidence.id, evidence.chunks))
