"""Loading findings for the rules, and the views adapters show.

:func:`get_readable` is the one way a use case gets a finding: outside its TLP audience a
finding does not exist for the caller (the refusal is still audited), so a TLP:RED finding's
title or existence never leaks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.findings.domain import CATEGORY_LABELS, Category, FindingStatus, Severity, Tlp
from frontier_review.engagements.findings.orm import Finding, FindingComment, FindingRecipient
from frontier_review.engagements.findings.policy import FindingRef, Relabel
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.engagements.lifecycle.policy import EngagementRef
from frontier_review.engagements.lifecycle.views import get_ref, get_row, org_name
from frontier_review.engagements.materials import evidence as evidence_store
from frontier_review.engagements.materials.evidence import EvidenceView
from frontier_review.identity import directory
from frontier_review.kernel.errors import NotFound, PermissionDenied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide
from frontier_review.security import service as security


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
        """The category as the UI names it."""
        return CATEGORY_LABELS[self.category]


@dataclass(frozen=True)
class RecipientView:
    """A person named on a finding (TLP:RED's audience besides the filer)."""

    user_id: uuid.UUID
    email: str
    organization_name: str


@dataclass(frozen=True)
class CommentView:
    """One message of a finding's thread, decrypted."""

    id: uuid.UUID
    author: str
    author_org_id: uuid.UUID | None
    author_org_name: str
    body: str
    status_to: FindingStatus | None
    created_at: datetime


@dataclass(frozen=True)
class FindingView(FindingSummary):
    """A finding as one reader may see it.

    Description and thread decrypted, plus what the reader may do next (for buttons; the
    services check again).
    """

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


@dataclass(frozen=True)
class RecipientChoice:
    """Someone a finder may name: an active member of the developer, the program office or the finder's organization."""

    user_id: uuid.UUID
    email: str
    organization_name: str


def recipient_ids(uow: UnitOfWork, finding_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The people named on a finding."""
    return frozenset(uow.session.scalars(select(FindingRecipient.user_id).where(FindingRecipient.finding_id == finding_id)))


def finding_ref(uow: UnitOfWork, finding: Finding, row: Engagement, eref: EngagementRef | None = None) -> FindingRef:
    """The finding as the rules see it (its engagement's parties, label, recipients, filer)."""
    return FindingRef(
        engagement=eref or get_ref(uow, row),
        id=finding.id,
        finder_org_id=finding.organization_id,
        tlp=finding.tlp,
        recipients=recipient_ids(uow, finding.id),
        filer_user_id=finding.filed_by_user_id,
    )


def get_readable(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> tuple[Finding, Engagement, FindingRef]:
    """The finding, if ``principal`` is in its TLP audience.

    Raises:
        NotFound: No such finding, or one outside the caller's audience (the refusal is audited).
    """
    finding = uow.session.get(Finding, finding_id)
    if finding is None:
        raise NotFound(f"finding {finding_id} not found")
    row = get_row(uow, finding.engagement_id)
    fref = finding_ref(uow, finding, row)
    try:
        authorize(uow, principal, Permission.FINDING_READ, fref)
    except PermissionDenied:
        raise NotFound(f"finding {finding_id} not found") from None
    return finding, row, fref


def summary(uow: UnitOfWork, f: Finding) -> FindingSummary:
    """A finding in a list (call only for a reader in its audience)."""
    comments = uow.session.scalar(select(func.count()).select_from(FindingComment).where(FindingComment.finding_id == f.id))
    return FindingSummary(
        id=f.id,
        engagement_id=f.engagement_id,
        title=f.title,
        category=Category(f.category),
        severity=Severity(f.severity),
        tlp=Tlp(f.tlp),
        status=FindingStatus(f.status),
        finder_org_id=f.organization_id,
        finder_org_name=org_name(uow, f.organization_id),
        filed_by=f.filed_by,
        filed_at=f.filed_at,
        updated_at=f.updated_at,
        comments=int(comments or 0),
        evidence=evidence_store.count_evidence(uow, f.id),
    )


def finding_view(uow: UnitOfWork, principal: Principal, f: Finding, fref: FindingRef) -> FindingView:
    """The full finding; call only after the reader was authorized."""
    description = security.open_field(
        uow.session, uow.keyring, f.description_sealed, table="findings", row_id=str(f.id), field="description_sealed"
    ).decode()
    thread = tuple(
        CommentView(
            id=c.id,
            author=c.author,
            author_org_id=c.author_org_id,
            author_org_name=org_name(uow, c.author_org_id),
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
    recipients = tuple(
        RecipientView(p.id, p.email, org_name(uow, p.organization_id))
        for p in directory.list_people(uow, recipient_ids(uow, f.id))  # ordered by address
    )
    now = uow.clock.now()
    s = summary(uow, f)
    # Relabelling is offered to whoever may tighten it one step at least (the finder may also relax).
    tighter = Tlp.RED.value if f.tlp != Tlp.RED.value else f.tlp
    return FindingView(
        **{name: getattr(s, name) for name in FindingSummary.__dataclass_fields__},
        description=description,
        thread=thread,
        evidence_files=tuple(evidence_store.list_evidence(uow, f.id)),
        recipients=recipients,
        may_comment=decide(uow, principal, Permission.FINDING_COMMENT, fref, now).allowed,
        may_set_status=decide(uow, principal, Permission.FINDING_SET_STATUS, fref, now).allowed,
        may_attach_evidence=decide(uow, principal, Permission.FINDING_ATTACH_EVIDENCE, fref, now).allowed,
        may_relabel=decide(uow, principal, Permission.FINDING_RELABEL, Relabel(fref, tighter), now).allowed,
    )
