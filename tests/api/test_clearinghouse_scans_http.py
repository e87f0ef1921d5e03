"""Scan deconfliction over real HTTP: the REST API (problem+json, 422 naming the field), who may do
what, the pages (calendar, lists, registration form that keeps what was typed, scan page), and
that an unrelated organization learns nothing — not a page, a list entry, an API answer or a count."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.kernel.clock import FrozenClock
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.identity import Person, api_token, make_org, make_user


@dataclass(frozen=True)
class World:
    cisa: Person
    agency: Person
    house: Person
    bank: Person
    outsider: Person
    bank_org: uuid.UUID
    tokens: dict[str, str]


@pytest.fixture
def world(container: Container) -> World:
    bank_org = make_org(container, OrgKind.PARTNER, name="First Federal Bank", sector=Sector.FINANCIAL_SERVICES)
    people = {
        "cisa": make_user(container, make_org(container, OrgKind.AGENCY, name="DHS CISA"), role=Role.ADMIN),
        "agency": make_user(container, make_org(container, OrgKind.AGENCY, name="Treasury OCCIP")),
        "house": make_user(container, make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury Clearinghouse")),
        "bank": make_user(container, bank_org, role=Role.ADMIN),
        "outsider": make_user(container, make_org(container, OrgKind.PARTNER, name="Second Bank")),
    }
    tokens = {name: api_token(container, person) for name, person in people.items()}
    return World(**people, bank_org=bank_org.id, tokens=tokens)


def body(clock: FrozenClock, target: uuid.UUID, **over: object) -> dict[str, object]:
    start = clock.now() + timedelta(days=1)
    out: dict[str, object] = {
        "target_org_id": str(target),
        "ranges": ["198.51.100.0/24", "2001:db8:10::/48"],
        "domains": ["online.firstfederal.example"],
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat(),
        "model_text": "scanning agent",
        "purpose": "external surface",
    }
    out.update(over)
    return out


def test_register_overlap_and_roles_over_http(http: httpx.Client, world: World, clock: FrozenClock) -> None:
    t = world.tokens
    first = http.post("/api/v1/clearinghouse/scans", json=body(clock, world.bank_org), headers=bearer(t["cisa"]))
    assert first.status_code == 201, first.text
    scan = first.json()
    assert scan["overlaps"] == [] and scan["scanner"] == "DHS CISA" and scan["target"] == "First Federal Bank"
    second = http.post(
        "/api/v1/clearinghouse/scans",
        json=body(clock, world.bank_org, ranges=["198.51.100.64/26"], domains=[]),
        headers=bearer(t["agency"]),
    )
    assert second.status_code == 201, second.text
    [overlap] = second.json()["overlaps"]
    assert overlap["other_scanner"] == "DHS CISA" and overlap["other_contact"] == world.cisa.email
    assert overlap["ranges"] == [["198.51.100.64/26", "198.51.100.0/24"]]
    # the first scanner sees the overlap on its own scan; it cannot open the other's scan
    mine = http.get(f"/api/v1/clearinghouse/scans/{scan['id']}/overlaps", headers=bearer(t["cisa"]))
    assert mine.status_code == 200 and mine.json()[0]["other_contact"] == world.agency.email
    assert_problem(http.get(f"/api/v1/clearinghouse/scans/{second.json()['id']}", headers=bearer(t["cisa"])), 404)
    # the target objects (403 for the scanner), the scanner changes (403 for the target)
    url = f"/api/v1/clearinghouse/scans/{scan['id']}"
    assert_problem(http.put(url + "/objection", json={"reason": "no"}, headers=bearer(t["cisa"])), 403)
    assert_problem(http.put(url + "/objection", json={"reason": " "}, headers=bearer(t["bank"])), 422, field="reason")
    objected = http.put(url + "/objection", json={"reason": "quarter close"}, headers=bearer(t["bank"]))
    assert objected.status_code == 200 and objected.json()["objection"] == "quarter close"
    assert_problem(http.patch(url, json={"ranges": ["198.51.100.0/25"]}, headers=bearer(t["bank"])), 403)
    assert_problem(http.patch(url, json={"ranges": ["198.51.100.0/25"], "version": 99}, headers=bearer(t["cisa"])), 409)
    moved = http.patch(
        url,
        json={
            "starts_at": (clock.now() + timedelta(days=9)).isoformat(),
            "ends_at": (clock.now() + timedelta(days=10)).isoformat(),
        },
        headers=bearer(t["cisa"]),
    )
    assert moved.status_code == 200 and moved.json()["overlaps"] == []
    # only the clearinghouse resolves
    back = http.patch(
        url,
        json={
            "starts_at": (clock.now() + timedelta(days=1)).isoformat(),
            "ends_at": (clock.now() + timedelta(days=3)).isoformat(),
        },
        headers=bearer(t["cisa"]),
    )
    [again] = back.json()["overlaps"]
    resolve = f"/api/v1/clearinghouse/scan-overlaps/{again['id']}/resolve"
    assert_problem(http.post(resolve, json={}, headers=bearer(t["bank"])), 403)
    assert_problem(http.post(resolve, json={}, headers=bearer(t["outsider"])), 404)
    done = http.post(resolve, json={"note": "CISA first"}, headers=bearer(t["house"]))
    assert done.status_code == 200 and done.json()["resolution"] == "CISA first"
    assert_problem(http.post(url + "/cancel", headers=bearer(t["house"])), 403)
    assert http.post(url + "/cancel", headers=bearer(t["cisa"])).json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"ranges": ["198.51.100.7/24"]}, "ranges"),
        ({"ranges": ["2001:db8::1/32"]}, "ranges"),
        ({"ranges": ["300.1.1.0/24"]}, "ranges"),
        ({"domains": ["-bad.example"]}, "domains"),
        ({"ranges": [], "domains": []}, "ranges"),
        ({"ends_at": "2020-01-01T00:00:00+00:00"}, "ends_at"),
        ({"ends_at": "not a time"}, "ends_at"),
        ({"starts_at": "2026-06-02T10:00:00"}, "starts_at"),
    ],
    ids=["v4-host-bits", "v6-host-bits", "v4-octet", "domain", "empty", "backwards", "garbage-time", "naive-time"],
)
def test_bad_input_is_422_naming_the_field(
    http: httpx.Client, world: World, clock: FrozenClock, over: dict[str, object], field: str
) -> None:
    response = http.post(
        "/api/v1/clearinghouse/scans", json=body(clock, world.bank_org, **over), headers=bearer(world.tokens["cisa"])
    )
    problem = assert_problem(response, 422)
    assert field in response.text, problem
    listed = http.get("/api/v1/clearinghouse/scans", headers=bearer(world.tokens["cisa"])).json()
    assert listed["total"] == 0


def test_an_unrelated_organization_learns_nothing(http: httpx.Client, world: World, clock: FrozenClock, base_url: str) -> None:
    made = http.post("/api/v1/clearinghouse/scans", json=body(clock, world.bank_org), headers=bearer(world.tokens["cisa"])).json()
    scan_id = made["id"]
    out = bearer(world.tokens["outsider"])
    missing = http.get(f"/api/v1/clearinghouse/scans/{uuid.uuid4()}", headers=out)
    hidden = http.get(f"/api/v1/clearinghouse/scans/{scan_id}", headers=out)
    assert_problem(hidden, 404)
    assert hidden.json()["detail"].replace(scan_id, "X") == missing.json()["detail"].split(" ")[0] + " X not found"
    assert_problem(http.get(f"/api/v1/clearinghouse/scans/{scan_id}/overlaps", headers=out), 404)
    assert_problem(http.put(f"/api/v1/clearinghouse/scans/{scan_id}/objection", json={"reason": "x"}, headers=out), 404)
    for params in ({}, {"side": "target"}, {"target": str(world.bank_org)}):
        listed = http.get("/api/v1/clearinghouse/scans", params=params, headers=out).json()
        assert listed == {"items": [], "total": 0, "page": 1, "per_page": 50}
    with httpx.Client(base_url=base_url, follow_redirects=False) as browser:
        web_login(browser, world.outsider.email, world.outsider.password)
        assert browser.get(f"/clearinghouse/scans/{scan_id}").status_code == 404
        for path in (
            "/clearinghouse/scans",
            "/clearinghouse/scans/assets",
            f"/clearinghouse/scans/assets?target={world.bank_org}",
        ):
            page = browser.get(path)
            assert page.status_code == 200 and scan_id not in page.text and "No scans" in page.text, path
        assert browser.get("/clearinghouse/scans/calendar").status_code in {303, 403}
        notes = browser.get("/notifications")
        assert notes.status_code == 200 and "First Federal" not in notes.text and scan_id not in notes.text
    # the people who may see it do
    assert http.get(f"/api/v1/clearinghouse/scans/{scan_id}", headers=bearer(world.tokens["bank"])).status_code == 200
    assert http.get(f"/api/v1/clearinghouse/scans/{scan_id}", headers=bearer(world.tokens["house"])).status_code == 200


def test_pages_render_and_the_form_keeps_what_was_typed(
    base_url: str, world: World, clock: FrozenClock, http: httpx.Client
) -> None:
    http.post("/api/v1/clearinghouse/scans", json=body(clock, world.bank_org), headers=bearer(world.tokens["cisa"]))
    http.post(
        "/api/v1/clearinghouse/scans",
        json=body(clock, world.bank_org, ranges=["198.51.100.0/25"]),
        headers=bearer(world.tokens["agency"]),
    )
    with httpx.Client(base_url=base_url, follow_redirects=False) as browser:
        web_login(browser, world.cisa.email, world.cisa.password)
        form = browser.get("/clearinghouse/scans/new")
        assert form.status_code == 200 and "First Federal Bank" in form.text
        start = (clock.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        end = (clock.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        refused = browser.post(
            "/clearinghouse/scans/new",
            data={
                "csrf_token": csrf_from(form.text),
                "target_org_id": str(world.bank_org),
                "ranges": "203.0.113.9/24",
                "domains": "portal.firstfederal.example",
                "starts_at": start,
                "ends_at": end,
                "model_text": "my agent",
                "purpose": "keep me",
            },
        )
        assert refused.status_code == 422
        assert "did you mean 203.0.113.0/24?" in refused.text
        assert "portal.firstfederal.example" in refused.text and "keep me" in refused.text and "my agent" in refused.text
        done = browser.post(
            "/clearinghouse/scans/new",
            data={
                "csrf_token": csrf_from(refused.text),
                "target_org_id": str(world.bank_org),
                "ranges": "198.51.100.0/24\n2001:db8::/32",
                "domains": "",
                "starts_at": start,
                "ends_at": end,
            },
        )
        assert done.status_code == 303, done.text
        page = browser.get(done.headers["location"])
        assert page.status_code == 200 and "Overlaps" in page.text and "Treasury OCCIP" in page.text
        ours = browser.get("/clearinghouse/scans")
        assert ours.status_code == 200 and "2 scans" in ours.text and "overlap" in ours.text
        cancel = browser.post(done.headers["location"] + "/cancel", data={"csrf_token": csrf_from(page.text)})
        assert cancel.status_code == 200 and "Cancel the scan" in cancel.text  # the confirmation step
    with httpx.Client(base_url=base_url, follow_redirects=False) as browser:
        web_login(browser, world.house.email, world.house.password)
        cal = browser.get("/clearinghouse/scans/calendar")
        assert cal.status_code == 200 and "First Federal Bank" in cal.text and "overlapping" in cal.text
    with httpx.Client(base_url=base_url, follow_redirects=False) as browser:
        web_login(browser, world.bank.email, world.bank.password)
        assets = browser.get("/clearinghouse/scans/assets")
        assert assets.status_code == 200 and "3 scans" in assets.text and "Object" in assets.text and "DHS CISA" in assets.text


def test_route_matrix_over_http(http: httpx.Client, world: World, clock: FrozenClock) -> None:
    """Every scan route × every kind of caller, as status codes (one fresh scan per row that changes it)."""

    rows = itertools.count()

    def fresh() -> tuple[str, str]:
        # Each pair in a window of its own, so that pairs do not overlap one another.
        begin = clock.now() + timedelta(days=10 + 3 * next(rows))
        when = {"starts_at": begin.isoformat(), "ends_at": (begin + timedelta(days=2)).isoformat()}
        scan = http.post(
            "/api/v1/clearinghouse/scans", json=body(clock, world.bank_org, **when), headers=bearer(world.tokens["cisa"])
        ).json()
        other = http.post(
            "/api/v1/clearinghouse/scans",
            json=body(clock, world.bank_org, domains=[], **when),
            headers=bearer(world.tokens["agency"]),
        ).json()
        return scan["id"], other["overlaps"][0]["id"]

    start, end = (clock.now() + timedelta(days=1)).isoformat(), (clock.now() + timedelta(days=2)).isoformat()
    routes: list[tuple[str, str, dict[str, object] | None]] = [
        ("GET", "/api/v1/clearinghouse/scans/{scan}", None),
        ("GET", "/api/v1/clearinghouse/scans/{scan}/overlaps", None),
        ("PATCH", "/api/v1/clearinghouse/scans/{scan}", {"starts_at": start, "ends_at": end}),
        ("PUT", "/api/v1/clearinghouse/scans/{scan}/objection", {"reason": "please move it"}),
        ("POST", "/api/v1/clearinghouse/scan-overlaps/{overlap}/resolve", {"note": "agreed"}),
        ("POST", "/api/v1/clearinghouse/scans/{scan}/cancel", None),
    ]
    # fmt: off
    #            cisa  agency house bank outsider  (cisa scans the bank; the agency's scan overlaps it)
    expected = {
        "GET /api/v1/clearinghouse/scans/{scan}":                  (200, 404, 200, 200, 404),
        "GET /api/v1/clearinghouse/scans/{scan}/overlaps":         (200, 404, 200, 200, 404),
        "PATCH /api/v1/clearinghouse/scans/{scan}":                (200, 404, 403, 403, 404),
        "PUT /api/v1/clearinghouse/scans/{scan}/objection":        (403, 404, 403, 200, 404),
        "POST /api/v1/clearinghouse/scan-overlaps/{overlap}/resolve": (403, 403, 200, 403, 404),
        "POST /api/v1/clearinghouse/scans/{scan}/cancel":          (200, 404, 403, 403, 404),
    }
    # fmt: on
    for method, path, payload in routes:
        for who, status_code in zip(("cisa", "agency", "house", "bank", "outsider"), expected[f"{method} {path}"], strict=True):
            scan, overlap = fresh()
            url = path.format(scan=scan, overlap=overlap)
            got = http.request(method, url, json=payload, headers=bearer(world.tokens[who]))
            assert got.status_code == status_code, (method, path, who, got.text)
