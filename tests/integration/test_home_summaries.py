"""The home page's read models: each decides through its area's rules, and stays a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event, select

from frontier_review import engagements
from frontier_review.bootstrap import Container
from frontier_review.coverage import summary as coverage_summary
from frontier_review.coverage.inquiries import InquiryStatus
from frontier_review.engagements.findings import summary as findings_summary
from frontier_review.engagements.findings.domain import Severity
from frontier_review.engagements.lifecycle import partners, summary, views
from frontier_review.engagements.lifecycle.domain import EngagementState
from frontier_review.engagements.lifecycle.orm import Engagement, PartnerDesignation
from frontier_review.evals import summary as evals_summary
from frontier_review.home.page import Role, home_page
from frontier_review.identity import service as identity
from frontier_review.identity import summary as identity_summary
from frontier_review.kernel.clock import FrozenClock
from tests.factories.engagements import make_engagement
from tests.factories.home import make_world
from tests.factories.identity import SYSTEM


@contextmanager
def counting(container: Container) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(container.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(container.engine, "before_cursor_execute", record)


def test_bulk_refs_are_the_rules_refs_one_engagement_at_a_time(container: Container, clock: FrozenClock) -> None:
    world = make_world(container)
    main = world.main
    other = world.other
    with container.uow() as uow:
        engagements.revoke_user(uow, main.developer.principal, main.engagement.id, main.reviewer.user.id)
        designation = uow.session.scalar(select(PartnerDesignation).where(PartnerDesignation.organization_id == main.partner.id))
        assert designation is not None
        partners.revoke_designation(uow, SYSTEM, designation.id)
        partners.designate(
            uow,
            SYSTEM,
            organization_id=main.partner.id,
            sector="energy",
            basis="Renewed for nine days only.",
            expires_at=clock.now() + timedelta(days=9),
        )
        agency = next(p for p in other.engagement.participants if p.organization_id == other.agency.id)
        engagements.revoke_participant(uow, other.developer.principal, other.engagement.id, agency.id)
    clock.advance(timedelta(days=1))
    with container.uow() as uow:
        rows = list(uow.session.scalars(select(Engagement)))
        loaded = summary.load_refs(uow, rows)
        assert len(rows) == 2
        for row in rows:
            assert loaded.refs[row.id] == views.get_ref(uow, row)


def test_a_revoked_reviewer_sees_nothing_of_the_engagement(container: Container) -> None:
    setup = make_engagement(container)
    with container.uow() as uow:
        before = summary.overview(uow, setup.reviewer.principal)
        engagements.revoke_user(uow, setup.developer.principal, setup.engagement.id, setup.reviewer.user.id)
    with container.uow() as uow:
        after = summary.overview(uow, setup.reviewer.principal)
        colleague = summary.overview(uow, setup.agency_admin.principal)
    assert [c.id for c in before.open] == [setup.engagement.id]
    assert before.open[0].may_review and before.open[0].may_file
    assert after.open == () and sum(after.by_state.values()) == 0
    assert [c.id for c in colleague.open] == [setup.engagement.id]


def test_developers_count_only_their_own_findings_in_their_tlp_audience(container: Container) -> None:
    world = make_world(container)
    with container.uow() as uow:
        admin = findings_summary.open_findings(uow, world.main.developer.principal)
        named = findings_summary.open_findings(uow, world.dev_member.principal)
        critical = findings_summary.open_findings(uow, world.dev_member.principal, severity=Severity.CRITICAL)
        other = findings_summary.open_findings(uow, world.other.developer.principal)
        reviewer = findings_summary.open_findings(uow, world.main.reviewer.principal)
    assert [f.id for f in admin.items] == [world.high.id]  # not the TLP:RED one, not the answered one
    assert admin.counts[Severity.HIGH] == 1 and admin.counts[Severity.CRITICAL] == 0 and admin.total == 1
    assert [f.id for f in named.items] == [world.red.id, world.high.id]  # most severe first
    assert [f.id for f in critical.items] == [world.red.id] and critical.total == 2
    assert [f.id for f in other.items] == [world.foreign.id]
    assert reviewer.total == 0


def test_the_program_office_queue_and_runs(container: Container) -> None:
    world = make_world(container)
    with container.uow() as uow:
        director = coverage_summary.pending_inquiries(uow, world.director.principal)
        member_runs = evals_summary.active_runs(uow, world.po_member.principal)
        director_runs = evals_summary.active_runs(uow, world.director.principal)
        developer = coverage_summary.pending_inquiries(uow, world.main.developer.principal)
        stranger = coverage_summary.pending_inquiries(uow, world.other.developer.principal)
        assert evals_summary.active_runs(uow, world.main.developer.principal) is None
    assert director.queue and [i.id for i in director.items] == [world.unassigned.id]
    assert [i.id for i in director.assigned_to_me] == [world.needs_information.id]
    statuses = (InquiryStatus.OPEN, InquiryStatus.ASSIGNED, InquiryStatus.NEEDS_INFORMATION)
    assert [director.counts[s] for s in statuses] == [1, 0, 1]
    assert not developer.queue and [i.id for i in developer.items] == [world.needs_information.id, world.unassigned.id]
    assert stranger.items == ()
    assert director_runs is not None and {r.id for r in director_runs.items} == {world.open_run, world.secret_run}
    # The classified suite's run is neither listed nor counted for an uncleared member.
    assert member_runs is not None and [r.id for r in member_runs.items] == [world.open_run]
    assert (member_runs.running, member_runs.queued) == (1, 0)


def test_engagements_by_state_for_the_program_office(container: Container, clock: FrozenClock) -> None:
    world = make_world(container)
    make_engagement(container, start=clock.now() + timedelta(days=2))
    draft = make_engagement(container, offer=False)
    with container.uow() as uow:
        engagements.close(uow, world.other.developer.principal, world.other.engagement.id)
        overview = summary.overview(uow, world.director.principal)
        developer = summary.overview(uow, draft.developer.principal)
    assert overview.by_state == {
        EngagementState.DRAFT: 0,  # drafts are the developer's own
        EngagementState.OFFERED: 1,
        EngagementState.ACTIVE: 1,
        EngagementState.CLOSED: 1,
    }
    assert [c.state for c in overview.open] == [EngagementState.ACTIVE, EngagementState.OFFERED]
    assert [c.state for c in developer.open] == [EngagementState.DRAFT]
    clock.advance(timedelta(days=45))
    with container.uow() as uow:
        assert sum(summary.overview(uow, world.director.principal).by_state.values()) == 0  # long closed: history


def test_developers_see_who_has_not_accepted(container: Container) -> None:
    world = make_world(container)
    with container.uow() as uow:
        card = summary.overview(uow, world.main.developer.principal).open[0]
        late = summary.overview(uow, world.late_reviewer.principal).open[0]
        late_admin = summary.overview(uow, world.late_admin.principal).open[0]
    assert card.awaiting_acceptance == ("Cyber Command",)
    assert late.awaiting_acceptance == ()  # a participant sees only its own participation
    assert not late.accepted and not late.may_review and not late.may_file and not late.may_accept
    assert late_admin.may_accept


def test_locked_accounts_are_listed_for_those_who_may_unlock_them(container: Container) -> None:
    world = make_world(container)
    for person in (world.main.reviewer, world.director):
        with container.uow() as uow:
            for _ in range(container.settings.login_max_failures):
                identity.login(uow, email=person.email, password="wrong guess")
    with container.uow() as uow:
        operator = identity_summary.locked_accounts(uow, world.operator.principal)
        agency_admin = identity_summary.locked_accounts(uow, world.main.agency_admin.principal)
        reviewer = identity_summary.locked_accounts(uow, world.main.reviewer.principal)
        other_admin = identity_summary.locked_accounts(uow, world.other.agency_admin.principal)
    # Operators do not manage cleared accounts: the director's lock is its own office's business.
    assert [a.email for a in operator] == [world.main.reviewer.email]
    assert [a.email for a in agency_admin] == [world.main.reviewer.email]
    assert reviewer == [] and other_admin == []


@pytest.mark.parametrize("role", ["developer", "program_office", "reviewer"])
def test_the_home_page_reads_a_fixed_number_of_queries(container: Container, role: str) -> None:
    """More engagements and findings make more rows, never more queries (no query per item)."""
    world = make_world(container)
    who = {
        "developer": world.main.developer,
        "program_office": world.director,
        "reviewer": world.main.reviewer,
    }[role]

    def queries() -> int:
        with counting(container) as statements, container.uow() as uow:
            page = home_page(uow, who.principal)
            assert page.role is Role(role)
        return len(statements)

    before = queries()
    for _ in range(3):
        extra = make_engagement(container)
        with container.uow() as uow:
            engagements.invite(uow, extra.developer.principal, extra.engagement.id, organization_id=world.main.agency.id)
            engagements.accept_terms(uow, world.main.agency_admin.principal, extra.engagement.id, terms_number=1)
        with container.uow() as uow:
            engagements.file_finding(
                uow,
                extra.reviewer.principal,
                extra.engagement.id,
                title="Yet another finding",
                category="other",
                severity="low",
                tlp="TLP:CLEAR",
                description="More rows.",
            )
    with container.uow() as uow:  # and more findings on the developer's own engagement
        for i in range(3):
            engagements.file_finding(
                uow,
                world.main.reviewer.principal,
                world.main.engagement.id,
                title=f"Finding number {i}",
                category="other",
                severity="medium",
                tlp="TLP:AMBER",
                description="More rows.",
            )
    assert queries() == before
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Engagement)) == 5
