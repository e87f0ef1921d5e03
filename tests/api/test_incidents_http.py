"""AI-enabled intrusion reports over real HTTP, on SQLite and PostgreSQL.

The TLP leak suite: for every label × reader shape, an incident is reachable exactly by its
audience through every interface — its page, the list page and its counts, the REST API (detail,
list, counts) and in-app notices. Then the API's problem documents (422 naming the field), and the
web pages: the report form keeps typed indicator rows after a refusal, the clearinghouse's queue,
the confirmed referral and the law-enforcement organization's acknowledgement.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.incidents.domain import incident_link
from frontier_review.clearinghouse.incidents.orm import Incident
from frontier_review.notifications.orm import Notification
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.identity import Person, api_token
from tests.factories.incidents import World, deactivate, make_world, report, triage_and_refer
from tests.integration.test_incidents import EXPECTED, LABELS

API = "/api/v1/clearinghouse/incidents"


@pytest.fixture
def world(container: Container) -> World:
    w = make_world(container)
    deactivate(container, w.deactivated)
    return w


def _client(base_url: str, person: Person) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30, follow_redirects=False)
    assert web_login(client, person.email, person.password).status_code == 303
    return client


@pytest.fixture
def sessions(base_url: str, world: World) -> Iterator[dict[str, httpx.Client]]:
    clients = {name: _client(base_url, p) for name, p in world.readers().items() if name != "deactivated"}
    try:
        yield clients
    finally:
        for c in clients.values():
            c.close()


def test_every_label_reaches_exactly_its_audience_through_every_interface(
    container: Container, world: World, http: httpx.Client, sessions: dict[str, httpx.Client]
) -> None:
    ids: dict[str, uuid.UUID] = {}
    for label in LABELS:
        red = label == "TLP:RED"
        view = report(
            container,
            world.reporter,
            tlp=label,
            orgs=[] if red else [world.recipient_org.id],
            people=[world.analyst.user.id, world.named.user.id] if red else [],
            title=f"Secret title {label}",
        )
        triage_and_refer(container, world, view.id, people=[world.agent.user.id] if red else [])
        ids[label] = view.id
    tokens = {name: api_token(container, p) for name, p in world.readers().items() if name != "deactivated"}
    # A deactivated person has no way in at all: no session, no token.
    assert web_login(http, world.deactivated.email, world.deactivated.password).status_code != 303
    with container.uow() as uow:
        notices = list(uow.session.execute(sa.select(Notification.user_id, Notification.link, Notification.title)))
    for name, client in sessions.items():
        person = world.readers()[name]
        visible = {label for label in LABELS if name in EXPECTED[label]}
        listing = http.get(API, headers=bearer(tokens[name]), params={"per_page": 500}).json()
        assert {i["title"] for i in listing["items"]} == {f"Secret title {label}" for label in visible}, name
        assert listing["total"] == len(visible) and sum(listing["counts"].values()) == len(visible), name
        page = client.get("/clearinghouse/incidents")
        assert page.status_code == 200
        assert f"{len(visible)} incident" in page.text or (not visible and "No incidents" in page.text), name
        mine = {link for user_id, link, _ in notices if user_id == person.user.id}
        for label in LABELS:
            incident = ids[label]
            api = http.get(f"{API}/{incident}", headers=bearer(tokens[name]))
            web = client.get(incident_link(incident))
            shown = label in visible
            assert api.status_code == (200 if shown else 404), (name, label)
            assert web.status_code == (200 if shown else 404), (name, label)
            assert (f"Secret title {label}" in page.text) is shown, (name, label)
            assert (f"Secret title {label}" in web.text) is shown, (name, label)
            if not shown:
                assert incident_link(incident) not in mine, (name, label)
                # Hidden answers exactly like missing: the same words as for an id that never existed.
                assert api.json()["detail"] == f"incident {incident} not found"
                assert "Secret title" not in api.text
    # Notices never carry the title.
    assert not any("Secret title" in title for _, _, title in notices)
    assert all(user_id != world.deactivated.user.id for user_id, _, _ in notices)


def test_api_reports_and_refuses_bad_input_naming_the_field(container: Container, world: World, http: httpx.Client) -> None:
    auth = bearer(api_token(container, world.reporter))
    body = {
        "title": "Agent-driven credential stuffing",
        "systems": "Online banking",
        "sectors": ["financial_services"],
        "started_at": "2026-06-01T08:00:00Z",
        "detected_at": "2026-06-01T09:30:00Z",
        "detection": "ids_alert",
        "model_text": "unknown agent",
        "narrative": "Thousands of logins at machine speed.",
        "indicators": [{"type": "url", "value": "https://login.example.com/x"}, {"type": "email-addr", "value": "A@Example.org"}],
        "tlp": "amber",
    }
    for change, field in (
        ({"indicators": [{"type": "ipv4-addr", "value": "999.1.1.1"}]}, "indicators[0]"),
        ({"tlp": "TLP:BLUE"}, "tlp"),
        ({"tlp": "TLP:RED"}, "recipient_people"),
        ({"detected_at": "2026-05-01T00:00:00Z"}, "detected_at"),
        ({"sectors": ["banking"]}, "sectors"),
    ):
        assert_problem(http.post(API, json={**body, **change}, headers=auth), 422, field=field)
    with container.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0
    created = http.post(API, json=body, headers=auth)
    assert created.status_code == 201, created.text
    out = created.json()
    assert out["tlp"] == "TLP:AMBER" and out["status"] == "received"
    assert out["indicators"][1] == {
        "type": "email-addr",
        "stix_type": "email-addr",
        "hash_algorithm": None,
        "value": "a@example.org",
    }
    analyst = bearer(api_token(container, world.analyst))
    incident = out["id"]
    assert http.post(f"{API}/{incident}/triage", json={"status": "under_review"}, headers=analyst).status_code == 200
    assert_problem(http.post(f"{API}/{incident}/referrals", json={"organization_id": str(world.bank2.id)}, headers=analyst), 403)
    referred = http.post(f"{API}/{incident}/referrals", json={"organization_id": str(world.fbi.id)}, headers=analyst)
    assert referred.status_code == 201, referred.text
    agent = bearer(api_token(container, world.agent))
    acked = http.post(f"{API}/{incident}/acknowledgement", headers=agent)
    assert acked.json()["referrals"][0]["acknowledged_by"] == world.agent.email
    assert_problem(http.get(f"{API}/{incident}", headers=bearer(api_token(container, world.outsider))), 404)
    assert_problem(http.get(API), 401)


def _form(page: str) -> str:
    return csrf_from(page)


def test_report_form_keeps_indicator_rows_and_the_referral_is_confirmed(
    container: Container, world: World, base_url: str
) -> None:
    reporter = _client(base_url, world.reporter)
    form = reporter.get("/clearinghouse/incidents/new")
    assert form.status_code == 200 and 'name="indicator_value"' in form.text
    data = {
        "csrf_token": _form(form.text),
        "title": "Model-driven phishing foothold",
        "systems": "Mail gateway",
        "sectors": "financial_services",
        "tz": "UTC",
        "started_at": "2026-06-01T08:00",
        "detected_at": "2026-06-01T10:00",
        "detection": "user_report",
        "model_text": "unknown",
        "narrative": "A tailored lure written by a model.",
        "indicator_type": ["domain-name", "file:SHA-1", ""],
        "indicator_value": ["lure.example.com", "not-a-hash", ""],
        "tlp": "TLP:AMBER",
    }
    refused = reporter.post("/clearinghouse/incidents/new", data=data)
    assert refused.status_code == 422
    assert "indicator 2: an SHA-1 hash is 40 hexadecimal digits" in refused.text
    assert 'value="not-a-hash"' in refused.text and 'value="lure.example.com"' in refused.text
    assert 'value="Model-driven phishing foothold"' in refused.text
    data["indicator_value"] = ["lure.example.com", "a" * 40, ""]
    done = reporter.post("/clearinghouse/incidents/new", data=data)
    assert done.status_code == 303, done.text
    link = done.headers["location"]
    incident = link.rsplit("/", 1)[1]
    analyst = _client(base_url, world.analyst)
    queue = analyst.get("/clearinghouse/incidents")
    assert "Incident queue" in queue.text and "Model-driven phishing foothold" in queue.text
    page = analyst.get(link)
    assert analyst.post(link + "/triage", data={"csrf_token": _form(page.text), "status": "under_review"}).status_code == 303
    page = analyst.get(link)
    assert "Refer to" in page.text and world.fbi.name in page.text
    asked = analyst.post(link + "/refer", data={"csrf_token": _form(page.text), "organization_id": str(world.fbi.id)})
    assert asked.status_code == 200 and f"Refer this incident to {world.fbi.name}?" in asked.text
    digest = re.search(r'name="confirm" value="([^"]+)"', asked.text)
    assert digest
    with container.uow() as uow:
        row = uow.session.get(Incident, uuid.UUID(incident))
        assert row is not None and row.status == "under_review"  # nothing before the confirmation
    confirmed = analyst.post(
        link + "/refer",
        data={
            "csrf_token": _form(asked.text),
            "organization_id": str(world.fbi.id),
            "people": "",
            "note": "",
            "confirm": digest.group(1),
        },
    )
    assert confirmed.status_code == 303, confirmed.text
    agent = _client(base_url, world.agent)
    referred = agent.get("/clearinghouse/incidents/referred")
    assert "Model-driven phishing foothold" in referred.text
    page = agent.get(link)
    assert "Acknowledge the referral" in page.text
    assert agent.post(link + "/acknowledge", data={"csrf_token": _form(page.text)}).status_code == 303
    assert "acknowledged by " + world.agent.email in agent.get(link).text
    for c in (reporter, analyst, agent):
        c.close()
