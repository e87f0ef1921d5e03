"""Subscriptions over real HTTP: problem+json on bad input, hidden from other organizations, pages render."""

from __future__ import annotations

import httpx

from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind, Role, Sector
from tests.api.helpers import assert_problem, bearer, web_login
from tests.factories.identity import api_token, make_org, make_user

API = "/api/v1/clearinghouse/subscriptions"


def test_subscriptions_over_http(container: Container, http: httpx.Client, base_url: str) -> None:
    bank = make_org(container, OrgKind.PARTNER, name="First Federal", sector=Sector.FINANCIAL_SERVICES)
    admin = make_user(container, bank, role=Role.ADMIN)
    member = make_user(container, bank)
    other = make_user(container, make_org(container, OrgKind.PARTNER, name="Second Bank"), role=Role.ADMIN)
    analyst = make_user(container, make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury"))
    a, m, o = (bearer(api_token(container, p)) for p in (admin, member, other))

    # A metadata address is refused whatever the settings, naming the field and the reason.
    bad = http.post(
        API,
        headers=a,
        json={"name": "x", "sectors": ["financial_services"], "channels": ["webhook"], "webhook_url": "http://169.254.169.254/x"},
    )
    body = assert_problem(bad, 422, field="webhook_url")
    assert "metadata" in str(body["detail"])
    assert_problem(
        http.post(API, headers=a, json={"name": "x", "products": ["pkg:pypi"], "channels": ["in_app"]}), 422, field="products"
    )
    assert_problem(http.post(API, headers=m, json={"name": "x", "sectors": ["energy"]}), 403)

    made = http.post(API, headers=a, json={"name": "Banking", "sectors": ["financial_services"], "min_priority": "high"})
    assert made.status_code == 201, made.text
    sub = made.json()["subscription"]
    assert sub["min_score"] == 60.0 and made.json()["secret"] is None
    assert [s["id"] for s in http.get(API, headers=m).json()] == [sub["id"]]
    assert http.get(API, headers=o).json() == []
    assert_problem(http.get(f"{API}/{sub['id']}", headers=o), 404)
    assert_problem(http.get(f"{API}/{sub['id']}/deliveries", headers=o), 404)
    assert_problem(http.post(f"{API}/{sub['id']}/secret", headers=a), 422, field="webhook_url")

    with httpx.Client(base_url=base_url) as browser:
        assert web_login(browser, analyst.email, analyst.password).status_code == 303
        page = browser.get("/clearinghouse/subscriptions")
        assert page.status_code == 200
        assert "Delivery status per subscriber" in page.text and "Banking" in page.text and "First Federal" in page.text
    with httpx.Client(base_url=base_url) as browser:
        web_login(browser, admin.email, admin.password)
        page = browser.get("/clearinghouse/subscriptions")
        assert page.status_code == 200 and "New subscription" in page.text
        assert browser.get(f"/clearinghouse/subscriptions/{sub['id']}").status_code == 200
    assert http.delete(f"{API}/{sub['id']}", headers=a).status_code == 204
