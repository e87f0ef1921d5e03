"""Patch distribution over real HTTP on loopback: fixes and records through the API (problem+json,
404 for a hidden report), the operator's own update, the exposure board, and the pages: the report's
section as each reader sees it, the board's counts, a refused fix form shown again; the exposure board
paged (API and page), each reader its own records, the clearinghouse every operator's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse import patches
from frontier_review.clearinghouse.patches import FixInput
from frontier_review.clearinghouse.subscriptions import service as subscriptions
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.clearinghouse import World, make_world, submit, validate
from tests.factories.identity import SYSTEM, Person, api_token

FIX = {"fixed_version": "2.3.2", "released_on": "2026-12-01", "link": "https://vendor.example/2.3.2"}


@pytest.fixture
def world(container: Container) -> World:
    w = make_world(container)
    for org_id in (w.bank_id, w.bank2_id):
        with container.uow() as uow:
            subscriptions.create_subscription(uow, SYSTEM, name="Finance", sectors=["financial_services"], organization_id=org_id)
    return w


def _token(container: Container, person: Person) -> dict[str, str]:
    return bearer(api_token(container, person))


def test_fixes_records_and_the_operators_own_update(container: Container, world: World, http: httpx.Client) -> None:
    view = submit(container, world.submitter, orgs=[world.bank_id], sectors=["financial_services"])
    validate(container, world, view.id)
    url = f"/api/v1/clearinghouse/reports/{view.id}"
    house, bank, bank2 = (_token(container, p) for p in (world.treasury, world.bank, world.bank2))
    assert_problem(http.post(url + "/fixes", json={**FIX, "link": "javascript:alert(1)"}, headers=house), 422, field="link")
    assert_problem(http.post(url + "/fixes", json=FIX, headers=bank), 403)
    assert_problem(http.post(url + "/fixes", json=FIX, headers=bank2), 404)
    created = http.post(url + "/fixes", json=FIX, headers=house)
    assert created.status_code == 201, created.text
    fix = created.json()
    assert http.get(url, headers=house).json()["fix_available"] is True
    edited = http.put(f"{url}/fixes/{fix['id']}", json={**FIX, "fixed_version": "2.3.3", "version": 1}, headers=house)
    assert edited.status_code == 200 and edited.json()["fixed_version"] == "2.3.3"
    assert_problem(http.put(f"{url}/fixes/{fix['id']}", json={**FIX, "version": 1}, headers=house), 409)

    everyone = http.get(url + "/distribution", headers=house).json()
    assert [r["organization_id"] for r in everyone["records"]] == [str(world.bank_id)]
    assert everyone["exposed"] == 1
    source = http.get(url + "/distribution", headers=_token(container, world.submitter)).json()
    assert source["records"] is None and source["counts"]["notified"] == 1 and source["own"] is None
    mine = http.get(url + "/distribution", headers=bank).json()
    assert mine["records"] is None and mine["counts"] is None and mine["own"]["state"] == "notified"
    for path in ("/distribution", "/fixes"):
        assert_problem(http.get(url + path, headers=bank2), 404)
    assert_problem(http.post(url + "/distribution/mine", json={"state": "applied"}, headers=bank2), 404)
    assert_problem(http.post(url + "/distribution/mine", json={"state": "applied"}, headers=house), 404)
    assert_problem(http.post(url + "/distribution/mine", json={"state": "done"}, headers=bank), 422, field="state")
    applied = http.post(url + "/distribution/mine", json={"state": "applied", "note": "all branches"}, headers=bank)
    assert applied.status_code == 200, applied.text
    assert applied.json()["state"] == "applied" and applied.json()["next_states"] == ["acknowledged"]
    assert_problem(http.post(url + "/distribution/mine", json={"state": "not_affected"}, headers=bank), 409)

    board = http.get("/api/v1/clearinghouse/exposure", headers=bank).json()["items"]
    assert [(b["report_id"], b["exposed"], b["record"]["state"]) for b in board] == [(str(view.id), False, "applied")]
    assert http.get("/api/v1/clearinghouse/exposure", headers=bank2).json()["items"] == []


def test_pages_show_each_reader_its_part(container: Container, world: World, base_url: str) -> None:
    view = submit(container, world.submitter, orgs=[world.bank_id], sectors=["financial_services"])
    validate(container, world, view.id)
    page = f"/clearinghouse/reports/{view.id}"

    @contextmanager
    def client(person: Person) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=base_url, timeout=30) as c:
            assert web_login(c, person.email, person.password).status_code == 303
            yield c

    with client(world.treasury) as house:
        html = house.get(page).text
        refused = house.post(
            page + "/fixes", data={"csrf_token": csrf_from(html), "fixed_version": "2.3.2", "released_on": "soon", "link": "x"}
        )
        assert refused.status_code == 422
        assert "is not a date" in refused.text and 'value="2.3.2"' in refused.text
        done = house.post(page + "/fixes", data={"csrf_token": csrf_from(html), **FIX})
        assert done.status_code == 303
        html = house.get(page).text
        assert "Patch distribution" in html
        table = html.split('id="distribution-table"')[1].split("</table>")[0]
        assert "First Federal" in table and "Still exposed" in table and "Second National" not in table
        assert "1 still exposed" in house.get("/clearinghouse/board").text
    with client(world.submitter) as source:
        html = source.get(page).text
        assert (
            'id="patch-counts"' in html and 'id="distribution-table"' not in html and "First Federal" in html
        )  # named recipient
    with client(world.bank) as bank:
        html = bank.get(page).text
        assert 'id="own-status"' in html and "Mark applied" in html and 'id="distribution-table"' not in html
        assert 'id="patch-counts"' not in html and "Record a fix" not in html
        board = bank.get("/clearinghouse/exposure").text
        assert view.title in board and "Still exposed" in board
        assert "/clearinghouse/exposure" in bank.get("/clearinghouse").text
    with client(world.bank2) as bank2:
        assert bank2.get(page).status_code == 404
        assert view.title not in bank2.get("/clearinghouse/exposure").text


def test_the_exposure_board_pages_over_http(container: Container, world: World, http: httpx.Client, base_url: str) -> None:
    views = [
        submit(container, world.submitter, tlp="TLP:GREEN", sectors=["financial_services"], cve=f"CVE-2026-3000{i}")
        for i in range(3)
    ]
    for view in views:
        validate(container, world, view.id)
        with container.uow() as uow:
            patches.add_fix(uow, world.treasury.principal, view.id, FixInput(**FIX))
    api = "/api/v1/clearinghouse/exposure"
    bank = _token(container, world.bank)
    first = http.get(api, params={"per_page": 2}, headers=bank).json()
    second = http.get(api, params={"per_page": 2, "page": 2}, headers=bank).json()
    assert (first["total"], first["exposed"], len(first["items"]), len(second["items"])) == (3, 3, 2, 1)
    ids = [i["report_id"] for i in first["items"] + second["items"]]
    assert sorted(ids) == sorted(str(v.id) for v in views)
    assert {i["operator_id"] for i in first["items"]} == {str(world.bank_id)}
    assert_problem(http.get(api, params={"sort": "secret"}, headers=bank), 422)
    assert_problem(http.get(api, params={"per_page": 501}, headers=bank), 422)
    house = http.get(api, params={"exposed": "true"}, headers=_token(container, world.treasury)).json()
    assert house["total"] == 6 and {i["operator"] for i in house["items"]} == {"First Federal", "Second National"}

    with httpx.Client(base_url=base_url, timeout=30) as c:
        assert web_login(c, world.treasury.email, world.treasury.password).status_code == 303
        page = c.get("/clearinghouse/exposure", params={"sort": "operator", "show": "exposed"}).text
        assert "6 records, 6 still exposed." in page and ">Operator" in page and "Second National" in page
    with httpx.Client(base_url=base_url, timeout=30) as c:
        assert web_login(c, world.bank.email, world.bank.password).status_code == 303
        page = c.get("/clearinghouse/exposure", params={"sort": "nonsense", "page": "x"}).text
        assert "3 reports, 3 still exposed." in page and ">Operator" not in page and "Second National" not in page
