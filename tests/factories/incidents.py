"""Factories for AI-enabled intrusion reports: a world of every reader shape, and reports in it."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.incidents import service
from frontier_review.clearinghouse.incidents.views import IncidentView
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Sector
from frontier_review.identity.service import OrganizationView
from tests.factories.identity import SYSTEM, Person, make_org, make_user, principal_of

_counter = itertools.count(1)
INDICATORS = (("ipv4-addr", "203.0.113.7"), ("domain-name", "Exfil.Example.NET"), ("file:SHA-256", "AB" * 32))


def make_law_enforcement(container: Container, name: str | None = None) -> OrganizationView:
    with container.uow() as uow:
        return identity.create_organization(
            uow, SYSTEM, name=name or f"Law enforcement {next(_counter)}", kind=OrgKind.AGENCY, law_enforcement=True
        )


@dataclass(frozen=True)
class World:
    """Every reader shape: the reporter and a colleague, the clearinghouse, a named recipient
    organization, a named person, the law-enforcement organization referred to (and one not), an
    unrelated bank, a deactivated person and an operator without organization."""

    bank: OrganizationView
    reporter: Person
    colleague: Person
    clearinghouse: OrganizationView
    analyst: Person
    recipient_org: OrganizationView
    recipient: Person
    named: Person
    fbi: OrganizationView
    agent: Person
    fbi_colleague: Person
    other_le: OrganizationView
    other_agent: Person
    bank2: OrganizationView
    outsider: Person
    deactivated: Person

    def readers(self) -> dict[str, Person]:
        return {
            "reporter": self.reporter,
            "colleague": self.colleague,
            "analyst": self.analyst,
            "recipient": self.recipient,
            "named": self.named,
            "agent": self.agent,
            "fbi_colleague": self.fbi_colleague,
            "other_agent": self.other_agent,
            "outsider": self.outsider,
            "deactivated": self.deactivated,
        }


def make_world(container: Container) -> World:
    bank = make_org(container, OrgKind.PARTNER, sector=Sector.FINANCIAL_SERVICES, name=f"First Bank {next(_counter)}")
    ch = make_org(container, OrgKind.CLEARINGHOUSE, name=f"Treasury clearinghouse {next(_counter)}")
    recipient_org = make_org(container, OrgKind.PARTNER, sector=Sector.ENERGY, name=f"Grid Co {next(_counter)}")
    fbi = make_law_enforcement(container, f"FBI Cyber Division {next(_counter)}")
    other_le = make_law_enforcement(container)
    bank2 = make_org(container, OrgKind.PARTNER, sector=Sector.FINANCIAL_SERVICES, name=f"Second Bank {next(_counter)}")
    deactivated = make_user(container, recipient_org)
    return World(
        bank=bank,
        reporter=make_user(container, bank),
        colleague=make_user(container, bank),
        clearinghouse=ch,
        analyst=make_user(container, ch),
        recipient_org=recipient_org,
        recipient=make_user(container, recipient_org),
        named=make_user(container, recipient_org),
        fbi=fbi,
        agent=make_user(container, fbi),
        fbi_colleague=make_user(container, fbi),
        other_le=other_le,
        other_agent=make_user(container, other_le),
        bank2=bank2,
        outsider=make_user(container, bank2),
        deactivated=deactivated,
    )


def deactivate(container: Container, person: Person) -> None:
    with container.uow() as uow:
        identity.update_user(uow, SYSTEM, person.user.id, is_active=False)


def report(
    container: Container,
    person: Person,
    *,
    tlp: str = "TLP:AMBER",
    orgs: Sequence[uuid.UUID] = (),
    people: Sequence[uuid.UUID] = (),
    title: str = "Agentic intrusion into the payments gateway",
    indicators: Sequence[tuple[str, str]] = INDICATORS,
) -> IncidentView:
    with container.uow() as uow:
        now = uow.clock.now()
        return service.report_incident(
            uow,
            person.principal,
            title=title,
            systems="Payments gateway, internal wiki",
            sectors=["financial_services"],
            started_at=now - timedelta(days=2),
            detected_at=now - timedelta(days=1),
            detection="endpoint_detection",
            detection_details="EDR flagged a scripted lateral movement at machine speed",
            model_text="an autonomous agent on an open-weights model",
            narrative="The agent enumerated the gateway's API and exfiltrated test card data.",
            indicators=indicators,
            tlp=tlp,
            recipient_orgs=orgs,
            recipient_people=people,
        )


def triage_and_refer(
    container: Container, world: World, incident_id: uuid.UUID, people: Sequence[uuid.UUID] = ()
) -> IncidentView:
    with container.uow() as uow:
        service.triage(uow, world.analyst.principal, incident_id, status="under_review")
    with container.uow() as uow:
        return service.refer(uow, world.analyst.principal, incident_id, organization_id=world.fbi.id, people=people)


def refreshed(container: Container, person: Person) -> Person:
    return Person(user=person.user, principal=principal_of(container, person.user.id), password=person.password)
