"""Forms keep what was typed (issue 12, item 1), in Chromium: a refused finding comes back with its
text and the error summary focused, whose link moves to the field; a window over 30 days keeps the
date typed; and the engagement page's tabs fit a 390 px phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from frontier_review.bootstrap import Container
from tests.browser.layout import page_width
from tests.factories.engagements import make_engagement
from tests.factories.identity import Person

pytestmark = pytest.mark.browser
DESCRIPTION = "Asked twice, the model wrote working exploit code for the parser.\nSteps below."


def _sign_in(page: Page, base: str, person: Person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _focused_id(page: Page) -> str:
    return str(page.evaluate("document.activeElement && document.activeElement.id"))


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_refused_finding_keeps_its_text_and_focuses_the_error(container: Container, live_url: str, page: Page) -> None:
    setup = make_engagement(container)
    _sign_in(page, live_url, setup.reviewer)
    page.goto(f"{live_url}/engagements/{setup.engagement.id}")
    page.get_by_role("link", name="File a finding").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("File a finding")
    page.get_by_label("Title").fill("ab")
    page.get_by_label("Severity").select_option("high")
    page.get_by_label("Description").fill(DESCRIPTION)
    page.get_by_role("button", name="File finding").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary).to_contain_text("title must have 3 to 200 characters")
    title = page.get_by_label("Title")
    expect(title).to_have_value("ab")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Description")).to_have_value(DESCRIPTION)
    expect(page.get_by_label("Severity")).to_have_value("high")
    # The error is next to the field, and the summary's link moves the focus there.
    expect(page.locator("#finding-title-error")).to_contain_text("title must have 3 to 200 characters")
    summary.get_by_role("link").click()
    assert _focused_id(page) == "finding-title"

    title.fill("Writes exploit code on request")
    page.get_by_role("button", name="File finding").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Writes exploit code on request")
    expect(page.locator(".prose")).to_contain_text("working exploit code for the parser")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_window_over_30_days_keeps_the_date(container: Container, live_url: str, page: Page) -> None:
    setup = make_engagement(container)
    _sign_in(page, live_url, setup.developer)
    page.goto(f"{live_url}/engagements/{setup.engagement.id}#participants")
    expect(page.get_by_role("tab", name="Participants & usage")).to_have_attribute("aria-selected", "true")
    page.get_by_role("tab", name="Overview").click()
    page.get_by_label("New window end").fill("2099-01-01T00:00")
    page.get_by_role("button", name="Change window").click()

    expect(page.locator("[data-error-summary]")).to_be_focused()
    expect(page.get_by_role("tab", name="Overview")).to_have_attribute("aria-selected", "true")
    field = page.get_by_label("New window end")
    expect(field).to_have_value("2099-01-01T00:00")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("main")).to_contain_text("a window lasts at most 30 days")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_engagement_page_fits_a_phone_on_every_tab(container: Container, live_url: str, browser: Browser) -> None:
    setup = make_engagement(container)
    context = browser.new_context(viewport={"width": 390, "height": 844}, timezone_id="America/New_York")
    try:
        page = context.new_page()
        for person in (setup.developer, setup.reviewer, setup.program_office):
            _sign_in(page, live_url, person)
            page.goto(f"{live_url}/engagements/{setup.engagement.id}")
            tabs = page.get_by_role("tab")
            for i in range(tabs.count()):
                tabs.nth(i).click()
                expect(tabs.nth(i)).to_have_attribute("aria-selected", "true")
                width = page_width(page)
                assert width <= 390, (person.email, tabs.nth(i).inner_text(), width)
            # Arrow keys move between the tabs.
            tabs.first.click()
            tabs.first.press("ArrowRight")
            expect(tabs.nth(1)).to_be_focused()
            expect(tabs.nth(1)).to_have_attribute("aria-selected", "true")
            page.locator("summary", has_text="Menu").click()  # on a phone, Sign out is in the menu
            page.get_by_role("button", name="Sign out").click()
    finally:
        context.close()
