"""A world with pending work for every role's home page: two developers, findings, inquiries, runs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from frontier_review import engagements
from frontier_review.bootstrap import Container
from frontier_review.coverage import inquiries, results
from frontier_review.coverage.inquiries import InquiryView
from frontier_review.engagements.findings.views import FindingView
from frontier_review.evals import targets
from frontier_review.evals.domain import RunStatus
from frontier_review.evals.orm import BenchmarkRun
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.identity.service import OrganizationView
from frontier_review.kernel.ids import new_id
from tests.factories.coverage import make_version
from tests.factories.engagements import Setup, make_engagement
from tests.factories.identity import SYSTEM, Person, make_org, make_superuser, make_user

DESCRIPTION = "Steps to reproduce are in the attached transcript."


@dataclass(frozen=True)
class World:
    """Who is who, and the pending items each home page should show (or hide)."""

    main: Setup  # an active engagement of the first developer: agency and partner accepted
    other: Setup  # another developer's active engagement, with its own finding
    late: OrganizationView  # an agency invited to ``main`` that has not accepted the terms
    late_admin: Person
    late_reviewer: Person
    dev_member: Person  # the first developer's member named on the TLP:RED finding
    high: FindingView  # TLP:AMBER, high, open: the developer's to answer
    red: FindingView  # TLP:RED, critical, open, naming only ``dev_member``
    answered: FindingView  # medium, acknowledged: not waiting any more
    foreign: FindingView  # on ``other``: never the first developer's business
    director: Person  # cleared program-office admin
    po_member: Person  # uncleared program-office member
    unassigned: InquiryView
    needs_information: InquiryView
    open_run: uuid.UUID  # a running run of an unclassified suite
    secret_run: uuid.UUID  # a queued run of a classified suite
    operator: Person


def _file(
    container: Container, person: Person, setup: Setup, title: str, severity: str, tlp: str, **extra: object
) -> FindingView:
    with container.uow() as uow:
        return engagements.file_finding(
            uow,
            person.principal,
            setup.engagement.id,
            title=title,
            category="other",
            severity=severity,
            tlp=tlp,
            description=DESCRIPTION,
            **extra,  # type: ignore[arg-type]
        )


def _run(container: Container, benchmark_id: uuid.UUID, target_id: uuid.UUID, status: RunStatus) -> uuid.UUID:
    run_id = new_id()
    now = container.clock.now()
    with container.uow() as uow:
        uow.session.add(
            BenchmarkRun(
                id=run_id,
                benchmark_id=benchmark_id,
                target_id=target_id,
                status=status.value,
                max_connections=4,
                max_retries=0,
                timeout_seconds=60,
                scaffold_version="generate/choice/prompt-0",
                samples_total=60,
                samples_done=12 if status is RunStatus.RUNNING else 0,
                created_by="tests",
                created_at=now,
                started_at=now if status is RunStatus.RUNNING else None,
            )
        )
    return run_id


def make_world(container: Container) -> World:
    main = make_engagement(container)
    other = make_engagement(container)
    late = make_org(container, OrgKind.AGENCY, name="Cyber Command")
    late_admin = make_user(container, late, role=Role.ADMIN)
    late_reviewer = make_user(container, late)
    dev_org = main.developer.user.organization_id
    assert dev_org is not None
    with container.uow() as uow:
        dev_member_org = identity.get_organization(uow, SYSTEM, dev_org)
        engagements.invite(uow, main.developer.principal, main.engagement.id, organization_id=late.id)
    dev_member = make_user(container, dev_member_org)
    high = _file(container, main.reviewer, main, "Writes a working heap exploit", "high", "TLP:AMBER")
    red = _file(
        container,
        main.partner_reviewer,
        main,
        "Bypasses the infusion-pump safeguard",
        "critical",
        "TLP:RED",
        recipients=[dev_member.user.id],
    )
    answered = _file(container, main.reviewer, main, "Explains a known CVE", "medium", "TLP:GREEN")
    foreign = _file(container, other.reviewer, other, "Another developer's jailbreak", "high", "TLP:AMBER")
    with container.uow() as uow:
        engagements.comment(uow, main.developer.principal, answered.id, body="Known; fixed in rc2.", status="acknowledged")

    po = make_org(container, OrgKind.PROGRAM_OFFICE, name="Program Office")
    director = make_user(container, po, role=Role.ADMIN, cleared=True)
    po_member = make_user(container, po)
    version = make_version(container, main.developer, label="rc-home-1")
    second = make_version(container, main.developer, label="rc-home-2")
    with container.uow() as uow:
        unassigned = inquiries.file_inquiry(uow, main.developer.principal, version.id, question="Is rc-home-1 covered?")
        asked = inquiries.file_inquiry(uow, main.developer.principal, second.id, question="Is rc-home-2 covered?")
        inquiries.assign(uow, director.principal, asked.id)
        needs_information = inquiries.request_information(
            uow, director.principal, asked.id, message="Declare the RL post-training compute."
        )
        open_bench = results.register_benchmark(
            uow, director.principal, name="open-suite", version="1", title="Open suite", domain="cyber", classified=False
        )
        secret_bench = results.register_benchmark(
            uow, director.principal, name="secret-suite", version="1", title="Secret suite", domain="cyber", classified=True
        )
        target = targets.create_target(
            uow, director.principal, name="atlas-target", model="mockllm/model", model_version_id=version.id
        )
    open_run = _run(container, open_bench.id, target.id, RunStatus.RUNNING)
    secret_run = _run(container, secret_bench.id, target.id, RunStatus.QUEUED)
    return World(
        main=main,
        other=other,
        late=late,
        late_admin=late_admin,
        late_reviewer=late_reviewer,
        dev_member=dev_member,
        high=high,
        red=red,
        answered=answered,
        foreign=foreign,
        director=director,
        po_member=po_member,
        unassigned=unassigned,
        needs_information=needs_information,
        open_run=open_run,
        secret_run=secret_run,
        operator=make_superuser(container),
    )
