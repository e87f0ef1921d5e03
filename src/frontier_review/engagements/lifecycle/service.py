"""Engagement use cases: open, terms, window, offer, acceptance, close, and reading them (G2, G3, G6).

Each function is one transaction's worth of work: the authorization check, the change, its
audit entry and its notices (written in the same transaction, delivered after commit).
Participants (invitations, quotas, revocations) are in :mod:`.participants`; what closes an
engagement without the developer (release, the clock) in :mod:`.closing`.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access import upstreams
from frontier_review.engagements.lifecycle import browse, closing, notices, versions
from frontier_review.engagements.lifecycle.domain import (
    ClosedReason,
    EngagementState,
    Materials,
    Protections,
    Quotas,
    Recipients,
    Window,
    check_new_window,
    check_partners_from,
    check_terms,
    check_title,
    next_state,
    reason_details,
    shared_variants,
)
from frontier_review.engagements.lifecycle.orm import Engagement, Participant, TermsAcceptance, TermsVersion
from frontier_review.engagements.lifecycle.views import (
    EngagementView,
    check_open_for_change,
    engagement_view,
    get_ref,
    get_row_for,
    org_name,
)
from frontier_review.engagements.tags import EngagementTag
from frontier_review.kernel.errors import Conflict, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide
from frontier_review.registry.domain import VersionStatus


def _add_terms(
    uow: UnitOfWork, principal: Principal, row: Engagement, number: int, terms: tuple[Materials, Protections, Quotas], note: str
) -> None:
    materials, protections, quotas = terms
    uow.session.add(
        TermsVersion(
            id=new_id(),
            engagement_id=row.id,
            number=number,
            materials=dataclasses.asdict(materials),
            protections=dataclasses.asdict(protections),
            default_quotas=dataclasses.asdict(quotas),
            note=note.strip()[:2000],
            created_by=principal.label,
            created_at=uow.clock.now(),
        )
    )


def open_engagement(
    uow: UnitOfWork,
    principal: Principal,
    *,
    version_id: uuid.UUID,
    title: str,
    window: Window,
    recipients: Recipients,
    materials: Materials,
    protections: Protections,
    quotas: Quotas,
    partners_from: datetime | None = None,
) -> EngagementView:
    """Open a draft engagement for one of the developer's own prerelease versions.

    Raises:
        NotFound: The version does not exist or the caller may not see it.
        PermissionDenied: The caller is not the model's developer.
        ValidationFailed: The version is no longer a prerelease, or a field (title, window, terms) is out of bounds.
    """
    version = versions.get_visible_version(uow, principal, version_id)
    authorize(uow, principal, Permission.ENGAGEMENT_OPEN, version.organization_id)
    if version.status != VersionStatus.PRERELEASE.value:
        raise ValidationFailed(f"{version.display} is already {version.status}", field="version_id")
    clean_title = check_title(title)
    window.check()
    start_partners = check_partners_from(window, recipients, partners_from)
    check_terms(materials, protections, quotas)
    now = uow.clock.now()
    row = Engagement(
        id=new_id(),
        model_version_id=version.id,
        developer_org_id=version.organization_id,
        title=clean_title,
        state=EngagementState.DRAFT.value,
        window_start=window.start,
        window_end=window.end,
        recipients=recipients.value,
        partners_from=start_partners,
        current_terms=1,
        created_by=principal.label,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    _add_terms(uow, principal, row, 1, (materials, protections, quotas), "first version")
    uow.session.flush()
    audit.record(
        uow,
        principal,
        EngagementTag.ENGAGEMENT_OPENED,
        target_type="engagement",
        target_id=row.id,
        details={"version": str(version.id), "window_start": window.start.isoformat(), "window_end": window.end.isoformat()},
    )
    return engagement_view(uow, row, principal)


def manage(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> Engagement:
    """The engagement, once ``principal`` may manage it (the developer)."""
    return get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_MANAGE)


def change_terms(
    uow: UnitOfWork,
    principal: Principal,
    engagement_id: uuid.UUID,
    *,
    materials: Materials,
    protections: Protections,
    quotas: Quotas,
    note: str = "",
) -> EngagementView:
    """A new terms version; every participant must accept it again before further access.

    Upstreams of variants the new terms no longer share are removed at once (their sealed URL
    and key with them): the gateway cannot reach what the terms do not cover, even after the
    participants accept (item 8 of issue 10).
    """
    row = manage(uow, principal, engagement_id)
    check_open_for_change(uow, row)
    check_terms(materials, protections, quotas)
    number = row.current_terms + 1
    _add_terms(uow, principal, row, number, (materials, protections, quotas), note)
    row.current_terms = number
    closing.bump(row)
    dropped = upstreams.drop_uncovered(uow, row.id, shared_variants(materials))
    uow.session.flush()
    audit.record(
        uow, principal, EngagementTag.TERMS_CHANGED, target_type="engagement", target_id=row.id, details={"terms": number}
    )
    for variant in dropped:
        audit.record(
            uow,
            principal,
            EngagementTag.UPSTREAM_REMOVED,
            target_type="engagement",
            target_id=row.id,
            details={"variant": variant, "because": f"terms version {number} does not share it"},
        )
    if row.state != EngagementState.DRAFT.value:
        notices.to_participants(uow, row, "terms_changed", f"{row.title}: terms changed (version {number}); accept them again")
    return engagement_view(uow, row, principal)


def set_window(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, window_end: datetime, window_start: datetime | None = None
) -> EngagementView:
    """Extend or shorten the window (G3: never beyond 30 days in total); the start moves only in a draft."""
    row = manage(uow, principal, engagement_id)
    state = check_open_for_change(uow, row)
    moved = window_start is not None and window_start != row.window_start
    window = Window(window_start if moved and window_start is not None else row.window_start, window_end)
    check_new_window(window, offered=state is not EngagementState.DRAFT, start_moved=moved, now=uow.clock.now())
    row.partners_from = check_partners_from(window, Recipients(row.recipients), row.partners_from or None)
    previous = row.window_end
    row.window_start, row.window_end = window.start, window.end
    closing.bump(row)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        EngagementTag.WINDOW_CHANGED,
        target_type="engagement",
        target_id=row.id,
        details={"from_end": previous.isoformat(), "to_end": window_end.isoformat()},
    )
    return engagement_view(uow, row, principal)


def offer(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> EngagementView:
    """Offer the draft to its participants (they are notified and may accept the terms)."""
    row = manage(uow, principal, engagement_id)
    next_state(EngagementState(row.state), EngagementState.OFFERED)
    if versions.version_status(uow, row.model_version_id) != VersionStatus.PRERELEASE.value:
        raise ValidationFailed("the model version is no longer a prerelease", field="engagement")
    if uow.clock.now() >= row.window_end:
        raise ValidationFailed("the window has already ended; set a new window first", field="window_end")
    orgs = list(uow.session.scalars(select(Participant.organization_id).where(Participant.engagement_id == row.id)))
    if not orgs:
        raise ValidationFailed("invite at least one agency or trusted partner before offering", field="participants")
    row.state = EngagementState.OFFERED.value
    row.offered_at = uow.clock.now()
    closing.bump(row)
    uow.session.flush()
    audit.record(uow, principal, EngagementTag.ENGAGEMENT_OFFERED, target_type="engagement", target_id=row.id)
    for org_id in orgs:
        notices.offer(uow, row, org_id)
    return engagement_view(uow, row, principal)


def accept_terms(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, terms_number: int) -> EngagementView:
    """A participant's admin accepts one specific terms version for the whole organization.

    Raises:
        Conflict: ``terms_number`` is not the current version.
    """
    row = get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_ACCEPT_TERMS)
    check_open_for_change(uow, row)
    if terms_number != row.current_terms:
        raise Conflict(f"the current terms are version {row.current_terms}; read and accept that version", field="terms_number")
    part = uow.session.scalar(
        select(Participant).where(Participant.engagement_id == row.id, Participant.organization_id == principal.org_id)
    )
    assert part is not None  # the rule admitted a participant
    now = uow.clock.now()
    part.accepted_terms, part.accepted_by, part.accepted_at = terms_number, principal.label, now
    uow.session.add(
        TermsAcceptance(
            id=new_id(), participant_id=part.id, terms_number=terms_number, accepted_by=principal.label, accepted_at=now
        )
    )
    closing.bump(row)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        EngagementTag.TERMS_ACCEPTED,
        target_type="engagement",
        target_id=row.id,
        details={"terms": terms_number, "organization": str(part.organization_id)},
    )
    notices.to_developer(
        uow, row, "terms_accepted", f"{row.title}: {org_name(uow, part.organization_id)} accepted terms v{terms_number}"
    )
    return engagement_view(uow, row, principal)


def close(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, reason: str = "") -> EngagementView:
    """The developer ends the engagement now (recorded as withdrawn). Always succeeds.

    ``reason``, when given, is recorded in the audit entry.
    """
    row = manage(uow, principal, engagement_id)
    details = reason_details(reason)
    if row.state != EngagementState.CLOSED.value:
        closing.close_row(uow, row, ClosedReason.WITHDRAWN)
        audit.record(
            uow, principal, EngagementTag.ENGAGEMENT_CLOSED, target_type="engagement", target_id=row.id, details=details or None
        )
    return engagement_view(uow, row, principal)


def get_engagement(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> EngagementView:
    """The engagement as ``principal`` may see it.

    Raises:
        NotFound: No such engagement, or one the caller may not see.
    """
    row = get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_READ)
    return engagement_view(uow, row, principal)


def list_engagements(uow: UnitOfWork, principal: Principal) -> list[EngagementView]:
    """The engagements ``principal`` may see, latest window first (G6).

    Everything but drafts for the program office; a developer's own; a participant's engagements
    where it may see them. Operators are not party to engagements and see none.
    """
    now = uow.clock.now()
    # The rule as SQL first (browse.readable), so only what the reader may see is loaded; then the
    # rule itself, so the list can never show more than ``ENGAGEMENT_READ`` admits.
    rows = list(
        uow.session.scalars(
            select(Engagement).where(browse.readable(principal, now)).order_by(Engagement.window_start.desc(), Engagement.id)
        )
    )
    return [
        engagement_view(uow, row, principal)
        for row in rows
        if decide(uow, principal, Permission.ENGAGEMENT_READ, get_ref(uow, row), now).allowed
    ]
