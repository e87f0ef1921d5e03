"""The identity directory: the cards other areas get instead of reading identity's tables."""

from __future__ import annotations

import uuid

import pytest

from frontier_review.bootstrap import Container
from frontier_review.identity import directory
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.kernel.errors import NotFound
from tests.factories.identity import SYSTEM, make_org, make_user


def test_an_empty_instance_has_no_people(container: Container) -> None:
    with container.uow() as uow:
        assert directory.count_people(uow) == 0
        assert directory.list_people(uow, []) == []
        assert directory.list_members(uow, []) == []
        assert directory.organization_names(uow, []) == {}


def test_people_are_found_by_id_and_case_insensitive_address(container: Container) -> None:
    org = make_org(container, OrgKind.AGENCY, name="Directory Agency")
    admin = make_user(container, org, role=Role.ADMIN, email="Admin.Person@Example.org")
    with container.uow() as uow:
        by_id = directory.find_person(uow, admin.user.id)
        by_email = directory.find_person_by_email(uow, "  ADMIN.person@example.ORG ")
        assert directory.count_people(uow) == 1
        assert directory.find_person(uow, uuid.uuid4()) is None
        assert directory.find_person_by_email(uow, "nobody@example.org") is None
        assert directory.find_person_by_email(uow, admin.email, organization_ids=[uuid.uuid4()]) is None
    assert by_id is not None
    assert by_id == by_email
    assert by_id.organization_id == org.id
    assert by_id.role is Role.ADMIN
    assert by_id.is_active
    assert not by_id.cleared


def test_members_are_listed_by_address_and_inactive_ones_only_when_asked(container: Container) -> None:
    org = make_org(container, OrgKind.DEVELOPER)
    other = make_org(container, OrgKind.DEVELOPER)
    b = make_user(container, org, email="b@example.org")
    a = make_user(container, org, email="a@example.org")
    outsider = make_user(container, other, email="c@example.org")
    with container.uow() as uow:
        identity.update_user(uow, SYSTEM, b.user.id, is_active=False)
    with container.uow() as uow:
        assert [p.email for p in directory.list_members(uow, org.id)] == ["a@example.org"]
        assert [p.email for p in directory.list_members(uow, org.id, active_only=False)] == ["a@example.org", "b@example.org"]
        assert [p.email for p in directory.list_members(uow, [org.id, other.id])] == ["a@example.org", "c@example.org"]
        people = directory.list_people(uow, [outsider.user.id, a.user.id, a.user.id, uuid.uuid4()])
        assert [p.email for p in people] == ["a@example.org", "c@example.org"]
        assert directory.find_person_by_email(uow, "b@example.org", active_only=True) is None


def test_organizations_are_cards_by_id_kind_and_name(container: Container) -> None:
    agency = make_org(container, OrgKind.AGENCY, name="Zeta Agency")
    partner = make_org(container, OrgKind.PARTNER, name="Alpha Grid", sector=Sector.ENERGY)
    with container.uow() as uow:
        card = directory.get_organization(uow, partner.id)
        assert directory.find_organization(uow, uuid.uuid4()) is None
        with pytest.raises(NotFound):
            directory.get_organization(uow, uuid.uuid4())
        by_kind = directory.list_organizations(uow, kinds=[OrgKind.AGENCY, OrgKind.PARTNER])
        agencies = directory.list_organization_ids(uow, OrgKind.AGENCY)
        names = directory.organization_names(uow, [agency.id, partner.id, uuid.uuid4()])
    assert card.kind is OrgKind.PARTNER
    assert card.sector == Sector.ENERGY.value
    assert [o.name for o in by_kind] == ["Alpha Grid", "Zeta Agency"]
    assert agencies == [agency.id]
    assert names == {agency.id: "Zeta Agency", partner.id: "Alpha Grid"}
