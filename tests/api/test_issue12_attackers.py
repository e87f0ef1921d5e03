"""Issue 12's pages attacked as three people would, over real HTTP.

A competing developer, a reviewer the developer just revoked, and that reviewer's whole
organization revoked: none of them may learn, from any page issue 12 added or reshaped (the
engagement page's tabs, the playground, the finding page and its form, "my access", the
confirmation steps, the lists with their filters and counts, the home page), anything about an
engagement they do not (or no longer) take part in: not its name, not a finding's title, not a
count. Each refusal changes nothing. (The uncleared program-office admin's side — classified
figures in previews, run charts and the home page — is in ``test_decide_preview``,
``test_run_charts_web`` and ``test_home_pages``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from frontier_review.bootstrap import Container
from frontier_review.engagements.findings import service as findings
from frontier_review.engagements.lifecycle import participants
from frontier_review.engagements.lifecycle import service as lifecycle
from frontier_review.identity.domain import OrgKind, Role
from tests.api.helpers import csrf_from, web_login
from tests.factories.engagements import Setup, gateway_token, make_engagement
from tests.factories.identity import Person, make_org, make_user

FINDING_TITLE = "Canary: heap overflow in the tokenizer"


@pytest.fixture
def setup(container: Container) -> Setup:
    setup = make_engagement(container)
    gateway_token(container, setup.reviewer, setup)
    with container.uow() as uow:
        findings.file_finding(
            uow,
            setup.reviewer.principal,
            setup.engagement.id,
            title=FINDING_TITLE,
            category="third_party_vulnerability",
            severity="high",
            description="A canary that must not leak.",
            tlp="TLP:GREEN",
        )
    return setup


@contextmanager
def _signed_in(base_url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


def _finding_id(container: Container, setup: Setup) -> str:
    with container.uow() as uow:
        (finding,) = findings.list_findings(uow, setup.developer.principal, setup.engagement.id)
    return str(finding.id)


def _pages(setup: Setup, finding_id: str) -> list[str]:
    e = setup.engagement.id
    return [
        f"/engagements/{e}",
        f"/engagements/{e}?tab=findings",
        f"/engagements/{e}?tab=participants",
        f"/engagements/{e}?tab=materials",
        f"/engagements/{e}?tab=access",
        f"/engagements/{e}/playground",
        f"/engagements/{e}/findings/new",
        f"/engagements/{e}/findings/{finding_id}",
    ]


def _canaries(setup: Setup) -> tuple[str, ...]:
    return (setup.engagement.title, setup.engagement.model_id, FINDING_TITLE)


def _sees_nothing(client: httpx.Client, setup: Setup, finding_id: str, *, revoked: bool = False) -> None:
    """Every page of the engagement is missing; lists, filters, counts and home say nothing of it.

    Someone revoked is told where their access ended (the engagement's title and when, in the
    list's "Where your access was revoked"), and nothing more: no model, no finding, no count.
    """
    for path in _pages(setup, finding_id):
        page = client.get(path)
        assert page.status_code == 404, (path, page.status_code)
        for canary in _canaries(setup):
            assert canary not in page.text, (path, canary)
    api = client.get(f"/api/v1/engagements/{setup.engagement.id}/my-access")
    assert api.status_code in (401, 404), api.text
    for path in (
        "/",
        "/engagements",
        f"/engagements?q={setup.engagement.title[:12]}",
        "/engagements?state=active",
        "/findings",
        "/findings?severity=high",
        f"/findings?q={FINDING_TITLE[:12]}",
    ):
        page = client.get(path)
        assert page.status_code in (200, 404), (path, page.status_code)
        text = page.text
        if revoked and path.startswith("/engagements"):
            told = f"<li>{setup.engagement.title}: "
            assert "Where your access was revoked" in text and told in text
            text = text.replace(told, "")
        for canary in _canaries(setup):
            assert canary not in text, (path, canary)


def _posts_change_nothing(container: Container, client: httpx.Client, setup: Setup, finding_id: str) -> None:
    """The buttons' POSTs (playground session, finding, confirmation steps) do nothing and say nothing."""
    e = setup.engagement.id
    csrf = csrf_from(client.get("/account").text)
    agency = setup.engagement.participants[0]
    before = _state(container, setup)
    for path, data in (
        (f"/api/v1/engagements/{e}/playground-session", None),
        (
            f"/engagements/{e}/findings/new",
            {"title": "Injected", "severity": "low", "category": "other", "description": "x" * 20, "tlp": "TLP:GREEN"},
        ),
        (f"/engagements/{e}/findings/new", {"title": "I"}),  # a refused form must not show the engagement either
        (f"/engagements/{e}/close", {}),
        (f"/engagements/{e}/release", {}),
        (f"/engagements/{e}/participants/{agency.id}/revoke", {}),
        (f"/engagements/{e}/tokens", {"name": "sneaky"}),
    ):
        answer = client.post(path, data={**(data or {}), "csrf_token": csrf}, headers={"X-CSRF-Token": csrf})
        assert answer.status_code in (303, 401, 403, 404, 422), (path, answer.status_code, answer.text[:200])
        shown = answer.text + (client.get(answer.headers["location"]).text if answer.status_code == 303 else "")
        assert "stop working" not in shown and 'id="confirm-form"' not in shown, path
        for canary in _canaries(setup):
            assert canary not in shown, (path, canary)
    assert _state(container, setup) == before
    with container.uow() as uow:
        titles = [f.title for f in findings.list_findings(uow, setup.developer.principal, e)]
    assert titles == [FINDING_TITLE]


def _state(container: Container, setup: Setup) -> str:
    with container.uow() as uow:
        return lifecycle.get_engagement(uow, setup.developer.principal, setup.engagement.id).state.value


def test_a_competing_developer_learns_nothing(container: Container, setup: Setup, base_url: str) -> None:
    rival_org = make_org(container, OrgKind.DEVELOPER)
    rival = make_user(container, rival_org, role=Role.ADMIN)
    finding_id = _finding_id(container, setup)
    with _signed_in(base_url, rival) as client:
        _sees_nothing(client, setup, finding_id)
        _posts_change_nothing(container, client, setup, finding_id)


def test_a_revoked_reviewer_loses_every_page_at_once(container: Container, setup: Setup, base_url: str) -> None:
    finding_id = _finding_id(container, setup)
    with _signed_in(base_url, setup.reviewer) as client:
        assert client.get(f"/engagements/{setup.engagement.id}").status_code == 200  # before: a party
        with container.uow() as uow:
            participants.revoke_user(uow, setup.developer.principal, setup.engagement.id, setup.reviewer.user.id)
        # The same browser session, on its very next request.
        _sees_nothing(client, setup, finding_id, revoked=True)
        _posts_change_nothing(container, client, setup, finding_id)


def test_a_revoked_organization_loses_every_page_at_once(container: Container, setup: Setup, base_url: str) -> None:
    finding_id = _finding_id(container, setup)
    agency = next(p for p in setup.engagement.participants if p.organization_id == setup.agency.id)
    with _signed_in(base_url, setup.agency_admin) as client:
        assert client.get(f"/engagements/{setup.engagement.id}").status_code == 200
        with container.uow() as uow:
            participants.revoke_participant(uow, setup.developer.principal, setup.engagement.id, agency.id)
        _sees_nothing(client, setup, finding_id, revoked=True)
        _posts_change_nothing(container, client, setup, finding_id)
