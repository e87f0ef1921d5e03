"""List tables in Chromium: sorting by a header link, paging, the audit date range in the browser's
own time zone, and no page scrolling sideways at 390 px."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind
from tests.api.test_tables_audit import BrowseTag, _write
from tests.browser.layout import page_width
from tests.factories.identity import Person, make_org, make_superuser

pytestmark = pytest.mark.browser


def _sign_in(page: Page, base: str, person: Person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sort_page_and_filter_by_dates_in_the_viewers_zone(browser: Browser, container: Container, live_url: str) -> None:
    operator = make_superuser(container)
    for n in range(1, 56):
        make_org(container, OrgKind.AGENCY, name=f"Agency {n:03d}")
    # One entry an hour from 2026-05-01 00:00 UTC, for three days.
    _write(container, 72, start=datetime(2026, 5, 1, tzinfo=UTC), step=timedelta(hours=1), tag=BrowseTag.PING)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York", locale="en-US")
    try:
        page = context.new_page()
        _sign_in(page, live_url, operator)

        page.goto(live_url + "/organizations")
        expect(page.get_by_role("status").filter(has_text="organizations")).to_have_text("1–50 of 55 organizations")
        page.get_by_role("link", name=re.compile(r"^Name\W+sort descending$")).click()
        expect(page.get_by_role("columnheader", name="Name")).to_have_attribute("aria-sort", "descending")
        expect(page.locator("#orgs-table tbody tr").first).to_contain_text("Agency 055")
        page.get_by_role("navigation", name="Pages of organizations").get_by_role("link", name="Next").click()
        expect(page.get_by_role("status").filter(has_text="organizations")).to_have_text("51–55 of 55 organizations")
        expect(page.locator("#orgs-table tbody tr").last).to_contain_text("Agency 001")

        page.goto(live_url + "/audit?action=tests%3Abrowse%3Aping")
        expect(page.locator("[data-zone-label]")).to_have_text("America/New_York")
        page.get_by_label("From").fill("2026-05-02")
        page.get_by_label("To (inclusive)").fill("2026-05-02")
        page.get_by_role("button", name="Filter").click()
        expect(page).to_have_url(re.compile(r"tz=America%2FNew_York"))
        expect(page.get_by_role("status").filter(has_text="entries")).to_have_text("24 entries")
        # The range is New York's 2 May: from 04:00 UTC that day to 03:00 UTC the next (the newest).
        expect(page.locator("#audit-table tbody tr").first.locator("time")).to_have_attribute(
            "datetime", "2026-05-03T03:00:00.000000Z"
        )

        page.set_viewport_size({"width": 390, "height": 900})
        for path in ("/organizations", "/audit", "/models", "/coverage/inquiries", "/coverage/policies"):
            page.goto(live_url + path)
            assert page_width(page) <= 390, path
    finally:
        context.close()
