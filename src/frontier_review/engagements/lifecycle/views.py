"""Loading engagements for the rules, and the views adapters show.

:func:`get_row_for` is the one way a use case gets an engagement it acts on: an engagement the
caller may not even read answers ``NotFound`` exactly like one that does not exist. :func:`get_ref`
loads everything the rules need to decide whether someone is still a party.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access import upstreams
from frontier_review.engagements.access.upstreams import UpstreamView
from frontier_review.engagements.lifecycle import designations, versions
from frontier_review.engagements.lifecycle.domain import (
    ClosedReason,
    Cohort,
    EngagementState,
    Materials,
    Protections,
    Quotas,
    Recipients,
    Window,
    effective_state,
    public_model_id,
    sees_all_participants,
)
from frontier_review.engagements.lifecycle.orm import Engagement, Participant, RevokedUser, TermsVersion
from frontier_review.engagements.lifecycle.policy import EngagementRef, Party
from frontier_review.identity import directory
from frontier_review.kernel.errors import NotFound, ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize_visible


@dataclass(frozen=True)
class TermsView:
    """One version of the terms."""

    number: int
    materials: Materials
    protections: Protections
    default_quotas: Quotas
    note: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class ParticipantView:
    """A participant as the reader may see it (a participant sees only its own)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    cohort: Cohort
    quotas: Quotas
    accepted_terms: int | None
    accepted_by: str | None
    accepted_at: datetime | None
    revoked_at: datetime | None
    revoked_users: tuple[str, ...]

    def accepted_current(self, current: int) -> bool:
        """Its admin accepted terms version ``current``."""
        return self.accepted_terms == current


@dataclass(frozen=True)
class EngagementView:
    """An engagement as one reader may see it."""

    id: uuid.UUID
    title: str
    version_id: uuid.UUID
    version_display: str
    model_id: str  # what reviewers pass as ``model`` on the gateway
    developer_org_id: uuid.UUID
    developer_name: str
    state: EngagementState
    closed_reason: ClosedReason | None
    window: Window
    recipients: Recipients
    partners_from: datetime | None
    current_terms: int
    terms: tuple[TermsView, ...]
    participants: tuple[ParticipantView, ...]
    upstreams: tuple[UpstreamView, ...]
    offered_at: datetime | None
    closed_at: datetime | None
    created_at: datetime

    @property
    def current(self) -> TermsView:
        """The terms in force."""
        return next(t for t in self.terms if t.number == self.current_terms)

    @property
    def variants(self) -> tuple[str, ...]:
        """The variants with an upstream."""
        return tuple(u.variant for u in self.upstreams)


def get_row(uow: UnitOfWork, engagement_id: uuid.UUID) -> Engagement:
    """The engagement's row, unauthorized (for rules and system tasks).

    Raises:
        NotFound: No such engagement.
    """
    row = uow.session.get(Engagement, engagement_id)
    if row is None:
        raise NotFound(f"engagement {engagement_id} not found")
    return row


def get_row_for(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, permission: Permission) -> Engagement:
    """The engagement, once ``principal`` may do ``permission`` on it.

    An engagement the caller may not even read answers ``NotFound`` exactly like one that does
    not exist (the refusal is still audited); one it reads but may not act on is refused with
    the reason.

    Args:
        uow: The unit of work.
        principal: The caller.
        engagement_id: The engagement asked for.
        permission: What the caller wants to do with it.

    Returns:
        The engagement row.

    Raises:
        NotFound: No such engagement, or one the caller may not see.
        PermissionDenied: The caller sees it but may not do this.
    """
    row = get_row(uow, engagement_id)
    authorize_visible(
        uow,
        principal,
        permission,
        get_ref(uow, row),
        not_found=f"engagement {engagement_id} not found",
        read=Permission.ENGAGEMENT_READ,
    )
    return row


def get_ref(uow: UnitOfWork, row: Engagement) -> EngagementRef:
    """Everything the rules need to decide whether someone is still a party.

    Revoked organizations and people, designations, terms accepted: see ``EngagementRef.party_refusal``.
    """
    parts = uow.session.execute(
        select(Participant.organization_id, Participant.cohort, Participant.revoked_at, Participant.accepted_terms).where(
            Participant.engagement_id == row.id
        )
    )
    participants = {}
    for org, cohort, revoked, accepted in parts:
        designation = designations.find_current_designation(uow, org) if cohort == Cohort.PARTNER.value else None
        participants[org] = Party(
            cohort=cohort,
            revoked=revoked is not None,
            accepted_current_terms=accepted == row.current_terms,
            designated_until=designation.expires_at if designation is not None else None,
        )
    revoked_users = frozenset(uow.session.scalars(select(RevokedUser.user_id).where(RevokedUser.engagement_id == row.id)))
    return EngagementRef(
        id=row.id,
        developer_org_id=row.developer_org_id,
        draft=row.state == EngagementState.DRAFT.value,
        partners_included=row.recipients == Recipients.FEDERAL_AND_PARTNERS.value,
        participants=participants,
        revoked_users=revoked_users,
    )


def terms_view(t: TermsVersion) -> TermsView:
    """A stored terms version as a view."""
    return TermsView(
        number=t.number,
        materials=Materials(**t.materials),
        protections=Protections(**t.protections),
        default_quotas=Quotas(**t.default_quotas),
        note=t.note,
        created_by=t.created_by,
        created_at=t.created_at,
    )


def get_current_terms(uow: UnitOfWork, row: Engagement) -> TermsView:
    """The terms in force (every engagement has its current version)."""
    terms = uow.session.scalar(
        select(TermsVersion).where(TermsVersion.engagement_id == row.id, TermsVersion.number == row.current_terms)
    )
    assert terms is not None  # every engagement has its current terms version
    return terms_view(terms)


def org_name(uow: UnitOfWork, org_id: uuid.UUID | None) -> str:
    """An organization's name for display ("?" when it no longer exists)."""
    if org_id is None:
        return "platform"
    org = directory.find_organization(uow, org_id)
    return org.name if org else "?"


def current_state(uow: UnitOfWork, row: Engagement) -> tuple[EngagementState, ClosedReason | None]:
    """The engagement's effective state now (release, withdrawal and the clock included)."""
    return effective_state(
        EngagementState(row.state),
        ClosedReason(row.closed_reason) if row.closed_reason else None,
        Window(row.window_start, row.window_end),
        versions.version_status(uow, row.model_version_id),
        uow.clock.now(),
    )


def check_open_for_change(uow: UnitOfWork, row: Engagement) -> EngagementState:
    """The effective state, unless the engagement is closed.

    Raises:
        ValidationFailed: The engagement is closed.
    """
    state, _ = current_state(uow, row)
    if state is EngagementState.CLOSED:
        raise ValidationFailed("the engagement is closed", field="engagement")
    return state


def participant_views(
    uow: UnitOfWork, engagement_id: uuid.UUID, shown: Sequence[Participant], names: Mapping[uuid.UUID, str]
) -> list[ParticipantView]:
    """Views of the participant rows ``shown``, with the people revoked from the engagement."""
    revoked = list(uow.session.scalars(select(RevokedUser.user_id).where(RevokedUser.engagement_id == engagement_id)))
    people = directory.list_people(uow, revoked)  # ordered by address
    return [
        ParticipantView(
            id=p.id,
            organization_id=p.organization_id,
            organization_name=names.get(p.organization_id, "?"),
            cohort=Cohort(p.cohort),
            quotas=Quotas(p.requests_per_day, p.tokens_per_day, p.requests_per_minute),
            accepted_terms=p.accepted_terms,
            accepted_by=p.accepted_by,
            accepted_at=p.accepted_at,
            revoked_at=p.revoked_at,
            revoked_users=tuple(person.email for person in people if person.organization_id == p.organization_id),
        )
        for p in shown
    ]


def engagement_view(uow: UnitOfWork, row: Engagement, principal: Principal | None = None) -> EngagementView:
    """The engagement as ``principal`` may see it: a participant sees only its own participation."""
    version = versions.find_version(uow, row.model_version_id)
    window = Window(row.window_start, row.window_end)
    state, reason = effective_state(
        EngagementState(row.state),
        ClosedReason(row.closed_reason) if row.closed_reason else None,
        window,
        version.status if version else "withdrawn",
        uow.clock.now(),
    )
    terms = tuple(
        terms_view(t)
        for t in uow.session.scalars(
            select(TermsVersion).where(TermsVersion.engagement_id == row.id).order_by(TermsVersion.number)
        )
    )
    sees_all = principal is None or sees_all_participants(
        principal.org_id, principal.org_kind, row.developer_org_id, system=principal.is_system
    )
    rows = list(
        uow.session.scalars(select(Participant).where(Participant.engagement_id == row.id).order_by(Participant.invited_at))
    )
    shown = [p for p in rows if sees_all or (principal is not None and p.organization_id == principal.org_id)]
    # One lookup per organization (``directory.organization_names`` trips a SQLAlchemy 2.1 deprecation today).
    names = {org: org_name(uow, org) for org in {p.organization_id for p in shown} | {row.developer_org_id}}
    participants = tuple(participant_views(uow, row.id, shown, names))
    return EngagementView(
        id=row.id,
        title=row.title,
        version_id=row.model_version_id,
        version_display=version.display if version else "?",
        model_id=public_model_id(version.model_name, version.label) if version else "?",
        developer_org_id=row.developer_org_id,
        developer_name=names.get(row.developer_org_id, "?"),
        state=state,
        closed_reason=reason,
        window=window,
        recipients=Recipients(row.recipients),
        partners_from=row.partners_from,
        current_terms=row.current_terms,
        terms=terms,
        participants=participants,
        upstreams=tuple(upstreams.list_upstreams(uow, row.id)),
        offered_at=row.offered_at,
        closed_at=row.closed_at,
        created_at=row.created_at,
    )
