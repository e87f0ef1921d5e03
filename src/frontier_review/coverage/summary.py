"""What a home page shows of coverage inquiries: the program office's queue, or a developer's pending questions.

Bounded reads (a fixed number of queries); each inquiry shown or counted passed the rule the
inquiry page asks, ``COVERAGE_READ`` on its owner (:func:`.policy.owner_or_oversight`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from frontier_review.coverage.inquiries import ACTIVE, InquiryStatus
from frontier_review.coverage.orm import Inquiry
from frontier_review.coverage.policy import VersionOwner
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide
from frontier_review.registry import summary as registry_summary

__all__ = ["PendingInquiries", "PendingInquiry", "pending_inquiries"]


@dataclass(frozen=True)
class PendingInquiry:
    """An inquiry still being worked, as a list shows it."""

    id: uuid.UUID
    version_display: str
    organization_name: str
    status: InquiryStatus
    assignee: str | None
    filed_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PendingInquiries:
    """Inquiries not yet decided or withdrawn.

    Attributes:
        queue: True for the program office (it works every inquiry), False for a developer (its own).
        counts: how many of each active status (``open`` is unassigned).
        items: for the program office, the unassigned ones, oldest first; for a developer, its
            own, those waiting for its answer first. At most the limit.
        more: how many the limit left out.
        assigned_to_me: the program office only: those assigned to the reader, oldest first.
    """

    queue: bool
    counts: dict[InquiryStatus, int]
    items: tuple[PendingInquiry, ...]
    more: int
    assigned_to_me: tuple[PendingInquiry, ...] = field(default_factory=tuple)


def _owner(inquiry: Inquiry) -> VersionOwner:
    return VersionOwner(inquiry.organization_id, str(inquiry.id), "coverage_inquiry")


def pending_inquiries(uow: UnitOfWork, principal: Principal, *, limit: int = 10) -> PendingInquiries:
    """The active inquiries ``principal`` works (program office) or asked (developer)."""
    now = uow.clock.now()
    queue = decide(uow, principal, Permission.COVERAGE_INQUIRY_WORK, None, now).allowed
    counts = dict.fromkeys((InquiryStatus.OPEN, InquiryStatus.ASSIGNED, InquiryStatus.NEEDS_INFORMATION), 0)
    stmt = select(Inquiry).where(Inquiry.status.in_([s.value for s in ACTIVE])).order_by(Inquiry.filed_at)
    if not queue:
        if principal.org_id is None:
            return PendingInquiries(queue, counts, (), 0)
        stmt = stmt.where(Inquiry.organization_id == principal.org_id)
    rows = [i for i in uow.session.scalars(stmt) if decide(uow, principal, Permission.COVERAGE_READ, _owner(i), now).allowed]
    for i in rows:
        counts[InquiryStatus(i.status)] += 1
    if queue:
        chosen = [i for i in rows if i.status == InquiryStatus.OPEN.value]
        mine = [i for i in rows if i.status != InquiryStatus.OPEN.value and i.assignee_id == principal.user_id][:limit]
    else:
        # Those waiting for the developer's answer first.
        chosen = sorted(rows, key=lambda i: (i.status != InquiryStatus.NEEDS_INFORMATION.value, i.filed_at))
        mine = []
    shown = chosen[:limit]
    views = registry_summary.version_refs(uow, {i.model_version_id for i in [*shown, *mine]})
    names = directory.organization_names(uow, {i.organization_id for i in [*shown, *mine]})

    def card(i: Inquiry) -> PendingInquiry:
        version = views.get(i.model_version_id)
        return PendingInquiry(
            id=i.id,
            version_display=version.display if version is not None else "?",
            organization_name=names.get(i.organization_id, "?"),
            status=InquiryStatus(i.status),
            assignee=i.assignee_label,
            filed_at=i.filed_at,
            updated_at=i.updated_at,
        )

    return PendingInquiries(
        queue=queue,
        counts=counts,
        items=tuple(card(i) for i in shown),
        more=len(chosen) - len(shown),
        assigned_to_me=tuple(card(i) for i in mine),
    )
