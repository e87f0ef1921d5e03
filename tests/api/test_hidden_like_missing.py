"""A resource the caller may not see answers exactly like one that does not exist (issue 10, item 7).

For each route that names a model, version, determination, inquiry, benchmark run or engagement by
its id, a hostile developer, an uncleared program-office admin and a member of a revoked participant
get, for a real id they may not see, the very answer a random id gets: same status, same content
type, and a body byte-equal once the id is blanked out, over REST and in the web UI. The refusal
is still audited. Writes on a hidden resource answer the same way, and the engagement's
revoke-user looks a person up only after authorization, without revealing whether an address has
an account.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from frontier_review import engagements as service
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.coverage import determinations, inquiries
from frontier_review.coverage.orm import Benchmark
from frontier_review.engagements.lifecycle.domain import Materials, Quotas, Recipients, Window
from frontier_review.engagements.lifecycle.orm import RevokedUser
from frontier_review.evals import targets
from frontier_review.evals.orm import BenchmarkRun
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.ids import new_id
from frontier_review.registry import service as registry
from frontier_review.security import passwords
from tests.api.helpers import bearer, csrf_from, web_login
from tests.factories.coverage import make_version, publish_reference, register_sample_benchmark
from tests.factories.engagements import Setup, make_engagement, protections
from tests.factories.identity import Person, api_token, make_org, make_user

RANDOM = str(uuid.UUID(int=0x5EC2E7))  # an id that names nothing


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several people sign in here; argon2id at minimum cost keeps the module fast."""
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)


@dataclass
class World:
    setup: Setup
    hostile: Person  # the admin of another developer
    uncleared: Person  # a program-office admin without a clearance
    revoked: Person  # a member of a participant the developer revoked
    revoked_admin: Person
    ids: dict[str, str]


@pytest.fixture
def world(container: Container) -> World:
    setup = make_engagement(container)
    developer = setup.developer
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    cleared = make_user(container, po, role=Role.ADMIN, cleared=True)
    uncleared = make_user(container, po, role=Role.ADMIN)
    hostile = make_user(container, make_org(container, OrgKind.DEVELOPER), role=Role.ADMIN)
    register_sample_benchmark(container, cleared)
    publish_reference(container, cleared, "ca-sb53-frontier-model.toml")
    version_id = setup.engagement.version_id
    draft_version = make_version(container, developer, label="rc-draft")
    now = container.clock.now()
    with container.uow() as uow:
        draft = service.open_engagement(  # a draft is the developer's alone, even for the program office
            uow,
            developer.principal,
            version_id=draft_version.id,
            title="Draft review",
            window=Window(now, now + timedelta(days=5)),
            recipients=Recipients.FEDERAL_ONLY,
            materials=Materials(),
            protections=protections(),
            quotas=Quotas(),
        )
        inquiry = inquiries.file_inquiry(uow, developer.principal, version_id, question="Is this version covered?")
        det = determinations.record_determination(uow, cleared.principal, version_id, policy_ref="ca-sb53-frontier-model@1")
        target = targets.create_target(uow, cleared.principal, name="atlas", model="mockllm/model", model_version_id=version_id)
        bench = uow.session.scalar(sa.select(Benchmark).where(Benchmark.name == "cyber-offense-sample"))
        assert bench is not None and bench.classified
        run_id = new_id()  # a classified run that never ran is enough to be hidden from the uncleared
        uow.session.add(
            BenchmarkRun(
                id=run_id,
                benchmark_id=bench.id,
                target_id=target.id,
                status="queued",
                max_connections=1,
                max_retries=0,
                timeout_seconds=60,
                scaffold_version="test",
                created_by=cleared.principal.label,
                created_at=container.clock.now(),
            )
        )
        engagement = service.get_engagement(uow, developer.principal, setup.engagement.id)
        agency = next(p.id for p in engagement.participants if p.organization_id == setup.agency.id)
        service.revoke_participant(uow, developer.principal, setup.engagement.id, agency)
        model = registry.get_version(uow, developer.principal, version_id).model_id
    ids = {
        "model": str(model),
        "version": str(version_id),
        "inquiry": str(inquiry.id),
        "determination": str(det.id),
        "run": str(run_id),
        "engagement": str(setup.engagement.id),
        "draft": str(draft.id),
        "agency_reviewer": str(setup.reviewer.user.id),
    }
    return World(setup, hostile, uncleared, setup.reviewer, setup.agency_admin, ids)


# (who, method, route with {id}, which id, JSON body)
REST: list[tuple[str, str, str, str, dict[str, object] | None]] = [
    ("hostile", "GET", "/api/v1/models/{id}", "model", None),
    ("hostile", "POST", "/api/v1/models/{id}/versions", "model", {"label": "rc-hostile"}),
    ("hostile", "GET", "/api/v1/versions/{id}", "version", None),
    ("hostile", "POST", "/api/v1/versions/{id}/facts", "version", {"facts": [{"name": "parameter_count", "value": 7}]}),
    ("hostile", "POST", "/api/v1/versions/{id}/status", "version", {"status": "released"}),
    ("hostile", "GET", "/api/v1/versions/{id}/results", "version", None),
    ("hostile", "GET", "/api/v1/versions/{id}/determinations", "version", None),
    ("hostile", "POST", "/api/v1/inquiries", "version", {"model_version_id": "{id}", "question": "Covered?"}),
    ("hostile", "GET", "/api/v1/determinations/{id}", "determination", None),
    ("hostile", "GET", "/api/v1/inquiries/{id}", "inquiry", None),
    ("hostile", "POST", "/api/v1/inquiries/{id}/respond", "inquiry", {"message": "Here.", "version": 1}),
    ("hostile", "POST", "/api/v1/inquiries/{id}/withdraw", "inquiry", None),
    ("hostile", "GET", "/api/v1/engagements/{id}", "engagement", None),
    ("hostile", "GET", "/api/v1/engagements/{id}/usage", "engagement", None),
    ("hostile", "GET", "/api/v1/engagements/{id}/artifacts", "engagement", None),
    ("hostile", "GET", "/api/v1/engagements/{id}/findings", "engagement", None),
    ("hostile", "POST", "/api/v1/engagements/{id}/revoke-user", "engagement", {"user_id": "{agency_reviewer}"}),
    ("hostile", "POST", "/api/v1/engagements/{id}/accept", "engagement", {"terms_number": 1}),
    ("hostile", "POST", "/api/v1/engagements/{id}/close", "engagement", None),
    ("uncleared", "GET", "/api/v1/runs/{id}", "run", None),
    ("uncleared", "POST", "/api/v1/runs/{id}/cancel", "run", None),
    ("uncleared", "GET", "/api/v1/engagements/{id}", "draft", None),
    ("uncleared", "GET", "/api/v1/engagements/{id}/findings", "draft", None),
    ("revoked", "GET", "/api/v1/engagements/{id}", "engagement", None),
    ("revoked", "GET", "/api/v1/engagements/{id}/usage", "engagement", None),
    ("revoked", "GET", "/api/v1/engagements/{id}/artifacts", "engagement", None),
    ("revoked_admin", "POST", "/api/v1/engagements/{id}/accept", "engagement", {"terms_number": 1}),
]

WEB: list[tuple[str, str, str]] = [
    ("hostile", "/models/{id}", "model"),
    ("hostile", "/versions/{id}", "version"),
    ("hostile", "/coverage/inquiries/{id}", "inquiry"),
    ("hostile", "/coverage/determinations/{id}", "determination"),
    ("hostile", "/engagements/{id}", "engagement"),
    ("hostile", "/engagements/{id}/playground", "engagement"),
    ("uncleared", "/evals/runs/{id}", "run"),
    ("uncleared", "/engagements/{id}", "draft"),
    ("revoked", "/engagements/{id}", "engagement"),
]


def _person(world: World, who: str) -> Person:
    people = {"hostile": world.hostile, "uncleared": world.uncleared, "revoked": world.revoked}
    return people.get(who, world.revoked_admin)


def _fill(value: object, ids: dict[str, str]) -> object:
    if isinstance(value, str):
        return value.format_map(ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


REQUEST_ID_RE = re.compile(r'"request_id":"[0-9A-Za-z._-]+"')


def _blank(text: str, ident: str) -> str:
    """The body with the id asked for and the request's own id (different on every request) blanked."""
    return REQUEST_ID_RE.sub('"request_id":"<request>"', text.replace(ident, "<id>"))


def assert_alike(hidden: httpx.Response, missing: httpx.Response, hidden_id: str, label: str) -> None:
    """Same status, same content type, same body once the id is blanked out."""
    assert hidden.status_code == missing.status_code == 404, (label, hidden.status_code, hidden.text[:300])
    assert hidden.headers["content-type"] == missing.headers["content-type"], label
    assert _blank(hidden.text, hidden_id) == _blank(missing.text, RANDOM), (label, hidden.text[:300], missing.text[:300])


def _denials(container: Container) -> int:
    with container.sessions() as session:
        query = sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.outcome == "denied")
        return int(session.scalar(query) or 0)


def test_rest_answers_a_hidden_resource_like_a_missing_one(container: Container, world: World, http: httpx.Client) -> None:
    tokens = {who: api_token(container, _person(world, who)) for who in ("hostile", "uncleared", "revoked", "revoked_admin")}
    before = _denials(container)
    for who, method, route, key, body in REST:
        answers = []
        for ident in (world.ids[key], RANDOM):
            ids = {**world.ids, "id": ident}
            url = route.format_map(ids)
            answers.append(http.request(method, url, json=_fill(body, ids), headers=bearer(tokens[who])))
        hidden, missing = answers
        assert hidden.headers["content-type"].startswith("application/problem+json"), (who, route)
        assert_alike(hidden, missing, world.ids[key], f"{who} {method} {route}")
    # Each hidden answer was still a refusal, audited with its reason.
    assert _denials(container) - before == len(REST)


@contextmanager
def _browser(base_url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


def test_web_pages_answer_a_hidden_resource_like_a_missing_one(world: World, base_url: str) -> None:
    for who, route, key in WEB:
        with _browser(base_url, _person(world, who)) as client:
            hidden = client.get(route.format(id=world.ids[key]))
            missing = client.get(route.format(id=RANDOM))
        assert hidden.headers["content-type"].startswith("text/html"), (who, route)
        assert_alike(hidden, missing, world.ids[key], f"{who} GET {route}")


def test_web_revoke_user_on_a_hidden_engagement_is_not_found_before_any_lookup(world: World, base_url: str) -> None:
    """The hostile developer names a real member: the answer is the missing engagement's, flashed
    on the way back, never "no user" or anything else about the address."""
    eng = world.ids["engagement"]
    with _browser(base_url, world.hostile) as client:
        csrf = csrf_from(client.get("/engagements").text)
        answers = []
        for ident in (eng, RANDOM):
            posted = client.post(f"/engagements/{ident}/revoke-user", data={"email": world.revoked.email, "csrf_token": csrf})
            assert posted.status_code == 303, posted.text
            assert posted.headers["location"] == f"/engagements/{ident}"
            answers.append(client.get(posted.headers["location"]))
        hidden, missing = answers
    assert_alike(hidden, missing, eng, "POST /engagements/{id}/revoke-user")
    assert f"engagement {eng} not found" in hidden.text
    assert world.revoked.email not in hidden.text


def test_revoke_user_by_email_does_not_reveal_whether_an_account_exists(
    container: Container, world: World, base_url: str
) -> None:
    """Even the developer who manages the engagement is not entitled to the user directory: an
    address with an account outside the participants and an address with no account at all get
    the same answer, and nothing changes."""
    eng = world.ids["engagement"]
    outsider = make_user(container, make_org(container, OrgKind.AGENCY), email="someone@outside.example")
    messages = []
    with _browser(base_url, world.setup.developer) as client:
        for email in (outsider.email, "nobody@outside.example"):
            csrf = csrf_from(client.get(f"/engagements/{eng}").text)
            posted = client.post(f"/engagements/{eng}/revoke-user", data={"email": email, "csrf_token": csrf})
            assert posted.status_code == 422, posted.text  # the engagement page again, with the reason
            page = posted.text
            found = re.search(r"is not a member of a participating organization", page)
            assert found, page
            messages.append(_blank(page, email))
    assert messages[0] == messages[1]
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(RevokedUser)) == 0
