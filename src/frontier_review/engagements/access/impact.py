"""What an ending would cut off: the engagements, organizations, people and gateway tokens it reaches.

Read before an irreversible action (release or withdrawal of a version, ending an engagement,
revoking a participant or a person, ending a partner designation) so that its confirmation page
can say in numbers what will happen. Each function authorizes exactly like the action itself, so
nobody learns anything here they could not change there. Nothing is written.

"Live" tokens are the gateway tokens not revoked whose holder still has access: a member of a
participant not revoked, not revoked as a person. Tokens are not revoked by these actions: they
stop working, because the rules refuse the engagement or the person from the next call on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access.orm import GatewayToken
from frontier_review.engagements.lifecycle import participants, partners, versions
from frontier_review.engagements.lifecycle.domain import EngagementState
from frontier_review.engagements.lifecycle.orm import Engagement, Participant, RevokedUser
from frontier_review.engagements.lifecycle.service import manage
from frontier_review.engagements.lifecycle.views import get_ref, org_name
from frontier_review.identity import directory
from frontier_review.kernel.errors import InvalidTransition
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide
from frontier_review.registry.domain import VersionStatus

__all__ = [
    "EngagementEnding",
    "PartnerEnding",
    "PersonEnding",
    "Reach",
    "VersionEnding",
    "engagement_ending",
    "participant_ending",
    "partner_ending",
    "person_ending",
    "version_ending",
]


@dataclass(frozen=True)
class Reach:
    """Who loses access.

    Attributes:
        organizations: The names of the participating organizations cut off.
        people: How many of their active members (less the people already revoked).
        tokens: How many gateway tokens those people hold that stop working.
    """

    organizations: tuple[str, ...]
    people: int
    tokens: int


@dataclass(frozen=True)
class VersionEnding:
    """Releasing or withdrawing a version: its open engagements close, with every access."""

    version_id: uuid.UUID
    display: str
    status: VersionStatus
    engagements: tuple[str, ...]
    drafts: int
    reach: Reach


@dataclass(frozen=True)
class EngagementEnding:
    """Ending an engagement (or revoking one of its participants)."""

    engagement_id: uuid.UUID
    title: str
    draft: bool
    reach: Reach


@dataclass(frozen=True)
class PersonEnding:
    """Revoking one person from an engagement."""

    engagement_id: uuid.UUID
    title: str
    user_id: uuid.UUID
    full_name: str
    email: str
    organization_name: str
    tokens: int


@dataclass(frozen=True)
class PartnerEnding:
    """Ending a trusted-partner designation."""

    designation_id: uuid.UUID
    organization_name: str
    sector: str
    engagements: tuple[str, ...]
    reach: Reach


def _reach(uow: UnitOfWork, rows: Iterable[Engagement], *, only_org: uuid.UUID | None = None) -> Reach:
    """The participants (or the one organization) still in ``rows``, their people and live tokens."""
    orgs: set[uuid.UUID] = set()
    people: set[uuid.UUID] = set()
    tokens = 0
    for row in rows:
        stmt = select(Participant.organization_id).where(Participant.engagement_id == row.id, Participant.revoked_at.is_(None))
        if only_org is not None:
            stmt = stmt.where(Participant.organization_id == only_org)
        in_it = set(uow.session.scalars(stmt))
        if not in_it:
            continue
        revoked = set(uow.session.scalars(select(RevokedUser.user_id).where(RevokedUser.engagement_id == row.id)))
        holders = {p.id for p in directory.list_members(uow, in_it)} - revoked
        orgs |= in_it
        people |= holders
        tokens += _live_tokens(uow, row.id, holders)
    names = sorted(org_name(uow, org) for org in orgs)
    return Reach(tuple(names), len(people), tokens)


def _live_tokens(uow: UnitOfWork, engagement_id: uuid.UUID, holders: set[uuid.UUID]) -> int:
    if not holders:
        return 0
    found = uow.session.scalars(
        select(GatewayToken.user_id).where(GatewayToken.engagement_id == engagement_id, GatewayToken.revoked_at.is_(None))
    )
    return sum(1 for user_id in found if user_id in holders)


def version_ending(uow: UnitOfWork, principal: Principal, version_id: uuid.UUID, status: VersionStatus) -> VersionEnding:
    """What releasing (or withdrawing) the version would close, once ``principal`` may do it.

    Raises:
        NotFound: No such version, or one the caller may not see.
        PermissionDenied: The caller may not release or withdraw it.
        InvalidTransition: It is already released or withdrawn.
    """
    card = versions.check_status_change(uow, principal, version_id, status)
    rows = list(
        uow.session.scalars(
            select(Engagement)
            .where(Engagement.model_version_id == card.id, Engagement.state != EngagementState.CLOSED.value)
            .order_by(Engagement.window_start)
        )
    )
    offered = [r for r in rows if r.state != EngagementState.DRAFT.value]
    return VersionEnding(
        version_id=card.id,
        display=card.display,
        status=status,
        engagements=tuple(r.title for r in offered),
        drafts=len(rows) - len(offered),
        reach=_reach(uow, offered),
    )


def _open_row(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> Engagement:
    row = manage(uow, principal, engagement_id)
    if row.state == EngagementState.CLOSED.value:
        raise InvalidTransition("this engagement has already ended")
    return row


def engagement_ending(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> EngagementEnding:
    """What ending the engagement now would cut off, once ``principal`` manages it.

    Raises:
        NotFound: No such engagement, or one the caller may not see.
        PermissionDenied: The caller may not manage it.
        InvalidTransition: It has already ended.
    """
    row = _open_row(uow, principal, engagement_id)
    draft = row.state == EngagementState.DRAFT.value
    return EngagementEnding(row.id, row.title, draft, Reach((), 0, 0) if draft else _reach(uow, [row]))


def participant_ending(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, participant_id: uuid.UUID
) -> EngagementEnding:
    """What revoking one participant would cut off (its people and their tokens).

    Raises:
        NotFound: No such engagement (or one the caller may not see), or no such participant in it.
        PermissionDenied: The caller may not manage it.
        InvalidTransition: The engagement has ended, or the participant is already revoked.
    """
    row = _open_row(uow, principal, engagement_id)
    part = participants.participant_of(uow, row, participant_id)
    if part.revoked_at is not None:
        raise InvalidTransition(f"{org_name(uow, part.organization_id)} is already revoked")
    reach = _reach(uow, [row], only_org=part.organization_id)
    if not reach.organizations:
        reach = Reach((org_name(uow, part.organization_id),), 0, 0)
    return EngagementEnding(row.id, row.title, row.state == EngagementState.DRAFT.value, reach)


def person_ending(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, user_id: uuid.UUID | None, *, email: str | None = None
) -> PersonEnding:
    """What revoking one person would cut off: their tokens, named by id (or address).

    The person is looked up only after the caller is authorized, among the participants' members
    (as :func:`~frontier_review.engagements.lifecycle.participants.revoke_user` does).

    Raises:
        NotFound: No such engagement, or one the caller may not see.
        PermissionDenied: The caller may not manage it.
        InvalidTransition: The engagement has ended, or the person is already revoked.
        ValidationFailed: Nobody by that id or address in a participating organization.
    """
    row = _open_row(uow, principal, engagement_id)
    person = participants.revocable_person(uow, row, user_id, email=email)
    if uow.session.scalar(select(RevokedUser.id).where(RevokedUser.engagement_id == row.id, RevokedUser.user_id == person.id)):
        raise InvalidTransition(f"{person.email} is already revoked")
    return PersonEnding(
        engagement_id=row.id,
        title=row.title,
        user_id=person.id,
        full_name=person.full_name,
        email=person.email,
        organization_name=org_name(uow, person.organization_id),
        tokens=_live_tokens(uow, row.id, {person.id}),
    )


def partner_ending(uow: UnitOfWork, principal: Principal, designation_id: uuid.UUID) -> PartnerEnding:
    """What ending a designation would cut off: the open engagements the partner takes part in.

    Only the engagements the caller may read are named and counted (the program office reads
    every offered one).

    Raises:
        NotFound: No such designation.
        PermissionDenied: The caller may not designate partners.
        InvalidTransition: The designation has already ended or expired.
    """
    view = partners.get_designation(uow, principal, designation_id)
    now = uow.clock.now()
    if not view.active(now):
        raise InvalidTransition(f"the designation of {view.organization_name} has already ended")
    rows = [
        row
        for row in uow.session.scalars(
            select(Engagement)
            .join(Participant, Participant.engagement_id == Engagement.id)
            .where(
                Participant.organization_id == view.organization_id,
                Participant.revoked_at.is_(None),
                Engagement.state.in_([EngagementState.OFFERED.value, EngagementState.ACTIVE.value]),
            )
            .order_by(Engagement.window_start)
        )
        if decide(uow, principal, Permission.ENGAGEMENT_READ, get_ref(uow, row), now).allowed
    ]
    return PartnerEnding(
        designation_id=view.id,
        organization_name=view.organization_name,
        sector=view.sector,
        engagements=tuple(r.title for r in rows),
        reach=_reach(uow, rows, only_org=view.organization_id),
    )
