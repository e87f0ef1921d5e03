"""The identity directory: who people and organizations are, for other areas.

Other areas never read the ``users`` or ``organizations`` tables; they ask here and get
frozen cards back. These are system reads, not use cases: they carry no principal and are not
authorized, because the calling service has already decided what its caller may see (a finding's
audience, an engagement's parties) and only needs names, addresses and kinds to act on it.
Passwords, lockouts and sessions stay inside the identity area.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select

from frontier_review.db.uow import UnitOfWork
from frontier_review.identity.orm import Organization, User
from frontier_review.kernel.errors import NotFound
from frontier_review.kernel.principal import OrgKind, Role

__all__ = [
    "OrganizationCard",
    "Person",
    "count_people",
    "find_organization",
    "find_person",
    "find_person_by_email",
    "get_organization",
    "list_members",
    "list_organization_ids",
    "list_organizations",
    "list_people",
    "organization_names",
]


@dataclass(frozen=True)
class Person:
    """A person as other areas see them: enough to address, name and place them."""

    id: uuid.UUID
    email: str
    full_name: str
    organization_id: uuid.UUID | None
    role: Role
    is_active: bool
    cleared: bool


@dataclass(frozen=True)
class OrganizationCard:
    """An organization as other areas see it."""

    id: uuid.UUID
    name: str
    kind: OrgKind
    sector: str | None
    law_enforcement: bool = False


def _person(user: User) -> Person:
    return Person(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        organization_id=user.organization_id,
        role=Role(user.role),
        is_active=user.is_active,
        cleared=user.cleared,
    )


def _card(org: Organization) -> OrganizationCard:
    return OrganizationCard(
        id=org.id, name=org.name, kind=OrgKind(org.kind), sector=org.sector, law_enforcement=bool(org.law_enforcement)
    )


def find_person(uow: UnitOfWork, user_id: uuid.UUID) -> Person | None:
    """The person with this id, or ``None``."""
    user = uow.session.get(User, user_id)
    return _person(user) if user is not None else None


def find_person_by_email(
    uow: UnitOfWork, email: str, *, organization_ids: Iterable[uuid.UUID] | None = None, active_only: bool = False
) -> Person | None:
    """The person with this address (case-insensitive), optionally only among these organizations' members."""
    query = select(User).where(func.lower(User.email) == email.strip().lower())
    if organization_ids is not None:
        query = query.where(User.organization_id.in_(list(organization_ids)))
    if active_only:
        query = query.where(User.is_active.is_(True))
    user = uow.session.scalar(query)
    return _person(user) if user is not None else None


def count_people(uow: UnitOfWork) -> int:
    """How many accounts exist (none on a fresh instance)."""
    return uow.session.scalar(select(func.count()).select_from(User)) or 0


def list_people(uow: UnitOfWork, ids: Iterable[uuid.UUID]) -> list[Person]:
    """These people (unknown ids are skipped), ordered by address."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    return [_person(u) for u in uow.session.scalars(select(User).where(User.id.in_(wanted)).order_by(User.email))]


def list_members(uow: UnitOfWork, organization_ids: uuid.UUID | Iterable[uuid.UUID], *, active_only: bool = True) -> list[Person]:
    """The members of one or more organizations (active ones unless told otherwise), ordered by address."""
    orgs = [organization_ids] if isinstance(organization_ids, uuid.UUID) else list(organization_ids)
    if not orgs:
        return []
    query = select(User).where(User.organization_id.in_(orgs))
    if active_only:
        query = query.where(User.is_active.is_(True))
    return [_person(u) for u in uow.session.scalars(query.order_by(User.email))]


def find_organization(uow: UnitOfWork, org_id: uuid.UUID) -> OrganizationCard | None:
    """The organization with this id, or ``None``."""
    org = uow.session.get(Organization, org_id)
    return _card(org) if org is not None else None


def get_organization(uow: UnitOfWork, org_id: uuid.UUID) -> OrganizationCard:
    """The organization with this id; raises ``NotFound`` when there is none."""
    card = find_organization(uow, org_id)
    if card is None:
        raise NotFound("no such organization")
    return card


def list_organizations(
    uow: UnitOfWork, *, kinds: Iterable[OrgKind] | None = None, ids: Iterable[uuid.UUID] | None = None
) -> list[OrganizationCard]:
    """Organizations of these kinds and/or ids, ordered by name."""
    query = select(Organization)
    if kinds is not None:
        query = query.where(Organization.kind.in_([k.value for k in kinds]))
    if ids is not None:
        query = query.where(Organization.id.in_(list(ids)))
    return [_card(o) for o in uow.session.scalars(query.order_by(Organization.name))]


def list_organization_ids(uow: UnitOfWork, kind: OrgKind) -> list[uuid.UUID]:
    """The ids of every organization of this kind."""
    return list(uow.session.scalars(select(Organization.id).where(Organization.kind == kind.value)))


def organization_names(uow: UnitOfWork, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names by id, for these organizations (unknown ids are absent)."""
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = uow.session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(wanted)))
    return {org_id: name for org_id, name in rows}  # noqa: C416 - dict(result) would read a Result as a mapping
