"""Factories for organizations, users, principals and tokens."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

from frontier_review.bootstrap import Container
from frontier_review.identity import service
from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.identity.service import OrganizationView, UserView
from frontier_review.kernel.principal import Principal

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)
SYSTEM = Principal.system("tests")


@dataclass(frozen=True)
class Person:
    """A user with the password the tests know and the principal services see."""

    user: UserView
    principal: Principal
    password: str = PASSWORD

    @property
    def email(self) -> str:
        return self.user.email


def make_org(
    container: Container, kind: OrgKind = OrgKind.DEVELOPER, *, name: str | None = None, sector: Sector | None = None
) -> OrganizationView:
    if kind is OrgKind.PARTNER and sector is None:
        sector = Sector.ENERGY
    with container.uow() as uow:
        return service.create_organization(
            uow, SYSTEM, name=name or f"{kind.value} org {next(_counter)}", kind=kind, sector=sector
        )


def make_user(
    container: Container,
    org: OrganizationView,
    *,
    role: Role = Role.MEMBER,
    cleared: bool = False,
    email: str | None = None,
    password: str = PASSWORD,
) -> Person:
    if cleared:
        return _make_cleared_user(container, org, role=role, email=email, password=password)
    with container.uow() as uow:
        user = service.create_user(
            uow,
            SYSTEM,
            org_id=org.id,
            email=email or f"user{next(_counter)}-{uuid.uuid4().hex[:6]}@example.org",
            full_name=f"Test User {next(_counter)}",
            password=password,
            role=role,
        )
    return Person(user=user, principal=principal_of(container, user.id), password=password)


def _make_cleared_user(container: Container, org: OrganizationView, *, role: Role, email: str | None, password: str) -> Person:
    """A cleared user, through the only legitimate paths: the one-time bootstrap of the first
    cleared admin, then a grant by a cleared admin of the same program office."""
    from sqlalchemy import func, select

    from frontier_review.identity.orm import User

    address = email or f"cleared{next(_counter)}-{uuid.uuid4().hex[:6]}@example.org"
    with container.uow() as uow:
        any_cleared = uow.session.scalar(select(func.count()).select_from(User).where(User.cleared.is_(True)))
    if not any_cleared:
        if role is Role.ADMIN:
            with container.uow() as uow:
                user = service.bootstrap_cleared_admin(
                    uow, org_id=org.id, email=address, full_name=f"Test User {next(_counter)}", password=password
                )
            return Person(user=user, principal=principal_of(container, user.id), password=password)
        make_cleared_officer(container, org)
    with container.uow() as uow:
        officer_id = uow.session.scalar(
            select(User.id).where(
                User.organization_id == org.id, User.cleared.is_(True), User.role == Role.ADMIN.value, User.is_active.is_(True)
            )
        )
    assert officer_id is not None, "cleared users of this organization need a cleared admin in it first"
    officer = principal_of(container, officer_id)
    # As in real life: an operator creates the account (organization admins invite), then a
    # cleared admin of the program office grants the clearance.
    with container.uow() as uow:
        created = service.create_user(
            uow, SYSTEM, org_id=org.id, email=address, full_name=f"Test User {next(_counter)}", password=password, role=role
        )
        user = service.update_user(uow, officer, created.id, cleared=True)
    return Person(user=user, principal=principal_of(container, user.id), password=password)


def make_cleared_officer(container: Container, org: OrganizationView) -> Person:
    """The instance's first cleared admin (``admin bootstrap-cleared``), in program office ``org``."""
    with container.uow() as uow:
        user = service.bootstrap_cleared_admin(
            uow,
            org_id=org.id,
            email=f"officer{next(_counter)}-{uuid.uuid4().hex[:6]}@example.org",
            full_name="Clearance Officer",
            password=PASSWORD,
        )
    return Person(user=user, principal=principal_of(container, user.id))


def make_superuser(container: Container, *, email: str = "root@example.org") -> Person:
    with container.uow() as uow:
        user = service.bootstrap_superuser(uow, email=email, full_name="Operator", password=PASSWORD)
    return Person(user=user, principal=principal_of(container, user.id))


def person_by_email(container: Container, email: str, *, password: str = PASSWORD) -> Person:
    """An existing account (a demo login, say) as a :class:`Person`."""
    from frontier_review.identity import directory

    with container.uow() as uow:
        found = directory.find_person_by_email(uow, email)
        assert found is not None, email
        user = service.get_user(uow, SYSTEM, found.id)
    return Person(user=user, principal=principal_of(container, user.id), password=password)


def principal_of(container: Container, user_id: uuid.UUID) -> Principal:
    with container.uow() as uow:
        user = service.get_user(uow, SYSTEM, user_id)
        principal = service.principal_for_user(uow, user_id=user_id)
    assert principal is not None, user
    return principal


def api_token(container: Container, person: Person, *, name: str = "tests") -> str:
    with container.uow() as uow:
        _view, plaintext = service.issue_token(uow, person.principal, user_id=person.user.id, name=name)
    return plaintext
