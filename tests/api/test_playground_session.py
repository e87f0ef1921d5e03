"""The playground's session token and "my access", and no gateway token before the terms are
accepted (issue 12, items 2 and 4), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import sqlalchemy as sa
from openai import OpenAI

from frontier_review import engagements as service
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.engagements.access import playground
from frontier_review.engagements.access import service as access
from frontier_review.engagements.access.orm import GatewayToken
from frontier_review.engagements.access.service import PLAYGROUND_TOKEN_NAME
from frontier_review.engagements.lifecycle.domain import Quotas
from frontier_review.engagements.tags import EngagementTag
from frontier_review.kernel.errors import PermissionDenied, ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.mockllm import serve_fake
from frontier_review.security.tokens import digest_token
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.engagements import Setup, make_engagement, settled
from tests.factories.identity import Person, api_token

ANSWER = "Line 7."


@pytest.fixture
def upstream() -> Iterator[str]:
    with serve_fake(text=ANSWER) as url:
        yield url


@contextmanager
def _session(base_url: str, person: Person) -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    """A browser-like client signed in through the login form, and its CSRF header."""
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client, {"X-CSRF-Token": csrf_from(client.get("/account").text)}


def _audit(container: Container, action: str, outcome: str = "success") -> list[AuditEntry]:
    with container.sessions() as session:
        query = sa.select(AuditEntry).where(AuditEntry.action == action, AuditEntry.outcome == outcome)
        return list(session.scalars(query))


def _tokens(container: Container, person: Person) -> list[GatewayToken]:
    with container.sessions() as session:
        return list(session.scalars(sa.select(GatewayToken).where(GatewayToken.user_id == person.user.id)))


def test_no_gateway_token_before_the_terms_are_accepted(container: Container) -> None:
    """The service refuses both kinds of token, audits each refusal, and mints once accepted."""
    setup = make_engagement(container, accept=False)
    for mint in (
        lambda uow: access.issue_token(uow, setup.reviewer.principal, setup.engagement.id, name="laptop"),
        lambda uow: playground.start_playground_session(uow, setup.reviewer.principal, setup.engagement.id),
    ):
        with pytest.raises(PermissionDenied, match="not accepted the engagement's current terms"), container.uow() as uow:
            mint(uow)
    denials = _audit(container, Permission.GATEWAY_TOKEN_ISSUE.value, "denied")
    assert len(denials) == 2
    assert {d.actor_user_id for d in denials} == {setup.reviewer.user.id}
    assert all("not accepted" in (d.reason or "") for d in denials)
    assert {d.target_id for d in denials} == {str(setup.engagement.id)}
    assert _tokens(container, setup.reviewer) == []

    with container.uow() as uow:
        service.accept_terms(uow, setup.agency_admin.principal, setup.engagement.id, terms_number=1)
    with container.uow() as uow:
        assert access.issue_token(uow, setup.reviewer.principal, setup.engagement.id, name="laptop").plaintext
    # The partner has not accepted: its people still get none.
    with pytest.raises(PermissionDenied), container.uow() as uow:
        access.issue_token(uow, setup.partner_reviewer.principal, setup.engagement.id, name="laptop")


def test_minting_before_acceptance_is_refused_over_the_api(container: Container, base_url: str) -> None:
    setup = make_engagement(container, accept=False)
    with _session(base_url, setup.reviewer) as (client, csrf):
        route = f"/api/v1/engagements/{setup.engagement.id}"
        for path, body in ((f"{route}/gateway-tokens", {"name": "laptop"}), (f"{route}/playground-session", None)):
            problem = assert_problem(client.post(path, json=body, headers=csrf), 403)
            assert "not accepted the engagement's current terms" in str(problem["detail"])
        mine = client.get(f"{route}/my-access").json()
        assert mine["refusal"]["code"] == "terms_not_accepted"
        assert mine["may_start_playground"] is False
        assert "not accepted" in mine["start_refusal"]
        page = client.get(f"/engagements/{setup.engagement.id}/playground")
        assert page.status_code == 200
        assert "Start a playground session" in page.text  # the button exists, hidden until the script decides
        assert "The playground is not open to you. Your organization has not accepted" in page.text
    assert len(_audit(container, Permission.GATEWAY_TOKEN_ISSUE.value, "denied")) == 2


def test_one_playground_token_per_person_and_engagement(container: Container, base_url: str, upstream: str) -> None:
    """Starting a session mints the playground's token and revokes the one before; the token works
    on the gateway, is stored as a digest, audited by its public part, and never in a page."""
    setup = make_engagement(container, upstream_url=upstream)
    route = f"/api/v1/engagements/{setup.engagement.id}"
    with _session(base_url, setup.reviewer) as (client, csrf):
        assert client.get(f"{route}/my-access").json()["playground_token"] is None
        first = client.post(f"{route}/playground-session", headers=csrf)
        assert first.status_code == 201, first.text
        assert first.headers["cache-control"] == "no-store"
        one = first.json()
        assert one["name"] == PLAYGROUND_TOKEN_NAME
        assert one["replaced"] == []
        sdk = OpenAI(base_url=f"{base_url}/gateway/v1", api_key=one["token"], max_retries=0)
        reply = sdk.chat.completions.create(model=setup.engagement.model_id, messages=[{"role": "user", "content": "Hi"}])
        assert reply.choices[0].message.content == ANSWER

        settled(container)
        mine = client.get(f"{route}/my-access").json()
        assert mine["playground_token"] == one["lookup"]
        assert mine["admitted"] is True
        assert mine["refusal"] is None
        assert mine["models"] == [setup.engagement.model_id]
        assert mine["quota"]["requests_today"] == 1
        assert mine["quota"]["requests_left"] == Quotas().requests_per_day - 1
        assert mine["quota"]["tokens_today"] > 0
        assert mine["seconds_left"] == 10 * 86400
        page = client.get(f"/engagements/{setup.engagement.id}/playground").text
        assert one["token"] not in page
        assert one["token"].split("_", 2)[2] not in page

        second = client.post(f"{route}/playground-session", headers=csrf).json()
        assert second["replaced"] == [one["lookup"]]
        assert client.get(f"{route}/my-access").json()["playground_token"] == second["lookup"]
        with pytest.raises(Exception, match="unknown or revoked"):
            sdk.chat.completions.create(model=setup.engagement.model_id, messages=[{"role": "user", "content": "Hi"}])

    rows = _tokens(container, setup.reviewer)
    assert sorted((t.lookup, t.revoked_at is None) for t in rows) == sorted([(one["lookup"], False), (second["lookup"], True)])
    for row in rows:
        assert row.token_digest in {digest_token(one["token"]), digest_token(second["token"])}
    issued = _audit(container, EngagementTag.GATEWAY_TOKEN_ISSUED.value)
    assert [e.details["lookup"] for e in issued] == [one["lookup"], second["lookup"]]
    assert all(e.details["playground"] is True for e in issued)
    revoked = _audit(container, EngagementTag.GATEWAY_TOKEN_REVOKED.value)
    assert [(e.details["lookup"], e.reason) for e in revoked] == [(one["lookup"], playground.REPLACED)]
    with container.sessions() as session:
        logged = " ".join(str(e.details) for e in session.scalars(sa.select(AuditEntry)))
    assert one["token"] not in logged
    assert second["token"] not in logged


def test_my_access_for_those_who_take_no_part(container: Container, base_url: str, http: httpx.Client) -> None:
    setup = make_engagement(container)
    route = f"/api/v1/engagements/{setup.engagement.id}/my-access"
    mine = http.get(route, headers=bearer(api_token(container, setup.developer))).json()
    assert mine["admitted"] is False
    assert mine["refusal"]["code"] == "not_a_participant"
    assert mine["quota"] is None
    assert mine["may_start_playground"] is False
    # A participant calling with an API token reads its access, but mints no playground token.
    token = bearer(api_token(container, setup.reviewer))
    assert http.get(route, headers=token).json()["admitted"] is True
    refused = http.post(f"/api/v1/engagements/{setup.engagement.id}/playground-session", headers=token)
    assert "API token" in str(assert_problem(refused, 403)["detail"])


def test_the_playground_name_is_kept_for_the_playground(container: Container, setup_reviewer: tuple[Setup, Person]) -> None:
    setup, reviewer = setup_reviewer
    with pytest.raises(ValidationFailed, match="kept for the playground"), container.uow() as uow:
        access.issue_token(uow, reviewer.principal, setup.engagement.id, name=" Playground Session ")


@pytest.fixture
def setup_reviewer(container: Container) -> tuple[Setup, Person]:
    setup = make_engagement(container)
    return setup, setup.reviewer
