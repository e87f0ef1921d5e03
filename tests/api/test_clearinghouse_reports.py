"""Vulnerability reports over real HTTP on loopback: the API (problem+json, anonymous CLEAR reads)
and the web pages, and THE TLP leak check — every principal shape reaches a report exactly when it
is in its audience, through API get and list, the web page, lists, the hub's counts and notices."""

from __future__ import annotations

import itertools
import uuid

import httpx
import pytest

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse import reports
from frontier_review.identity import service as identity
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.clearinghouse import V31, World, make_world, submit, validate
from tests.factories.identity import SYSTEM, Person, api_token, make_user


def identity_org(container: Container, org_id: uuid.UUID) -> identity.OrganizationView:
    with container.uow() as uow:
        return identity.get_organization(uow, SYSTEM, org_id)


@pytest.fixture
def world(container: Container) -> World:
    return make_world(container)


def _token(container: Container, person: Person) -> dict[str, str]:
    return bearer(api_token(container, person))


def test_submit_validate_and_the_bank_alone_sees_it(container: Container, world: World, http: httpx.Client) -> None:
    body = {
        "title": "Token forgery in the core banking gateway",
        "description": "Steps to reproduce.",
        "tlp": "TLP:AMBER",
        "cvss31": V31,
        "products": [{"vendor": "Acme", "product": "Gateway", "versions": "vers:npm/>=2.0.0|<2.4.1"}],
        "sectors": ["financial_services"],
        "recipient_orgs": [str(world.bank_id)],
    }
    created = http.post("/api/v1/clearinghouse/reports", json=body, headers=_token(container, world.submitter))
    assert created.status_code == 201, created.text
    report = created.json()
    assert report["validated"] is False
    assert report["cvss31"]["base_score"] == 9.8
    url = f"/api/v1/clearinghouse/reports/{report['id']}"
    bank, bank2 = _token(container, world.bank), _token(container, world.bank2)
    assert_problem(http.get(url, headers=bank), 404)
    validated = http.post(
        url + "/validation",
        json={"reproduced": True, "versions_confirmed": True, "notes": "reproduced"},
        headers=_token(container, world.treasury),
    )
    assert validated.status_code == 200, validated.text
    assert http.get(url, headers=bank).status_code == 200
    missing = http.get(f"/api/v1/clearinghouse/reports/{uuid.uuid4()}", headers=bank2)
    hidden = http.get(url, headers=bank2)
    assert_problem(hidden, 404)
    assert hidden.json()["detail"].replace(report["id"], "X") == missing.json()["detail"].split(" ")[0] + " X not found"
    listed = http.get("/api/v1/clearinghouse/reports", headers=bank2).json()
    assert listed["total"] == 0
    assert "Token forgery" not in http.get("/api/v1/clearinghouse/reports", headers=bank2).text
    assert http.get("/api/v1/clearinghouse/reports", headers=bank).json()["total"] == 1
    assert_problem(http.get(url), 404)  # the public


def test_bad_input_is_a_problem_naming_fields(container: Container, world: World, http: httpx.Client) -> None:
    response = http.post(
        "/api/v1/clearinghouse/reports",
        json={"title": "Bad vectors", "description": "d", "tlp": "TLP:RED", "cvss31": "CVSS:3.1/AV:Z", "cwe_ids": ["CWE-99999"]},
        headers=_token(container, world.submitter),
    )
    body = assert_problem(response, 422, field="cvss31")
    fields = {e["field"] for e in body["errors"]}  # type: ignore[attr-defined]
    assert {"cvss31", "cwe_ids", "recipient_people"} <= fields
    assert_problem(http.post("/api/v1/clearinghouse/reports", json={"title": "x"}), 401)


def test_anonymous_reads_validated_clear_only(container: Container, world: World, http: httpx.Client) -> None:
    clear = submit(container, world.submitter, tlp="TLP:CLEAR", title="Public parser advisory")
    assert_problem(http.get(f"/api/v1/clearinghouse/reports/{clear.id}"), 404)
    validate(container, world, clear.id)
    got = http.get(f"/api/v1/clearinghouse/reports/{clear.id}")
    assert got.status_code == 200
    assert got.json()["recipient_orgs"] == []
    assert http.get("/api/v1/clearinghouse/reports").json()["total"] == 1
    page = http.get("/clearinghouse/public")
    assert page.status_code == 200
    assert "Public parser advisory" in page.text


SHAPES = (
    "treasury",
    "submitter",
    "source_colleague",
    "bank",
    "bank_named",
    "bank2",
    "validator",
    "program_office",
    "developer",
    "operator",
)
AUDIENCE = {
    "TLP:CLEAR": {*SHAPES, "anonymous"},
    "TLP:GREEN": set(SHAPES) - {"operator"},
    "TLP:AMBER": {"treasury", "submitter", "source_colleague", "bank", "bank_named", "validator"},
    "TLP:AMBER+STRICT": {"treasury", "submitter", "source_colleague", "bank", "bank_named", "validator"},
    "TLP:RED": {"treasury", "submitter", "bank_named"},
}


@pytest.mark.parametrize("label", list(AUDIENCE))
def test_the_tlp_leak_suite(container: Container, world: World, http: httpx.Client, base_url: str, label: str) -> None:
    title = f"Leak probe {uuid.uuid4().hex[:8]}"
    orgs = [world.bank_id] if "AMBER" in label else []
    people = [world.bank_named.user.id, world.treasury.user.id] if label == "TLP:RED" else []
    view = submit(container, world.submitter, tlp=label, title=title, orgs=orgs, people=people)
    with container.uow() as uow:
        reports.name_validator(uow, world.treasury.principal, view.id, organization_id=world.validator_id)
    validate(container, world, view.id)
    reached = set()
    if http.get(f"/api/v1/clearinghouse/reports/{view.id}").status_code == 200:
        reached.add("anonymous")
    assert (title in http.get("/clearinghouse/public").text) == ("anonymous" in reached)
    for name in SHAPES:
        person: Person = getattr(world, name)
        headers = _token(container, person)
        got = http.get(f"/api/v1/clearinghouse/reports/{view.id}", headers=headers)
        listed = http.get("/api/v1/clearinghouse/reports", headers=headers)
        in_list = title in listed.text
        assert (got.status_code == 200) == in_list, name
        assert listed.json()["total"] == int(in_list), name
        with httpx.Client(base_url=base_url, timeout=30) as browser:
            assert web_login(browser, person.email, person.password).status_code == 303
            page = browser.get(f"/clearinghouse/reports/{view.id}")
            assert (page.status_code == 200) == in_list, name
            for path in ("/", "/clearinghouse", "/notifications"):
                shown = browser.get(path)
                if not in_list:
                    assert title not in shown.text, (name, path)
            if name == "treasury":
                for path in ("/clearinghouse/queue", "/clearinghouse/board"):
                    assert title in browser.get(path).text
        if in_list:
            reached.add(name)
    assert reached == AUDIENCE[label]
    # A deactivated member of the recipient bank: its token and session stop working at once.
    leaving = make_user(container, identity_org(container, world.bank_id))
    token = _token(container, leaving)
    with container.uow() as uow:
        identity.update_user(uow, SYSTEM, leaving.user.id, is_active=False)
    assert http.get(f"/api/v1/clearinghouse/reports/{view.id}", headers=token).status_code == 401


def test_web_form_keeps_values_and_names_fields(container: Container, world: World, base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as browser:
        web_login(browser, world.submitter.email, world.submitter.password)
        form = browser.get("/clearinghouse/reports/new")
        assert form.status_code == 200
        data = {
            "csrf_token": csrf_from(form.text),
            "title": "Overflow in the pump controller",
            "description": "Reproduce with …",
            "tlp": "TLP:AMBER",
            "cvss31": "CVSS:3.1/AV:N/AC:Q",
            "vendor": ["Acme", "", ""],
            "product": ["Pump", "", ""],
            "purl": ["", "", ""],
            "cpe": ["cpe:2.3:bad", "", ""],
            "versions": ["", "", ""],
        }
        refused = browser.post("/clearinghouse/reports/new", data=data)
        assert refused.status_code == 422
        assert "Overflow in the pump controller" in refused.text
        assert "not a valid CVSS 3.1 vector" in refused.text
        assert "CPE 2.3" in refused.text
        data["cvss31"], data["cpe"] = V31, ["", "", ""]
        done = browser.post("/clearinghouse/reports/new", data=data, follow_redirects=False)
        assert done.status_code == 303
        page = browser.get(done.headers["location"])
        assert "Unvalidated" in page.text and "9.8" in page.text and "Severity" in page.text
        hub = browser.get("/clearinghouse")
        assert "Unvalidated" in hub.text


def test_clearinghouse_pages_and_confirmed_actions(container: Container, world: World, base_url: str) -> None:
    first = submit(container, world.submitter, tlp="TLP:GREEN", title="First report")
    second = submit(container, world.bank, tlp="TLP:GREEN", title="Second report")
    with httpx.Client(base_url=base_url, timeout=30) as browser:
        web_login(browser, world.treasury.email, world.treasury.password)
        queue = browser.get("/clearinghouse/queue?sort=priority&descending=true&validated=no")
        assert queue.status_code == 200 and "First report" in queue.text
        page = browser.get(f"/clearinghouse/reports/{second.id}")
        token = csrf_from(page.text)
        asked = browser.post(f"/clearinghouse/reports/{second.id}/merge", data={"csrf_token": token, "into": str(first.id)})
        assert asked.status_code == 200 and "Merge" in asked.text  # the confirmation page; nothing merged yet
        with container.uow() as uow:
            assert reports.get_report(uow, world.treasury.principal, second.id).status.value == "received"
        for label, n in itertools.product(["x"], [1]):
            assert label and n
    with httpx.Client(base_url=base_url, timeout=30) as browser:
        web_login(browser, world.bank2.email, world.bank2.password)
        assert browser.get("/clearinghouse/queue").status_code == 403


def test_only_those_who_may_act_get_a_confirmation_page(container: Container, world: World, base_url: str) -> None:
    """A source or recipient posting Disclose, Reject or Merge is refused at once: no page says what would happen."""
    view = submit(container, world.submitter, tlp="TLP:GREEN", title="Not theirs to close")
    other = submit(container, world.submitter, tlp="TLP:GREEN", title="Another one")
    for person in (world.submitter, world.bank):
        with httpx.Client(base_url=base_url, timeout=30) as browser:
            web_login(browser, person.email, person.password)
            token = csrf_from(browser.get("/clearinghouse").text)
            for action, data in (("disclose", {}), ("reject", {"reason": "no"}), ("merge", {"into": str(other.id)})):
                answer = browser.post(f"/clearinghouse/reports/{view.id}/{action}", data={"csrf_token": token, **data})
                assert 'id="confirm-form"' not in answer.text, (person.email, action)
                assert answer.status_code in (303, 403), (person.email, action, answer.status_code)
    with container.uow() as uow:
        assert reports.get_report(uow, world.treasury.principal, view.id).status.value == "received"
