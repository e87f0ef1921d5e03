"""The demo's AI-enabled intrusion loads through the services: reported by the bank, referred to the FBI, acknowledged."""

from __future__ import annotations

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.incidents import browse
from frontier_review.clearinghouse.incidents import service as incidents
from frontier_review.demo import clearinghouse_incidents
from frontier_review.identity import directory
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.kernel.listing import ListQuery
from frontier_review.kernel.principal import Principal
from tests.factories.identity import SYSTEM

PASSWORD = "correct horse battery staple"


def test_the_demo_incident_is_referred_and_acknowledged(container: Container) -> None:
    with container.uow() as uow:
        bank = identity.create_organization(
            uow, SYSTEM, name="First Federal Bank", kind=OrgKind.PARTNER, sector=Sector.FINANCIAL_SERVICES
        )
        ch = identity.create_organization(uow, SYSTEM, name="Treasury", kind=OrgKind.CLEARINGHOUSE)
        identity.create_user(
            uow, SYSTEM, org_id=bank.id, email="secops@firstfederal.demo", full_name="Jamie", password=PASSWORD, role=Role.ADMIN
        )
        identity.create_user(
            uow, SYSTEM, org_id=ch.id, email="analyst@treasury.demo", full_name="Avery", password=PASSWORD, role=Role.ADMIN
        )

    def person(email: str) -> Principal:
        found = directory.find_person_by_email(uow, email)
        assert found is not None
        principal = identity.principal_for_user(uow, user_id=found.id)
        assert principal is not None
        return principal

    with container.uow() as uow:
        clearinghouse_incidents.load_incidents(uow, person, PASSWORD)
    with container.uow() as uow:
        agent = person(clearinghouse_incidents.AGENT)
        page = browse.page_incidents(uow, agent, ListQuery(), referred_to_me=True)
        assert page.page.total == 1
        view = incidents.get_incident(uow, agent, page.page.items[0].id)
        assert view.status.value == "referred" and view.referrals[0].acknowledged_by == clearinghouse_incidents.AGENT
