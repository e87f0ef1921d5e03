"""The clearinghouse flow of issue 14, in a browser: a partner submits a TLP:AMBER report naming a
bank; the clearinghouse validates it and records a fix; only that bank (and the source) sees it —
a second bank subscribed to the same sector gets a 404 for its page, finds it in no list, on no
board and in no notice —; the bank marks the patch applied; the clearinghouse sees it on the
report's distribution table. Pages are checked at 390 px too."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.subscriptions import service as subscriptions
from frontier_review.identity.domain import OrgKind, Role, Sector
from tests.browser.layout import page_width
from tests.browser.test_coverage_flow import _sign_in
from tests.factories.identity import SYSTEM, Person, make_org, make_user

pytestmark = pytest.mark.browser

TITLE = "Authentication bypass in the core-banking gateway"


def _as(page: Page, base: str, person: Person) -> None:
    page.context.clear_cookies()
    _sign_in(page, base, person)


def test_amber_report_reaches_only_the_named_bank_which_applies_the_patch(
    container: Container, live_url: str, page: Page
) -> None:
    house = make_user(container, make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury Clearinghouse"))
    partner = make_user(
        container, make_org(container, OrgKind.PARTNER, name="Mercy Health", sector=Sector.HEALTHCARE_AND_PUBLIC_HEALTH)
    )
    bank_org = make_org(container, OrgKind.PARTNER, name="First Federal", sector=Sector.FINANCIAL_SERVICES)
    bank2_org = make_org(container, OrgKind.PARTNER, name="Second National", sector=Sector.FINANCIAL_SERVICES)
    bank = make_user(container, bank_org, role=Role.ADMIN)
    bank2 = make_user(container, bank2_org, role=Role.ADMIN)
    for org in (bank_org, bank2_org):  # both banks subscribe to their sector
        with container.uow() as uow:
            subscriptions.create_subscription(uow, SYSTEM, name="Finance", sectors=["financial_services"], organization_id=org.id)

    # The partner submits an AMBER report naming the first bank.
    _as(page, live_url, partner)
    page.goto(live_url + "/clearinghouse/reports/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Description and how to reproduce it").fill("A crafted session token skips the MFA check.")
    page.get_by_label("TLP 2.0 label").select_option("TLP:AMBER")
    page.get_by_label("Recipient organizations (AMBER, AMBER+STRICT)").select_option(label="First Federal")
    page.get_by_label("CVSS 3.1 vector").fill("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")
    page.get_by_label(Sector.FINANCIAL_SERVICES.label, exact=True).check()
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    match = re.search(r"/clearinghouse/reports/([0-9a-f-]{36})", page.url)
    assert match is not None
    report_url = f"{live_url}/clearinghouse/reports/{match.group(1)}"

    # The clearinghouse validates it and records the vendor's fix.
    _as(page, live_url, house)
    page.goto(report_url)
    page.get_by_label("Reproduced", exact=True).check()
    page.get_by_label("Affected versions confirmed").check()
    page.get_by_label("How it was reproduced").fill("Reproduced against 4.2.0 in the lab.")
    page.get_by_role("button", name="Validate").click()
    expect(page.locator(".pill.unvalidated")).to_have_count(0)
    page.get_by_text("Record a fix").click()
    page.get_by_label("Fixed version").fill("4.2.1")
    page.get_by_label("Release date").fill("2026-12-01")
    page.get_by_label("Link (http or https)").fill("https://vendor.example/advisories/4.2.1")
    page.get_by_role("button", name="Record fix").click()
    table = page.locator("#distribution-table")
    expect(table).to_contain_text("First Federal")
    expect(table).to_contain_text("Still exposed")
    expect(table).not_to_contain_text("Second National")

    # The second bank learns nothing: no page, no list, no board, no notice.
    _as(page, live_url, bank2)
    response = page.goto(report_url)
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text(TITLE)
    for path in ("/clearinghouse", "/clearinghouse/exposure", "/notifications", "/"):
        page.goto(live_url + path)
        expect(page.locator("body")).not_to_contain_text(TITLE)
        expect(page.locator("body")).not_to_contain_text("First Federal")
    page.goto(live_url + "/clearinghouse/exposure")
    expect(page.locator("#exposure-count")).to_contain_text("0 reports")

    # The first bank sees it on its exposure board, opens it from its notice and marks the patch applied.
    _as(page, live_url, bank)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_url + "/notifications")
    expect(page.locator("body")).to_contain_text(TITLE)
    page.goto(live_url + "/clearinghouse/exposure")
    assert page_width(page) <= 390
    expect(page.locator("#exposure-table")).to_contain_text(TITLE)
    expect(page.locator("#exposure-table")).to_contain_text("Still exposed")
    page.get_by_role("link", name=TITLE).click()
    assert page_width(page) <= 390
    page.get_by_label("Note (optional)").fill("Rolled out to every branch.")
    page.get_by_role("button", name="Mark applied").click()
    expect(page.locator("#own-status")).to_contain_text("Applied")
    page.goto(live_url + "/clearinghouse/exposure")
    expect(page.locator("#exposure-count")).to_contain_text("0 still exposed")

    # The clearinghouse sees it on the report's distribution table, and on the board.
    _as(page, live_url, house)
    page.goto(report_url)
    assert page_width(page) <= 390
    row = page.locator("#distribution-table tbody tr", has_text="First Federal")
    expect(row).to_contain_text("Applied")
    expect(row).to_contain_text("Rolled out to every branch.")
    expect(row).not_to_contain_text("Still exposed")
    page.goto(live_url + "/clearinghouse/board")
    assert page_width(page) <= 390
    expect(page.locator("#queue-table")).to_contain_text("0 still exposed")
