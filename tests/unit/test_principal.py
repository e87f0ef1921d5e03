"""Principal: the system principal and the membership predicates the rules rely on."""

from __future__ import annotations

import uuid

import pytest

from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, OrgKind, Principal, Role

ORG = uuid.UUID(int=1)
OTHER = uuid.UUID(int=2)


def person(*, org_id: uuid.UUID | None = ORG, kind: OrgKind | None = OrgKind.AGENCY, role: Role | None = Role.ADMIN) -> Principal:
    return Principal(
        user_id=uuid.UUID(int=10),
        org_id=org_id,
        org_kind=kind,
        role=role,
        cleared=False,
        is_superuser=False,
        label="a@example.org",
        method=AuthMethod.SESSION,
    )


def test_system_principal() -> None:
    system = Principal.system("scheduler")
    assert system.label == "system:scheduler"
    assert system.is_system
    assert system.is_superuser
    assert (system.user_id, system.org_id, system.org_kind, system.role, system.token_id) == (None, None, None, None, None)
    assert system.cleared is False
    assert not person().is_system


def test_admin_and_member_predicates() -> None:
    admin = person()
    assert admin.is_admin_of(ORG) and admin.is_member_of(ORG)
    assert not admin.is_admin_of(OTHER) and not admin.is_member_of(OTHER)
    plain = person(role=Role.MEMBER)
    assert plain.is_member_of(ORG) and not plain.is_admin_of(ORG)


def test_no_organization_is_never_matched() -> None:
    """An org-less principal (an operator) must not match an org-less resource."""
    orgless = person(org_id=None, kind=None)
    assert not orgless.is_admin_of(None)
    assert not orgless.is_member_of(None)
    assert not person().is_member_of(None)


@pytest.mark.parametrize(
    ("kind", "role", "expected"),
    [
        (OrgKind.PROGRAM_OFFICE, Role.ADMIN, True),
        (OrgKind.PROGRAM_OFFICE, Role.MEMBER, False),
        (OrgKind.AGENCY, Role.ADMIN, False),
        (None, None, False),
    ],
)
def test_program_office_admin(kind: OrgKind | None, role: Role | None, expected: bool) -> None:
    assert person(kind=kind, role=role).is_program_office_admin is expected


def test_principal_is_immutable() -> None:
    with pytest.raises(AttributeError):
        person().is_superuser = True  # type: ignore[misc]


def test_permission_names_follow_area_resource_action() -> None:
    values = [p.value for p in Permission]
    assert len(values) == len(set(values))
    for value in values:
        parts = value.split(":")
        assert len(parts) == 3 and all(parts), value
