"""Subscriptions over real HTTP: problem+json on bad input, hidden from other organizations, pages render;
the edit page (admins only, a refused form shown again with what was typed)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.subscriptions import service as subscriptions
from frontier_review.identity.domain import OrgKind, Role, Sector
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.identity import SYSTEM, Person, api_token, make_org, make_user

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


@contextmanager
def _signed_in(base_url: str, person: Person) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        assert web_login(client, person.email, person.password).status_code == 303
        yield client


def _denials(container: Container, permission: str) -> int:
    with container.uow() as uow:
        query = sa.select(sa.func.count()).select_from(AuditEntry)
        return int(uow.session.scalar(query.where(AuditEntry.outcome == "denied", AuditEntry.action == permission)) or 0)


def test_the_edit_page(container: Container, base_url: str) -> None:
    """Admins change a subscription on the web (the PUT's use case); a refused form keeps what was typed,
    each problem next to its field; members get 403 and no link, everyone else 404."""
    bank = make_org(container, OrgKind.PARTNER, name="First Federal", sector=Sector.FINANCIAL_SERVICES)
    admin, member = make_user(container, bank, role=Role.ADMIN), make_user(container, bank)
    other = make_user(container, make_org(container, OrgKind.PARTNER, name="Second Bank"), role=Role.ADMIN)
    analyst = make_user(container, make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury"))
    with container.uow() as uow:
        sub = subscriptions.create_subscription(
            uow, SYSTEM, name="Banking", sectors=["financial_services"], min_priority="high", organization_id=bank.id
        ).subscription
    page, edit = f"/clearinghouse/subscriptions/{sub.id}", f"/clearinghouse/subscriptions/{sub.id}/edit"

    with _signed_in(base_url, admin) as c:
        assert f'href="{edit}"' in c.get(page).text
        form = c.get(edit)
        assert form.status_code == 200
        assert 'value="Banking"' in form.text and 'value="60"' in form.text
        assert re.search(r'value="financial_services" [^>]*checked', form.text)
        assert 'name="active" value="true" checked' in form.text
        refused = c.post(
            edit,
            data={
                "csrf_token": csrf_from(form.text),
                "name": "Banking and payments",
                "sectors": ["financial_services", "energy"],
                "products": "pkg:pypi",
                "min_priority": "70",
                "channels": ["in_app"],
                "active": "true",
            },
        )
        assert refused.status_code == 422
        assert 'value="Banking and payments"' in refused.text and 'value="70"' in refused.text
        assert re.search(r'value="energy" [^>]*checked', refused.text)
        products = refused.text.split('for="subscription-edit-products"')[1].split("</textarea>")[0]  # the field's block
        assert 'id="subscription-edit-products-error"' in products and 'aria-invalid="true"' in products
        assert products.endswith(">pkg:pypi")  # what was typed, back in the textarea
        saved = c.post(
            edit,
            data={
                "csrf_token": csrf_from(form.text),
                "name": "Payments",
                "sectors": ["energy"],
                "products": "pkg:pypi/django\ncpe:2.3:a:example:gateway",
                "min_priority": "70",
                "channels": ["in_app", "email"],
            },  # "active" unticked: paused
        )
        assert saved.status_code == 303 and saved.headers["location"] == page
        assert "Subscription saved and paused." in c.get(page).text
    with container.uow() as uow:
        after = subscriptions.get_subscription(uow, SYSTEM, sub.id)
        updated = uow.session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "clearinghouse:subscription:updated"))
    assert (after.name, [s.value for s in after.sectors], after.min_score, after.active) == ("Payments", ["energy"], 70.0, False)
    assert after.products == ("pkg:pypi/django", "cpe:2.3:a:example:gateway") and updated == 1

    manage = "clearinghouse:subscription:manage"
    before = _denials(container, manage)
    with _signed_in(base_url, member) as c:
        assert c.get(page).status_code == 200 and f'href="{edit}"' not in c.get(page).text
        assert c.get(edit).status_code == 403
        token = csrf_from(c.get(page).text)
        # A refused POST goes back to its form page, which refuses again: nothing is saved.
        assert c.post(edit, data={"csrf_token": token, "name": "Mine now"}, follow_redirects=True).status_code == 403
    for outsider in (other, analyst):
        with _signed_in(base_url, outsider) as c:
            assert c.get(edit).status_code == 404
            assert c.get(f"/clearinghouse/subscriptions/{uuid.uuid4()}/edit").status_code == 404
            token = csrf_from(c.get("/clearinghouse/subscriptions").text)
            assert c.post(edit, data={"csrf_token": token, "name": "Mine now"}, follow_redirects=True).status_code == 404
    assert _denials(container, manage) - before >= 6
    with container.uow() as uow:
        assert subscriptions.get_subscription(uow, SYSTEM, sub.id).name == "Payments"
