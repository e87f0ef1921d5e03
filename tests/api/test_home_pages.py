"""Each role's home page over HTTP: what needs its attention, and what it must never show."""

from __future__ import annotations

import re

import httpx
import pytest

from frontier_review import engagements
from frontier_review.bootstrap import Container
from frontier_review.evals.tasks import RUN_TASK
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from tests.api.helpers import web_login
from tests.factories import clearinghouse as clearinghouse_factories
from tests.factories.home import World, make_world
from tests.factories.identity import Person, make_org, make_user


@pytest.fixture
def world(container: Container) -> World:
    return make_world(container)


def _home(http: httpx.Client, person: Person, query: str = "") -> str:
    assert web_login(http, person.email, person.password).status_code == 303
    page = http.get("/" + query)
    assert page.status_code == 200
    return page.text


def _main(html: str) -> str:
    """The page's own content (the header and navigation left out)."""
    return html.split('<main id="main"', 1)[1]


def test_the_developer_sees_findings_by_severity_acceptance_countdowns_and_inquiries(world: World, http: httpx.Client) -> None:
    main = world.main
    html = _main(_home(http, main.developer))
    assert "Findings awaiting your answer" in html
    assert 'href="/?severity=high#findings">1 high</a>' in html
    assert "0 critical" in html  # the TLP:RED finding names someone else: not even counted
    assert f'href="/engagements/{main.engagement.id}/findings/{world.high.id}"' in html and world.high.title in html
    assert world.red.title not in html and str(world.red.id) not in html
    assert world.answered.title not in html  # answered already
    assert world.foreign.title not in html and world.other.engagement.title not in html  # another developer's
    assert main.engagement.title in html
    assert f'data-countdown="{main.engagement.window.end.isoformat()}"' in html
    assert "Not yet accepted terms v1:</span> Cyber Command" in html
    assert f'href="/coverage/inquiries/{world.needs_information.id}"' in html
    assert "The program office asked you for more information." in html
    assert f'href="/coverage/inquiries/{world.unassigned.id}"' in html


def test_counts_link_to_the_list_filtered_by_severity(world: World, http: httpx.Client) -> None:
    filtered = _main(_home(http, world.dev_member, "?severity=critical"))
    assert world.red.title in filtered and world.high.title not in filtered
    assert 'aria-current="true">1 critical</a>' in filtered and 'href="/#findings">Show every severity</a>' in filtered
    everything = _main(http.get("/?severity=nonsense").text)
    assert world.red.title in everything and world.high.title in everything


def test_the_reviewer_gets_its_engagements_with_their_buttons_and_time_left(world: World, http: httpx.Client) -> None:
    main = world.main
    eid = main.engagement.id
    html = _main(_home(http, main.reviewer))
    assert main.engagement.title in html
    for href in (f"/engagements/{eid}/playground", f"/engagements/{eid}#access", f"/engagements/{eid}/findings/new"):
        assert f'href="{href}"' in html
    assert f'data-countdown="{main.engagement.window.end.isoformat()}"' in html
    assert world.other.engagement.title not in html
    assert "From the clearinghouse" in html and "Not available yet." not in html
    assert "Findings awaiting your answer" not in html and "Coverage inquiry" not in html


def test_a_participant_that_has_not_accepted_is_told_so_and_gets_no_buttons(world: World, http: httpx.Client) -> None:
    eid = world.main.engagement.id
    html = _main(_home(http, world.late_reviewer))
    assert world.main.engagement.title in html
    assert "admin has not accepted terms v1 yet" in html
    assert f"/engagements/{eid}/playground" not in html and f"/engagements/{eid}/findings/new" not in html


def test_the_admin_of_that_participant_is_sent_to_the_terms(world: World, http: httpx.Client) -> None:
    html = _main(_home(http, world.late_admin))
    assert f'href="/engagements/{world.main.engagement.id}#terms">Read and accept the terms</a>' in html


def test_a_revoked_reviewer_sees_nothing_of_the_engagement(container: Container, world: World, http: httpx.Client) -> None:
    main = world.main
    with container.uow() as uow:
        engagements.revoke_user(uow, main.developer.principal, main.engagement.id, main.reviewer.user.id)
    html = _main(_home(http, main.reviewer))
    assert main.engagement.title not in html and str(main.engagement.id) not in html
    assert "No engagement is open to your organization right now." in html


def test_the_program_office_sees_its_queue_runs_and_engagements_by_state(world: World, http: httpx.Client) -> None:
    html = _main(_home(http, world.director))
    assert "<strong>1</strong> unassigned · <strong>0</strong> assigned · <strong>1</strong> waiting for the developer" in html
    assert f'href="/coverage/inquiries/{world.unassigned.id}"' in html
    assert f'href="/coverage/inquiries/{world.needs_information.id}"' in html  # assigned to the director
    assert "<strong>1</strong> running · <strong>1</strong> queued" in html
    assert f'href="/evals/runs/{world.open_run}"' in html and f'href="/evals/runs/{world.secret_run}"' in html
    assert "secret-suite@1" in html
    assert "<strong>2</strong> active" in html
    assert world.main.engagement.title in html and world.other.engagement.title in html
    # Findings are the developer's to answer; the home page shows none to the program office.
    assert world.high.title not in html


def test_an_uncleared_program_office_member_sees_no_trace_of_a_classified_run(world: World, http: httpx.Client) -> None:
    html = _main(_home(http, world.po_member))
    assert "<strong>1</strong> running · <strong>0</strong> queued" in html
    assert f'href="/evals/runs/{world.open_run}"' in html
    assert str(world.secret_run) not in html and "secret-suite" not in html


def test_the_operator_sees_chain_queue_and_locked_accounts(container: Container, world: World, http: httpx.Client) -> None:
    for person in (world.main.reviewer, world.director):
        with container.uow() as uow:
            for _ in range(container.settings.login_max_failures):
                identity.login(uow, email=person.email, password="wrong guess")
    container.jobs.enqueue(RUN_TASK, "00000000-0000-0000-0000-000000000000")  # nobody consumes it here
    html = _main(_home(http, world.operator))
    assert re.search(r'<span class="pill pill-success">intact</span> to entry #\d+', html)
    assert '<strong class="big">1</strong> job waiting to run' in html
    assert world.main.reviewer.email in html and f'href="/organizations/{world.main.agency.id}"' in html
    assert world.director.email not in html  # a cleared account is its own office's to unlock
    # Operators are party to no engagement and get none of the parties' sections.
    assert world.main.engagement.title not in html and "Findings awaiting" not in html


def test_an_agency_admin_sees_its_own_locked_people(container: Container, world: World, http: httpx.Client) -> None:
    with container.uow() as uow:
        for _ in range(container.settings.login_max_failures):
            identity.login(uow, email=world.main.reviewer.email, password="wrong guess")
    assert world.main.reviewer.email in _main(_home(http, world.main.agency_admin))


def test_the_clearinghouse_sees_its_queue_counts_incidents_overlaps_and_webhooks(
    container: Container, http: httpx.Client
) -> None:
    org = make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury Clearinghouse")
    analyst = make_user(container, org, role=Role.ADMIN)
    html = _main(_home(http, analyst))
    assert "Clearinghouse work" in html and "Not available yet." not in html
    for part in ("awaiting validation", "open incidents", "scan overlaps to resolve", "failing webhook deliveries"):
        assert part in html
    assert "Engagements open to" not in html


def test_a_partner_with_nothing_open_gets_words_not_a_blank(container: Container, http: httpx.Client) -> None:
    org = make_org(container, OrgKind.PARTNER, name="First Federal Bank")
    person = make_user(container, org)
    html = _main(_home(http, person))
    assert "No engagement is open to your organization right now." in html
    assert "No open report reaches First Federal Bank right now." in html


def test_a_second_bank_sees_nothing_of_the_first_banks_amber_report(container: Container, http: httpx.Client) -> None:
    ch = clearinghouse_factories.make_world(container)
    report = clearinghouse_factories.submit(container, ch.submitter, title="Amber only for the first bank", orgs=[ch.bank_id])
    clearinghouse_factories.validate(container, ch, report.id)
    first = _main(_home(http, ch.bank))
    assert "Amber only for the first bank" in first and "<strong>1</strong> reports addressed to" in first
    http.cookies.clear()
    second = _main(_home(http, ch.bank2))
    assert "Amber only for the first bank" not in second and str(report.id) not in second
    assert "<strong>0</strong> reports addressed to" in second
    http.cookies.clear()
    hub = http.get("/clearinghouse") if web_login(http, ch.bank2.email, ch.bank2.password).status_code == 303 else None
    assert hub is not None and hub.status_code == 200 and "Amber only for the first bank" not in hub.text


NAV_RE = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("developer", ["Models", "Engagements", "Coverage inquiries", "Policies"], ["Benchmarks", "Organizations"]),
        ("director", ["Coverage inquiries", "Benchmarks", "Organizations", "Audit log"], ["Models"]),
        ("reviewer", ["Engagements", "Account"], ["Policies", "Models", "Coverage inquiries", "Trusted partners"]),
        ("operator", ["Organizations", "Audit log"], ["Engagements", "Models", "My organization"]),
    ],
)
def test_the_navigation_shows_each_role_its_sections(
    world: World, http: httpx.Client, who: str, shown: list[str], hidden: list[str]
) -> None:
    person = {
        "developer": world.main.developer,
        "director": world.director,
        "reviewer": world.main.reviewer,
        "operator": world.operator,
    }[who]
    nav = NAV_RE.search(_home(http, person))
    assert nav is not None
    labels = re.findall(r">([^<>]+)</a>", nav.group(1))
    assert set(shown) <= set(labels) and not set(hidden) & set(labels)
    assert '<a href="/" aria-current="page">Home</a>' in nav.group(1)
    engagement_page = NAV_RE.search(http.get(f"/engagements/{world.main.engagement.id}").text if who != "operator" else "")
    if engagement_page is not None:
        assert '<a href="/engagements" aria-current="true">Engagements</a>' in engagement_page.group(1)
