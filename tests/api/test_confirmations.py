"""Irreversible web actions are confirmed first (issue 12, item 5), over real HTTP.

Release (from the engagement page and the version page), withdrawal, ending an engagement,
revoking a participant or a person, ending a partner designation: a POST without the
confirmation shows the page that says what will end, and does nothing; the page names the
consequences in numbers; Confirm does it (with the reason, when given, in the audit entry); a
confirmation of a page that has gone stale is refused with the page again (409). The REST API is
unchanged for scripted clients.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.engagements.lifecycle import partners, service
from frontier_review.engagements.lifecycle import versions as versions_api
from frontier_review.engagements.tags import EngagementTag
from frontier_review.identity.domain import OrgKind, Role
from tests.api.confirming import confirm_from, confirmed_post
from tests.api.helpers import bearer, csrf_from, web_login
from tests.factories.engagements import Setup, gateway_token, make_engagement
from tests.factories.identity import Person, api_token, make_org, make_user


@pytest.fixture
def setup(container: Container) -> Setup:
    setup = make_engagement(container)
    for person in (setup.reviewer, setup.reviewer, setup.partner_reviewer):
        gateway_token(container, person, setup)
    return setup


@contextmanager
def _signed_in(base_url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


def _post(client: httpx.Client, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    """The plain POST a button (or a script) sends: no confirmation."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_from(client.get("/").text)})


def _state(container: Container, setup: Setup) -> str:
    with container.uow() as uow:
        return service.get_engagement(uow, setup.developer.principal, setup.engagement.id).state.value


def _version_status(container: Container, setup: Setup) -> str:
    with container.uow() as uow:
        card = versions_api.find_version(uow, setup.engagement.version_id)
    assert card is not None
    return card.status


def _audit(container: Container, tag: EngagementTag) -> list[dict[str, object]]:
    with container.sessions() as session:
        return list(session.scalars(sa.select(AuditEntry.details).where(AuditEntry.action == tag.value)))


def test_release_without_confirmation_shows_what_ends_and_does_nothing(container: Container, setup: Setup, base_url: str) -> None:
    eng = f"/engagements/{setup.engagement.id}"
    with _signed_in(base_url, setup.developer) as client:
        page = _post(client, f"{eng}/release")
        assert page.status_code == 200, page.text
        assert f"Release {setup.engagement.version_display}?" in page.text
        assert "Releasing closes 1 open engagement and 3 gateway tokens stop working." in page.text
        assert "(4 people) lose access at this second" in page.text
        assert "This cannot be undone." in page.text and "cannot go back to prerelease" in page.text
        assert _version_status(container, setup) == "prerelease" and _state(container, setup) != "closed"
        # A GET never releases, whatever it carries: there is no such page.
        assert client.get(f"{eng}/release", params={"confirm": confirm_from(page.text)}).status_code == 405
        assert _version_status(container, setup) == "prerelease"
        done = confirmed_post(client, f"{eng}/release")
        assert done.status_code == 303 and done.headers["location"] == eng
        assert "released. Every participant" in client.get(eng).text
    assert _version_status(container, setup) == "released" and _state(container, setup) == "closed"


def test_the_version_page_releases_and_withdraws_through_the_same_confirmation(
    container: Container, setup: Setup, base_url: str
) -> None:
    version = f"/versions/{setup.engagement.version_id}"
    with _signed_in(base_url, setup.developer) as client:
        assert f'action="{version}/release"' in client.get(version).text
        old = _post(client, f"{version}/status", {"status": "withdrawn"})
        assert old.status_code == 307 and old.headers["location"] == f"{version}/withdraw"
        page = _post(client, f"{version}/withdraw")
        assert "Withdrawing closes 1 open engagement and 3 gateway tokens stop working." in page.text
        assert "A withdrawn version cannot go back to prerelease or be released" in page.text
        assert _version_status(container, setup) == "prerelease"
        assert confirmed_post(client, f"{version}/withdraw").status_code == 303
        assert _version_status(container, setup) == "withdrawn" and _state(container, setup) == "closed"
        # Final: asking again is refused on the way back, never a second confirmation page.
        again = _post(client, f"{version}/release")
        assert again.status_code == 303 and again.headers["location"] == version


def test_a_stale_confirmation_is_refused_with_the_page_again(container: Container, setup: Setup, base_url: str) -> None:
    eng = f"/engagements/{setup.engagement.id}"
    with _signed_in(base_url, setup.developer) as client:
        page = _post(client, f"{eng}/close")
        assert "3 gateway tokens stop working" in page.text
        gateway_token(container, setup.partner_reviewer, setup)  # a token minted in between
        stale = client.post(f"{eng}/close", data={"confirm": confirm_from(page.text), "csrf_token": csrf_from(page.text)})
        assert stale.status_code == 409, stale.text
        assert "Nothing was done: this changed since the page was shown." in stale.text
        assert "4 gateway tokens stop working" in stale.text
        assert _state(container, setup) != "closed"
        ended = client.post(
            f"{eng}/close",
            data={"confirm": confirm_from(stale.text), "reason": "Terms breached.", "csrf_token": csrf_from(stale.text)},
        )
        assert ended.status_code == 303
    assert _state(container, setup) == "closed"
    assert _audit(container, EngagementTag.ENGAGEMENT_CLOSED)[0]["reason"] == "Terms breached."


def test_revoking_a_participant_names_who_loses_access(container: Container, setup: Setup, base_url: str) -> None:
    agency = next(p for p in setup.engagement.participants if p.organization_id == setup.agency.id)
    path = f"/engagements/{setup.engagement.id}/participants/{agency.id}/revoke"
    with _signed_in(base_url, setup.developer) as client:
        page = _post(client, path)
        assert page.status_code == 200
        assert f"Revoke {setup.agency.name} from" in page.text
        assert f"{setup.agency.name} (2 people) loses access at this second; 2 gateway tokens stop working." in page.text
        assert f"{setup.agency.name} cannot be invited to this engagement again." in page.text
        assert not _audit(container, EngagementTag.PARTICIPANT_REVOKED)
        assert confirmed_post(client, path, {"reason": "Leaked a transcript."}).status_code == 303
    assert _audit(container, EngagementTag.PARTICIPANT_REVOKED)[0]["reason"] == "Leaked a transcript."
    with _signed_in(base_url, setup.agency_admin) as client:
        assert client.get(f"/engagements/{setup.engagement.id}").status_code == 404


def test_revoking_a_person_names_them_and_their_tokens(container: Container, setup: Setup, base_url: str) -> None:
    path = f"/engagements/{setup.engagement.id}/revoke-user"
    picked = {"user_id": str(setup.reviewer.principal.user_id)}
    with _signed_in(base_url, setup.developer) as client:
        page = _post(client, path, picked)
        assert page.status_code == 200
        assert f"&lt;{setup.reviewer.email}&gt; ({setup.agency.name}) loses access at this second; 2 gateway tokens" in page.text
        assert f"The rest of {setup.agency.name} keeps its access." in page.text
        assert f'name="user_id" value="{picked["user_id"]}"' in page.text
        assert not _audit(container, EngagementTag.USER_REVOKED)
        assert confirmed_post(client, path, picked).status_code == 303
    assert _audit(container, EngagementTag.USER_REVOKED)[0]["user"] == setup.reviewer.email


def test_only_the_developer_gets_a_confirmation_page(setup: Setup, base_url: str) -> None:
    """The page says what would end only to whoever may end it: others are refused as before."""
    agency = setup.engagement.participants[0]
    for person in (setup.agency_admin, setup.program_office):
        with _signed_in(base_url, person) as client:
            for path in (
                f"/engagements/{setup.engagement.id}/release",
                f"/engagements/{setup.engagement.id}/close",
                f"/engagements/{setup.engagement.id}/participants/{agency.id}/revoke",
            ):
                refused = _post(client, path)
                assert refused.status_code == 303, (person.email, path)
                assert "stop working" not in client.get(refused.headers["location"]).text


def test_ending_a_designation_names_the_engagements_it_reaches(container: Container, setup: Setup, base_url: str) -> None:
    with container.uow() as uow:
        designation = next(
            d for d in partners.list_designations(uow, setup.program_office.principal) if d.organization_id == setup.partner.id
        )
    path = f"/partners/{designation.id}/revoke"
    with _signed_in(base_url, setup.program_office) as client:
        assert f'action="{path}"' in client.get("/partners").text
        page = _post(client, path)
        assert page.status_code == 200
        assert f"End the trusted-partner designation of {setup.partner.name}?" in page.text
        assert f"It loses access to 1 open engagement: “{setup.engagement.title}”." in page.text
        assert "1 gateway token stops working" in page.text
        assert not _audit(container, EngagementTag.PARTNER_REVOKED)
        assert confirmed_post(client, path, {"reason": "Vetting lapsed."}).status_code == 303
        assert "ended" in client.get("/partners").text
    assert _audit(container, EngagementTag.PARTNER_REVOKED)[0]["reason"] == "Vetting lapsed."


def test_the_api_is_unchanged_for_scripts(container: Container, setup: Setup, http: httpx.Client) -> None:
    token = api_token(container, setup.developer)
    eng = setup.engagement.id
    person = http.post(
        f"/api/v1/engagements/{eng}/revoke-user", json={"user_id": str(setup.reviewer.principal.user_id)}, headers=bearer(token)
    )
    assert person.status_code == 200, person.text
    ended = http.post(f"/api/v1/engagements/{eng}/close", headers=bearer(token))
    assert ended.status_code == 200, ended.text
    assert _state(container, setup) == "closed"


def test_an_unknown_person_is_refused_next_to_the_picker(container: Container, setup: Setup, base_url: str) -> None:
    stranger = make_user(container, make_org(container, OrgKind.AGENCY), role=Role.ADMIN)
    with _signed_in(base_url, setup.developer) as client:
        none = _post(client, f"/engagements/{setup.engagement.id}/revoke-user", {"user_id": ""})
        assert none.status_code == 422 and "choose the person to revoke" in none.text
        outsider = _post(client, f"/engagements/{setup.engagement.id}/revoke-user", {"user_id": str(stranger.principal.user_id)})
        assert outsider.status_code == 422 and "is not a member of a participating organization" in outsider.text
        assert 'id="confirm-form"' not in outsider.text
