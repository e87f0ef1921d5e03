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
    with container.uow() as uow:
        user = service.create_user(
            uow,
            SYSTEM,
            org_id=org.id,
            email=email or f"user{next(_counter)}-{uuid.uuid4().hex[:6]}@example.org",
            full_name=f"Test User {next(_counter)}",
            password=password,
            role=role,
            cleared=cleared,
        )
    return Person(user=user, principal=principal_of(container, user.id), password=password)


def make_superuser(container: Container, *, email: str = "root@example.org") -> Person:
    with container.uow() as uow:
        user = service.bootstrap_superuser(uow, email=email, full_name="Operator", password=PASSWORD)
    return Person(user=user, principal=principal_of(container, user.id))


def principal_of(container: Container, user_id: uuid.UUID) -> Principal:
    with container.uow() as uow:
        user = service.get_user(uow, SYSTEM, user_id)
        principal = service.principal_for_session(uow, user_id=user_id, session_epoch=_epoch(container, user_id))
    assert principal is not None, user
    return principal


def _epoch(container: Container, user_id: uuid.UUID) -> int:
    from frontier_review.identity.orm import User

    with container.uow() as uow:
        user = uow.session.get(User, user_id)
        assert user is not None
        return user.session_epoch


def api_token(container: Container, person: Person, *, name: str = "tests") -> str:
    with container.uow() as uow:
        _view, plaintext = service.issue_token(uow, person.principal, user_id=person.user.id, name=name)
    return plaintext
