"""Factories for the clearinghouse: a world of organizations and people, and reports in it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse import reports
from frontier_review.clearinghouse.reports import ReportInput, ReportView
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role, Sector
from tests.factories.identity import SYSTEM, Person, make_org, make_superuser, make_user

V31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
SECRET = "the parser overflows on a 70000-byte header"


@dataclass(frozen=True)
class World:
    """Every principal shape of the TLP leak suite."""

    treasury: Person  # clearinghouse member
    treasury_admin: Person
    submitter: Person  # a member of the source (a hospital system)
    source_colleague: Person
    bank: Person  # member of the recipient bank
    bank_named: Person  # a second member of the recipient bank, named under RED
    bank2: Person  # another member organization (a second bank)
    validator: Person  # member of the validator organization (an agency)
    program_office: Person
    developer: Person
    operator: Person  # platform operator: superuser, no organization
    deactivated: Person  # a deactivated member of the recipient bank
    source_id: uuid.UUID
    bank_id: uuid.UUID
    bank2_id: uuid.UUID
    validator_id: uuid.UUID


def make_world(container: Container) -> World:
    treasury_org = make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury Clearinghouse")
    hospital = make_org(container, OrgKind.PARTNER, name="Mercy Health", sector=Sector.HEALTHCARE_AND_PUBLIC_HEALTH)
    bank = make_org(container, OrgKind.PARTNER, name="First Federal", sector=Sector.FINANCIAL_SERVICES)
    bank2 = make_org(container, OrgKind.PARTNER, name="Second National", sector=Sector.FINANCIAL_SERVICES)
    agency = make_org(container, OrgKind.AGENCY, name="CISA-like agency")
    po = make_org(container, OrgKind.PROGRAM_OFFICE, name="Program office")
    dev = make_org(container, OrgKind.DEVELOPER, name="Model developer")
    deactivated = make_user(container, bank)
    with container.uow() as uow:
        identity.update_user(uow, SYSTEM, deactivated.user.id, is_active=False)
    return World(
        treasury=make_user(container, treasury_org),
        treasury_admin=make_user(container, treasury_org, role=Role.ADMIN),
        submitter=make_user(container, hospital),
        source_colleague=make_user(container, hospital),
        bank=make_user(container, bank),
        bank_named=make_user(container, bank),
        bank2=make_user(container, bank2),
        validator=make_user(container, agency),
        program_office=make_user(container, po),
        developer=make_user(container, dev),
        operator=make_superuser(container, email=f"op-{uuid.uuid4().hex[:6]}@example.org"),
        deactivated=deactivated,
        source_id=hospital.id,
        bank_id=bank.id,
        bank2_id=bank2.id,
        validator_id=agency.id,
    )


def submit(
    container: Container,
    person: Person,
    *,
    tlp: str = "TLP:AMBER",
    title: str = "Heap overflow in the HL7 parser",
    orgs: list[uuid.UUID] | None = None,
    people: list[uuid.UUID] | None = None,
    cve: str = "CVE-2026-10001",
    **fields: object,
) -> ReportView:
    with container.uow() as uow:
        return reports.submit(
            uow,
            person.principal,
            ReportInput(
                **{  # type: ignore[arg-type]
                    "title": title,
                    "description": f"Steps: {SECRET}.",
                    "tlp": tlp,
                    "cve_id": cve,
                    "cvss31": V31,
                    "sectors": ["healthcare_and_public_health"],
                    **fields,
                }
            ),
            recipient_orgs=orgs or [],
            recipient_people=people or [],
        )


def validate(container: Container, world: World, report_id: uuid.UUID) -> ReportView:
    with container.uow() as uow:
        return reports.validate(
            uow, world.treasury.principal, report_id, reproduced=True, versions_confirmed=True, notes="reproduced on 2.3.1"
        )
