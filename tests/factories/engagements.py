"""Factories for engagements: a developer's version offered to an agency (and a partner)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from frontier_review import engagements as service
from frontier_review.bootstrap import Container
from frontier_review.engagements.access import service as access
from frontier_review.engagements.lifecycle import partners
from frontier_review.engagements.lifecycle.domain import Materials, Protections, Quotas, Recipients, Window
from frontier_review.engagements.lifecycle.views import EngagementView
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.identity.service import OrganizationView
from frontier_review.kernel.errors import Conflict
from tests.factories.coverage import make_version
from tests.factories.identity import SYSTEM, Person, make_org, make_user

CONFIDENTIALITY = "Recipients keep every output and material confidential and share nothing outside the review."


@dataclass(frozen=True)
class Setup:
    """Who is who around one engagement."""

    engagement: EngagementView
    developer: Person
    agency: OrganizationView
    agency_admin: Person
    reviewer: Person
    partner: OrganizationView
    partner_admin: Person
    partner_reviewer: Person
    program_office: Person


def protections(*, transcripts: bool = False) -> Protections:
    return Protections(confidentiality_text=CONFIDENTIALITY, transcript_retention=transcripts)


def make_engagement(
    container: Container,
    *,
    upstream_url: str | None = None,
    start: datetime | None = None,
    days: int = 10,
    partners_after: timedelta | None = None,
    quotas: Quotas | None = None,
    transcripts: bool = False,
    accept: bool = True,
    offer: bool = True,
) -> Setup:
    """A developer, an agency and a designated partner, with the engagement offered and accepted."""
    now = container.clock.now()
    start = start or now
    dev_org = make_org(container, OrgKind.DEVELOPER)
    developer = make_user(container, dev_org, role=Role.ADMIN)
    agency = make_org(container, OrgKind.AGENCY)
    agency_admin = make_user(container, agency, role=Role.ADMIN)
    reviewer = make_user(container, agency)
    partner = make_org(container, OrgKind.PARTNER)
    partner_admin = make_user(container, partner, role=Role.ADMIN)
    partner_reviewer = make_user(container, partner)
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    program_office = make_user(container, po, role=Role.ADMIN)
    version = make_version(container, developer, label=f"rc-{agency.id.hex[:6]}")
    with container.uow() as uow:
        partners.designate(
            uow,
            SYSTEM,
            organization_id=partner.id,
            sector="energy",
            basis="Operates a regional grid; vetted by the program office.",
            expires_at=now + timedelta(days=365),
        )
    with container.uow() as uow:
        view = service.open_engagement(
            uow,
            developer.principal,
            version_id=version.id,
            title=f"Review of Atlas {version.label}",
            window=Window(start, start + timedelta(days=days)),
            recipients=Recipients.FEDERAL_AND_PARTNERS,
            partners_from=start + partners_after if partners_after else None,
            materials=Materials(api_access=True, system_card=True, reduced_safeguard_variant=True),
            protections=protections(transcripts=transcripts),
            quotas=quotas or Quotas(),
        )
        service.invite(uow, developer.principal, view.id, organization_id=agency.id)
        service.invite(uow, developer.principal, view.id, organization_id=partner.id)
        if upstream_url:
            access.set_upstream(
                uow,
                developer.principal,
                view.id,
                variant="standard",
                base_url=upstream_url,
                api_key="sk-upstream-secret-123",
                upstream_model="fake",
                require_https=False,
                allow_private=True,
            )
        if offer:
            view = service.offer(uow, developer.principal, view.id)
    if offer and accept:
        for attempt in range(3):
            # Where real workers run (tests/integration/test_scale_out.py), their sweeper may
            # record the window's start in the same instant: a Conflict, nothing written, try again.
            try:
                with container.uow() as uow:
                    service.accept_terms(uow, agency_admin.principal, view.id, terms_number=1)
                    view = service.accept_terms(uow, partner_admin.principal, view.id, terms_number=1)
                break
            except Conflict:
                if attempt == 2:
                    raise
    with container.uow() as uow:
        view = service.get_engagement(uow, developer.principal, view.id)
    return Setup(view, developer, agency, agency_admin, reviewer, partner, partner_admin, partner_reviewer, program_office)


def gateway_token(container: Container, person: Person, setup: Setup) -> str:
    with container.uow() as uow:
        return access.issue_token(uow, person.principal, setup.engagement.id, name="laptop").plaintext


def settled(container: Container, timeout: float = 10.0) -> None:
    """Wait until every forwarded call's outcome is in the access log.

    The gateway writes a call's row ahead and its outcome just after the response (see
    ``gateway.recorder``), so a test reading outcomes right after a call waits for them here.
    """
    import time

    import sqlalchemy as sa

    from frontier_review.engagements.access.orm import AccessLog
    from frontier_review.engagements.access.recorder import IN_FLIGHT

    deadline = time.monotonic() + timeout
    while True:
        with container.sessions() as session:
            pending = session.scalar(sa.select(sa.func.count()).select_from(AccessLog).where(AccessLog.outcome == IN_FLIGHT))
        if not pending:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{pending} gateway calls still in flight after {timeout} s")
        time.sleep(0.02)
