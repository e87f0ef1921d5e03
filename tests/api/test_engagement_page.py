"""The engagement page by task (issue 12, item 4), rendered for each role over real HTTP.

Tabs in the order the viewer's role needs them; banners for terms not accepted and release; no
Revoke buttons after release; the person to revoke picked from the participants' members; the
token form only once the viewer's organization accepted the current terms; a revoked person
learns it from the engagement list, never from the engagement's page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from frontier_review.bootstrap import Container
from frontier_review.engagements.lifecycle import participants
from frontier_review.engagements.lifecycle import versions as versions_api
from frontier_review.identity.domain import OrgKind
from tests.api.confirming import confirmed_post
from tests.api.helpers import web_login
from tests.factories.engagements import Setup, make_engagement
from tests.factories.identity import Person, make_org, make_user

TAB = re.compile(r'<a href="#([a-z]+)" id="tab-\1">')


@contextmanager
def _signed_in(base_url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


def _page(base_url: str, person: Person, setup: Setup) -> str:
    with _signed_in(base_url, person) as client:
        response = client.get(f"/engagements/{setup.engagement.id}")
        assert response.status_code == 200, response.text
        return response.text


@pytest.fixture
def setup(container: Container) -> Setup:
    return make_engagement(container)


def test_each_role_gets_its_tabs_in_the_order_it_works(setup: Setup, base_url: str) -> None:
    assert TAB.findall(_page(base_url, setup.developer, setup)) == ["overview", "participants", "findings", "materials"]
    reviewer = _page(base_url, setup.reviewer, setup)
    assert TAB.findall(reviewer) == ["overview", "access", "findings", "materials", "participants"]
    assert TAB.findall(_page(base_url, setup.partner_reviewer, setup)) == TAB.findall(reviewer)
    assert TAB.findall(_page(base_url, setup.program_office, setup)) == ["overview", "findings", "participants", "materials"]
    # Each tab is a section labelled by its heading, whatever the order.
    for tab in ("overview", "access", "findings", "materials", "participants"):
        assert f'<section id="{tab}" class="tab-panel" aria-labelledby="{tab}-heading"' in reviewer
        assert f'id="{tab}-heading"' in reviewer


def test_a_reviewer_reaches_the_playground_tokens_and_the_filing_page(setup: Setup, base_url: str) -> None:
    page = _page(base_url, setup.reviewer, setup)
    assert f'href="/engagements/{setup.engagement.id}/playground"' in page
    assert f'href="/engagements/{setup.engagement.id}/findings/new"' in page
    assert f'action="/engagements/{setup.engagement.id}/tokens"' in page
    assert "Terms not accepted" not in page
    # No developer controls, no revoke picker.
    assert "/revoke-user" not in page and "Release the model" not in page


def test_the_developer_sees_the_usage_charts_on_the_page(setup: Setup, base_url: str) -> None:
    page = _page(base_url, setup.developer, setup)
    assert 'id="usage"' in page and 'id="usage-charts"' in page
    assert "Gateway usage per day" in page


def test_the_revoke_picker_lists_only_the_participants_members(container: Container, setup: Setup, base_url: str) -> None:
    outsider = make_user(container, make_org(container, OrgKind.AGENCY))
    colleague = make_user(container, make_org(container, OrgKind.DEVELOPER))
    page = _page(base_url, setup.developer, setup)
    picker = re.search(r'<select id="revoke-user-id" name="user_id"[^>]*>(.*?)</select>', page, re.S)
    assert picker, "the developer gets a picker, not a text box"
    offered = set(re.findall(r'<option value="([0-9a-f-]{36})"', picker.group(1)))
    members = {
        setup.agency_admin.principal.user_id,
        setup.reviewer.principal.user_id,
        setup.partner_admin.principal.user_id,
        setup.partner_reviewer.principal.user_id,
    }
    assert offered == {str(u) for u in members}
    for stranger in (outsider, colleague, setup.developer, setup.program_office):
        assert stranger.email not in picker.group(1)
    assert 'name="email"' not in page


def test_revoking_from_the_picker_cuts_the_person_off_and_drops_them_from_it(
    container: Container, setup: Setup, base_url: str
) -> None:
    eng = setup.engagement.id
    with _signed_in(base_url, setup.developer) as client:
        posted = confirmed_post(client, f"/engagements/{eng}/revoke-user", {"user_id": str(setup.reviewer.principal.user_id)})
        assert posted.status_code == 303, posted.text
        after = client.get(posted.headers["location"]).text
    picker = re.search(r'name="user_id"[^>]*>(.*?)</select>', after, re.S)
    assert picker and setup.reviewer.email not in picker.group(1)
    assert setup.reviewer.email in after  # listed among the revoked people
    with _signed_in(base_url, setup.reviewer) as client:
        # Hidden exactly like a missing engagement; the list says where access ended, and no more.
        assert client.get(f"/engagements/{eng}").status_code == 404
        listing = client.get("/engagements").text
        assert "Where your access was revoked" in listing
        assert setup.engagement.title in listing
        assert f"/engagements/{eng}" not in listing
    with _signed_in(base_url, setup.agency_admin) as client:
        # The rest of the organization sees who was cut off.
        overview = client.get(f"/engagements/{eng}").text
        assert "Access revoked" in overview and setup.reviewer.email in overview
    with container.uow() as uow:
        assert participants.list_my_revocations(uow, setup.agency_admin.principal) == []


def test_before_acceptance_no_token_form_and_a_banner_says_why(container: Container, base_url: str) -> None:
    setup = make_engagement(container, accept=False)
    page = _page(base_url, setup.reviewer, setup)
    assert "Terms not accepted" in page
    assert f'action="/engagements/{setup.engagement.id}/tokens"' not in page
    assert 'id="token-refusal"' in page and "has not accepted version 1 of the terms" in page
    assert f"/engagements/{setup.engagement.id}/findings/new" not in page
    admin = _page(base_url, setup.agency_admin, setup)
    assert f'action="/engagements/{setup.engagement.id}/accept"' in admin
    assert 'href="#terms"' in admin
    developer = _page(base_url, setup.developer, setup)
    assert "2 participants have not accepted version 1" in developer


def test_after_release_no_revoke_buttons_and_the_release_time(container: Container, setup: Setup, base_url: str) -> None:
    with container.uow() as uow:
        versions_api.release_version(uow, setup.developer.principal, setup.engagement.version_id)
    released = container.clock.now().strftime("%Y-%m-%d %H:%M UTC")
    for person in (setup.developer, setup.reviewer, setup.program_office):
        page = _page(base_url, person, setup)
        assert "Released" in page and released in page, person.email
        assert ">Revoke<" not in page and "Revoke person" not in page and "/revoke" not in page
        assert "Release the model" not in page
        assert f'action="/engagements/{setup.engagement.id}/tokens"' not in page
        assert f"/engagements/{setup.engagement.id}/findings/new" not in page
