"""Coverage inquiries: a developer asks, the program office works the queue and decides.

Every step is audited, recorded in the inquiry's thread and notified in-app to the other side.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from frontier_review.audit import service as audit
from frontier_review.coverage import determinations, previews
from frontier_review.coverage.orm import BenchmarkResult, Inquiry, InquiryEvent
from frontier_review.coverage.policy import VersionOwner
from frontier_review.coverage.tags import CoverageTag
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.errors import Conflict, InvalidTransition, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.notifications import service as notifications
from frontier_review.policies import authorize_visible, decide
from frontier_review.registry import service as registry

__all__ = [
    "EventView",
    "InquiryStatus",
    "InquiryView",
    "assign",
    "attach_results",
    "decide_inquiry",
    "file_inquiry",
    "get_inquiry",
    "list_inquiries",
    "preview_decision",
    "request_information",
    "respond",
    "withdraw",
]


class InquiryStatus(StrEnum):
    """Where an inquiry stands."""

    OPEN = "open"
    ASSIGNED = "assigned"
    NEEDS_INFORMATION = "needs_information"
    DECIDED = "decided"
    WITHDRAWN = "withdrawn"


ACTIVE = {InquiryStatus.OPEN, InquiryStatus.ASSIGNED, InquiryStatus.NEEDS_INFORMATION}


@dataclass(frozen=True)
class EventView:
    """One step of an inquiry's thread."""

    kind: str
    actor: str
    body: str
    data: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class InquiryView:
    """An inquiry as adapters show it; ``events`` is empty in lists."""

    id: uuid.UUID
    model_version_id: uuid.UUID
    version_display: str
    organization_id: uuid.UUID
    organization_name: str
    question: str
    status: InquiryStatus
    assignee: str | None
    determination_id: uuid.UUID | None
    filed_by: str
    filed_at: datetime
    updated_at: datetime
    version: int
    events: tuple[EventView, ...] = ()


def _text(value: str, field: str, *, required: bool = True, limit: int = 10_000) -> str:
    clean = value.strip()
    if required and not clean:
        raise ValidationFailed(f"{field} must not be empty", field=field)
    if len(clean) > limit:
        raise ValidationFailed(f"{field} must have at most {limit} characters", field=field)
    try:
        clean.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationFailed(f"{field} contains characters that are not valid text", field=field) from exc
    return clean


def _view(uow: UnitOfWork, inquiry: Inquiry, *, with_events: bool) -> InquiryView:
    version = registry.get_version_ref(uow, inquiry.model_version_id)
    org = directory.find_organization(uow, inquiry.organization_id)
    events: tuple[EventView, ...] = ()
    if with_events:
        rows = uow.session.scalars(
            select(InquiryEvent).where(InquiryEvent.inquiry_id == inquiry.id).order_by(InquiryEvent.position)
        )
        events = tuple(EventView(e.kind, e.actor_label, e.body, e.data, e.at) for e in rows)
    return InquiryView(
        id=inquiry.id,
        model_version_id=version.id,
        version_display=version.display,
        organization_id=inquiry.organization_id,
        organization_name=org.name if org else "?",
        question=inquiry.question,
        status=InquiryStatus(inquiry.status),
        assignee=inquiry.assignee_label,
        determination_id=inquiry.determination_id,
        filed_by=inquiry.filed_by,
        filed_at=inquiry.filed_at,
        updated_at=inquiry.updated_at,
        version=inquiry.version,
        events=events,
    )


def _event(uow: UnitOfWork, principal: Principal, inquiry: Inquiry, tag: CoverageTag, body: str = "", **data: Any) -> None:
    now = uow.clock.now()
    position = (
        uow.session.scalar(select(func.count()).select_from(InquiryEvent).where(InquiryEvent.inquiry_id == inquiry.id)) or 0
    )
    uow.session.add(
        InquiryEvent(
            id=new_id(),
            position=position + 1,
            inquiry_id=inquiry.id,
            kind=tag.inquiry_event_kind,
            actor_label=principal.label,
            actor_org_id=principal.org_id,
            body=body,
            data={k: str(v) for k, v in data.items()},
            at=now,
        )
    )
    inquiry.updated_at = now
    audit.record(
        uow,
        principal,
        tag,
        target_type="coverage_inquiry",
        target_id=inquiry.id,
        details={k: str(v) for k, v in data.items()},
    )


def _notify_program_office(uow: UnitOfWork, principal: Principal, inquiry: Inquiry, title: str) -> None:
    offices = directory.list_organization_ids(uow, OrgKind.PROGRAM_OFFICE)
    notifications.notify(
        uow,
        directory.list_members(uow, offices),
        kind="coverage_inquiry",
        title=title,
        link=f"/coverage/inquiries/{inquiry.id}",
        exclude=principal.user_id,
    )


def _notify_developer(uow: UnitOfWork, principal: Principal, inquiry: Inquiry, title: str) -> None:
    notifications.notify(
        uow,
        directory.list_members(uow, inquiry.organization_id),
        kind="coverage_inquiry",
        title=title,
        link=f"/coverage/inquiries/{inquiry.id}",
        exclude=principal.user_id,
    )


def _load(
    uow: UnitOfWork, principal: Principal, permission: Permission, inquiry_id: uuid.UUID, expected_version: int | None
) -> Inquiry:
    """The inquiry, once ``principal`` may act on it.

    One the caller may not see is ``NotFound`` like a missing one, and the stale-version check
    waits until then, so that neither answer confirms the inquiry exists.
    """
    missing = f"inquiry {inquiry_id} not found"
    inquiry = uow.session.get(Inquiry, inquiry_id)
    if inquiry is None:
        raise NotFound(missing)
    authorize_visible(uow, principal, permission, _owner(inquiry), not_found=missing, read=Permission.COVERAGE_READ)
    if expected_version is not None and expected_version != inquiry.version:
        raise Conflict("the inquiry changed since you loaded it; reload and try again", field="version")
    return inquiry


def _owner(inquiry: Inquiry) -> VersionOwner:
    return VersionOwner(inquiry.organization_id, str(inquiry.id), "coverage_inquiry")


def _require_active(inquiry: Inquiry) -> None:
    if InquiryStatus(inquiry.status) not in ACTIVE:
        raise InvalidTransition(f"the inquiry is {inquiry.status}")


def file_inquiry(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, *, question: str) -> InquiryView:
    """A developer asks whether its version (released or not) is a covered frontier model."""
    version = registry.get_version_ref(uow, version_id)
    authorize_visible(
        uow,
        principal,
        Permission.COVERAGE_INQUIRY_FILE,
        VersionOwner(version.organization_id, str(version.id)),
        not_found=registry.version_missing(version_id),
        read=Permission.COVERAGE_READ,
    )
    text = _text(question, "question")
    open_one = uow.session.scalar(
        select(Inquiry.id).where(Inquiry.model_version_id == version.id, Inquiry.status.in_([s.value for s in ACTIVE]))
    )
    if open_one is not None:
        raise Conflict("this version already has an open inquiry", field="model_version_id")
    now = uow.clock.now()
    inquiry = Inquiry(
        id=new_id(),
        model_version_id=version.id,
        organization_id=version.organization_id,
        question=text,
        status=InquiryStatus.OPEN.value,
        filed_by=principal.label,
        filed_at=now,
        updated_at=now,
    )
    uow.session.add(inquiry)
    uow.session.flush()
    _event(uow, principal, inquiry, CoverageTag.INQUIRY_FILED, text)
    _notify_program_office(uow, principal, inquiry, f"New coverage inquiry: {version.model_name} {version.label}")
    return _view(uow, inquiry, with_events=True)


def list_inquiries(uow: UnitOfWork, principal: Principal, *, status: InquiryStatus | None = None) -> list[InquiryView]:
    """The program office's queue (every inquiry), or a developer's own inquiries."""
    stmt = select(Inquiry).order_by(Inquiry.filed_at.desc())
    if not decide(uow, principal, Permission.COVERAGE_INQUIRY_WORK, None, uow.clock.now()).allowed and not principal.is_superuser:
        if principal.org_id is None:
            return []
        stmt = stmt.where(Inquiry.organization_id == principal.org_id)
    if status is not None:
        stmt = stmt.where(Inquiry.status == status.value)
    return [_view(uow, i, with_events=False) for i in uow.session.scalars(stmt)]


def get_inquiry(uow: UnitOfWork, principal: Principal, inquiry_id: uuid.UUID) -> InquiryView:
    """One inquiry with its thread; ``NotFound`` for one the principal may not see, as for a missing one."""
    inquiry = _load(uow, principal, Permission.COVERAGE_READ, inquiry_id, None)
    return _view(uow, inquiry, with_events=True)


def assign(
    uow: UnitOfWork,
    principal: Principal,
    inquiry_id: uuid.UUID,
    *,
    assignee_id: uuid.UUID | None = None,
    expected_version: int | None = None,
) -> InquiryView:
    """Assign an inquiry to a program-office member (oneself by default)."""
    inquiry = _load(uow, principal, Permission.COVERAGE_INQUIRY_WORK, inquiry_id, expected_version)
    _require_active(inquiry)
    target_id = assignee_id or principal.user_id
    user = directory.find_person(uow, target_id) if target_id else None
    org = directory.find_organization(uow, user.organization_id) if user and user.organization_id else None
    if user is None or org is None or org.kind is not OrgKind.PROGRAM_OFFICE or not user.is_active:
        raise ValidationFailed("the assignee must be an active program-office member", field="assignee_id")
    inquiry.assignee_id, inquiry.assignee_label = user.id, user.email
    if inquiry.status == InquiryStatus.OPEN.value:
        inquiry.status = InquiryStatus.ASSIGNED.value
    _event(uow, principal, inquiry, CoverageTag.INQUIRY_ASSIGNED, assignee=user.email)
    return _view(uow, inquiry, with_events=True)


def request_information(
    uow: UnitOfWork, principal: Principal, inquiry_id: uuid.UUID, *, message: str, expected_version: int | None = None
) -> InquiryView:
    """Ask the developer for more facts; the inquiry waits for their answer."""
    inquiry = _load(uow, principal, Permission.COVERAGE_INQUIRY_WORK, inquiry_id, expected_version)
    _require_active(inquiry)
    text = _text(message, "message")
    inquiry.status = InquiryStatus.NEEDS_INFORMATION.value
    _event(uow, principal, inquiry, CoverageTag.INQUIRY_INFORMATION_REQUESTED, text)
    _notify_developer(uow, principal, inquiry, "The program office asks for more information on your coverage inquiry")
    return _view(uow, inquiry, with_events=True)


def respond(
    uow: UnitOfWork, principal: Principal, inquiry_id: uuid.UUID, *, message: str, expected_version: int | None = None
) -> InquiryView:
    """The developer answers (typically after declaring more facts on the version)."""
    inquiry = _load(uow, principal, Permission.COVERAGE_INQUIRY_RESPOND, inquiry_id, expected_version)
    _require_active(inquiry)
    text = _text(message, "message")
    inquiry.status = (InquiryStatus.ASSIGNED if inquiry.assignee_id else InquiryStatus.OPEN).value
    _event(uow, principal, inquiry, CoverageTag.INQUIRY_RESPONDED, text)
    _notify_program_office(uow, principal, inquiry, "A developer answered on a coverage inquiry")
    return _view(uow, inquiry, with_events=True)


def attach_results(uow: UnitOfWork, principal: Principal, inquiry_id: uuid.UUID, *, result_ids: list[uuid.UUID]) -> InquiryView:
    """Record which benchmark results the program office weighed (program-office side of the thread)."""
    inquiry = _load(uow, principal, Permission.COVERAGE_INQUIRY_WORK, inquiry_id, None)
    _require_active(inquiry)
    if not result_ids:
        raise ValidationFailed("attach at least one result", field="result_ids")
    for rid in result_ids:
        row = uow.session.get(BenchmarkResult, rid)
        if row is None or row.model_version_id != inquiry.model_version_id:
            raise ValidationFailed(f"result {rid} is not a result of this inquiry's version", field="result_ids")
    _event(uow, principal, inquiry, CoverageTag.INQUIRY_RESULTS_ATTACHED, results=",".join(str(r) for r in result_ids))
    return _view(uow, inquiry, with_events=True)


def preview_decision(
    uow: UnitOfWork, principal: Principal, inquiry_id: uuid.UUID, *, policy_ref: str, rationale: str
) -> tuple[InquiryView, previews.DecisionPreview]:
    """What deciding the inquiry under ``policy_ref`` would record; nothing is recorded.

    The web's decide step: a policy must be chosen and a rationale written
    (:func:`~frontier_review.coverage.previews.check_choice`), then the outcome and its trace are
    shown for confirmation.

    Raises:
        ValidationFailed: No policy chosen, or no rationale (fields ``policy`` and ``rationale``).
    """
    inquiry = _load(uow, principal, Permission.COVERAGE_INQUIRY_WORK, inquiry_id, None)
    _require_active(inquiry)
    preview = previews.preview_determination(uow, principal, inquiry.model_version_id, policy_ref=policy_ref, rationale=rationale)
    return _view(uow, inquiry, with_events=False), preview


def decide_inquiry(
    uow: UnitOfWork,
    principal: Principal,
    inquiry_id: uuid.UUID,
    *,
    policy_ref: str,
    rationale: str,
    expected_version: int | None = None,
    expected_inputs: str | None = None,
) -> InquiryView:
    """Answer with a determination under ``policy_ref``; the developer is notified.

    ``expected_inputs`` binds the decision to a preview (see :mod:`frontier_review.coverage.previews`).
    The developer is owed the why: from any interface, an answer without a rationale is refused
    (:func:`~frontier_review.coverage.previews.check_choice`).

    Raises:
        ValidationFailed: No policy or no rationale (fields ``policy`` and ``rationale``).
    """
    inquiry = _load(uow, principal, Permission.COVERAGE_INQUIRY_WORK, inquiry_id, expected_version)
    _require_active(inquiry)
    previews.check_choice(policy_ref, rationale)
    det = determinations.record_determination(
        uow,
        principal,
        inquiry.model_version_id,
        policy_ref=policy_ref,
        rationale=rationale,
        inquiry_id=inquiry.id,
        expected_inputs=expected_inputs,
    )
    inquiry.status = InquiryStatus.DECIDED.value
    inquiry.determination_id = det.id
    _event(
        uow,
        principal,
        inquiry,
        CoverageTag.INQUIRY_DECIDED,
        det.rationale,
        outcome=det.outcome.value,
        policy=det.policy_ref,
        determination=det.id,
    )
    _notify_developer(uow, principal, inquiry, f"Your coverage inquiry was decided: {det.outcome.value.replace('_', ' ')}")
    return _view(uow, inquiry, with_events=True)


def withdraw(uow: UnitOfWork, principal: Principal, inquiry_id: uuid.UUID) -> InquiryView:
    """The developer withdraws its question."""
    inquiry = _load(uow, principal, Permission.COVERAGE_INQUIRY_RESPOND, inquiry_id, None)
    _require_active(inquiry)
    inquiry.status = InquiryStatus.WITHDRAWN.value
    _event(uow, principal, inquiry, CoverageTag.INQUIRY_WITHDRAWN)
    _notify_program_office(uow, principal, inquiry, "A coverage inquiry was withdrawn")
    return _view(uow, inquiry, with_events=True)
