"""Participants: invitations, quotas and revocations (of a whole organization or one person).

Who may be invited is one pure rule (``domain.invite_refusal``), asked both by :func:`invite`
and by :func:`list_invitable`. A revocation holds on the caller's next request in every process.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.lifecycle import closing, designations, notices
from frontier_review.engagements.lifecycle.domain import (
    EngagementState,
    Invitee,
    Quotas,
    Recipients,
    invite_cohort,
    invite_refusal,
    reason_details,
)
from frontier_review.engagements.lifecycle.orm import Engagement, Participant, RevokedUser, TermsVersion
from frontier_review.engagements.lifecycle.service import manage
from frontier_review.engagements.lifecycle.views import EngagementView, check_open_for_change, engagement_view, org_name
from frontier_review.engagements.tags import EngagementTag
from frontier_review.identity import directory
from frontier_review.identity.directory import OrganizationCard, Person
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.principal import OrgKind, Principal

_INVITABLE_KINDS = (OrgKind.AGENCY, OrgKind.PARTNER, OrgKind.PROGRAM_OFFICE)
# A revocation notice leads to the engagement list, not to the engagement: the person revoked may
# no longer see it, and its page answers them exactly as if it did not exist.
_REVOKED_LINK = "/engagements"


@dataclass(frozen=True)
class Invitable:
    """An organization the developer may still invite."""

    id: uuid.UUID
    name: str
    kind: str
    sector: str | None


def _invitee(uow: UnitOfWork, org: OrganizationCard) -> Invitee:
    until = None
    if org.kind is OrgKind.PARTNER:
        designation = designations.find_current_designation(uow, org.id)
        until = designation.expires_at if designation is not None else None
    return Invitee(name=org.name, kind=org.kind, designated_until=until)


def invite(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, organization_id: uuid.UUID, quotas: Quotas | None = None
) -> EngagementView:
    """Invite an agency, the program office, or a designated trusted partner where the terms include partners.

    Raises:
        NotFound: No such organization.
        ValidationFailed: The organization may not be invited (``domain.invite_refusal`` says why).
        Conflict: It already takes part.
    """
    row = manage(uow, principal, engagement_id)
    check_open_for_change(uow, row)
    org = directory.find_organization(uow, organization_id)
    if org is None:
        raise NotFound(f"organization {organization_id} not found")
    cohort = invite_cohort(_invitee(uow, org), Recipients(row.recipients), uow.clock.now())
    if uow.session.scalar(
        select(Participant.id).where(Participant.engagement_id == row.id, Participant.organization_id == org.id)
    ):
        raise Conflict(f"{org.name} is already a participant", field="organization_id")
    terms = uow.session.scalar(
        select(TermsVersion).where(TermsVersion.engagement_id == row.id, TermsVersion.number == row.current_terms)
    )
    assert terms is not None
    chosen = quotas or Quotas(**terms.default_quotas)
    chosen.check()
    participant = Participant(
        id=new_id(),
        engagement_id=row.id,
        organization_id=org.id,
        cohort=cohort.value,
        requests_per_day=chosen.requests_per_day,
        tokens_per_day=chosen.tokens_per_day,
        requests_per_minute=chosen.requests_per_minute,
        invited_at=uow.clock.now(),
    )
    uow.session.add(participant)
    uow.flush_unique(f"{org.name} is already a participant", "organization_id")
    audit.record(
        uow,
        principal,
        EngagementTag.PARTICIPANT_INVITED,
        target_type="engagement",
        target_id=row.id,
        details={"organization": str(org.id), "cohort": cohort.value},
    )
    if row.state != EngagementState.DRAFT.value:
        notices.offer(uow, row, org.id)
    return engagement_view(uow, row, principal)


def list_invitable(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[Invitable]:
    """Agencies, the program office, and designated partners where the terms include partners, not yet invited."""
    row = manage(uow, principal, engagement_id)
    taken = set(uow.session.scalars(select(Participant.organization_id).where(Participant.engagement_id == row.id)))
    now = uow.clock.now()
    recipients = Recipients(row.recipients)
    return [
        Invitable(org.id, org.name, org.kind.value, org.sector)
        for org in directory.list_organizations(uow, kinds=_INVITABLE_KINDS)
        if org.id not in taken and invite_refusal(_invitee(uow, org), recipients, now) is None
    ]


def _participant(uow: UnitOfWork, row: Engagement, participant_id: uuid.UUID) -> Participant:
    part = uow.session.get(Participant, participant_id)
    if part is None or part.engagement_id != row.id:
        raise NotFound(f"participant {participant_id} not found in this engagement")
    return part


def set_quotas(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, participant_id: uuid.UUID, quotas: Quotas
) -> EngagementView:
    """Set one participant's quotas (they hold from its next call)."""
    row = manage(uow, principal, engagement_id)
    quotas.check()
    part = _participant(uow, row, participant_id)
    part.requests_per_day, part.tokens_per_day = quotas.requests_per_day, quotas.tokens_per_day
    part.requests_per_minute = quotas.requests_per_minute
    closing.bump(row)
    audit.record(
        uow,
        principal,
        EngagementTag.PARTICIPANT_QUOTAS_SET,
        target_type="engagement",
        target_id=row.id,
        details={"participant": str(part.id), **dataclasses.asdict(quotas)},
    )
    return engagement_view(uow, row, principal)


def revoke_participant(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, participant_id: uuid.UUID, *, reason: str = ""
) -> EngagementView:
    """Cut a whole participant off; holds on its next request in every process.

    ``reason``, when given, is recorded in the audit entry (not shown to the participant).
    """
    row = manage(uow, principal, engagement_id)
    part = _participant(uow, row, participant_id)
    details = reason_details(reason)
    if part.revoked_at is None:
        part.revoked_at, part.revoked_by = uow.clock.now(), principal.label
        closing.bump(row)
        uow.session.flush()
        audit.record(
            uow,
            principal,
            EngagementTag.PARTICIPANT_REVOKED,
            target_type="engagement",
            target_id=row.id,
            details={"organization": str(part.organization_id), **details},
        )
        notices.to_org(
            uow,
            row,
            part.organization_id,
            "access_revoked",
            f"{row.title}: the developer revoked your access",
            link=_REVOKED_LINK,
        )
    return engagement_view(uow, row, principal)


def participant_of(uow: UnitOfWork, row: Engagement, participant_id: uuid.UUID) -> Participant:
    """The engagement's participant (callers authorize first: the revoke confirmation manages ``row``).

    Raises:
        NotFound: No such participant in this engagement.
    """
    return _participant(uow, row, participant_id)


def revocable_person(uow: UnitOfWork, row: Engagement, user_id: uuid.UUID | None, *, email: str | None = None) -> Person:
    """The person named by id or by email address among the participating organizations' members.

    Callers authorize first: a developer is not entitled to the user directory, so "no such
    account" and "not a participant" get the same answer.

    Raises:
        ValidationFailed: Nobody by that id or address in a participating organization.
    """
    orgs = list(uow.session.scalars(select(Participant.organization_id).where(Participant.engagement_id == row.id)))
    if email is not None:
        person = directory.find_person_by_email(uow, email, organization_ids=orgs)
        if person is None:
            raise ValidationFailed(f"{email.strip()!r} is not a member of a participating organization", field="email")
        return person
    found = directory.find_person(uow, user_id) if user_id is not None else None
    if found is None or found.organization_id not in orgs:
        raise ValidationFailed(f"user {user_id} is not a member of a participating organization", field="user_id")
    return found


def revoke_user(
    uow: UnitOfWork,
    principal: Principal,
    engagement_id: uuid.UUID,
    user_id: uuid.UUID | None = None,
    *,
    email: str | None = None,
    reason: str = "",
) -> EngagementView:
    """Cut one person, named by id or by email address, off this engagement.

    The person is looked up only after the caller is authorized, and only among the
    participating organizations' members (:func:`revocable_person`). ``reason``, when given, is
    recorded in the audit entry.

    Raises:
        ValidationFailed: Nobody by that id or address in a participating organization.
    """
    row = manage(uow, principal, engagement_id)
    person = revocable_person(uow, row, user_id, email=email)
    details = reason_details(reason)
    if uow.session.scalar(select(RevokedUser.id).where(RevokedUser.engagement_id == row.id, RevokedUser.user_id == person.id)):
        return engagement_view(uow, row, principal)
    uow.session.add(
        RevokedUser(id=new_id(), engagement_id=row.id, user_id=person.id, revoked_at=uow.clock.now(), revoked_by=principal.label)
    )
    closing.bump(row)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        EngagementTag.USER_REVOKED,
        target_type="engagement",
        target_id=row.id,
        details={"user": person.email, **details},
    )
    notices.to_user(uow, row, person.id, "access_revoked", f"{row.title}: the developer revoked your access", link=_REVOKED_LINK)
    return engagement_view(uow, row, principal)


@dataclass(frozen=True)
class Revocable:
    """A participant's member the developer may cut off, for the revoke picker."""

    user_id: uuid.UUID
    full_name: str
    email: str
    organization_name: str


def list_revocable(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[Revocable]:
    """The people the developer may revoke one by one: active members of participants still in.

    Only the developer that manages the engagement learns them, and only the members of the
    organizations it invited (not revoked as a whole), less the people already revoked: the
    same people :func:`revoke_user` accepts.
    """
    row = manage(uow, principal, engagement_id)
    orgs = list(
        uow.session.scalars(
            select(Participant.organization_id).where(Participant.engagement_id == row.id, Participant.revoked_at.is_(None))
        )
    )
    revoked = set(uow.session.scalars(select(RevokedUser.user_id).where(RevokedUser.engagement_id == row.id)))
    names = {org: org_name(uow, org) for org in orgs}
    people = [p for p in directory.list_members(uow, orgs) if p.id not in revoked and p.organization_id is not None]
    return sorted(
        (Revocable(p.id, p.full_name, p.email, names.get(p.organization_id, "?")) for p in people if p.organization_id),
        key=lambda r: (r.organization_name, r.full_name.lower(), r.email),
    )


@dataclass(frozen=True)
class Revocation:
    """An engagement the developer cut the principal (or its whole organization) off from."""

    engagement_title: str
    revoked_at: datetime
    whole_organization: bool


def list_my_revocations(uow: UnitOfWork, principal: Principal) -> list[Revocation]:
    """Where the principal's access was revoked, newest first: the title and the time, nothing more.

    A revoked person may no longer open the engagement (its page answers like a missing one), so
    this is how they learn it besides the notice they were sent, which says as much.
    """
    if principal.user_id is None or principal.org_id is None:
        return []
    found: dict[uuid.UUID, Revocation] = {}
    for title, engagement_id, when in uow.session.execute(
        select(Engagement.title, Engagement.id, RevokedUser.revoked_at)
        .join(RevokedUser, RevokedUser.engagement_id == Engagement.id)
        .where(RevokedUser.user_id == principal.user_id)
    ):
        found[engagement_id] = Revocation(title, when, whole_organization=False)
    for title, engagement_id, org_revoked_at in uow.session.execute(
        select(Engagement.title, Engagement.id, Participant.revoked_at)
        .join(Participant, Participant.engagement_id == Engagement.id)
        .where(Participant.organization_id == principal.org_id, Participant.revoked_at.is_not(None))
    ):
        if org_revoked_at is not None:
            found[engagement_id] = Revocation(title, org_revoked_at, whole_organization=True)
    return sorted(found.values(), key=lambda r: r.revoked_at, reverse=True)
