"""A person signs in through Chromium and lands on their role's home page."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, expect

from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind, Role
from tests.browser.layout import page_width
from tests.factories.identity import make_org, make_user

pytestmark = pytest.mark.browser


def test_sign_in_and_see_home_page(container: Container, live_url: str, page: Page) -> None:
    org = make_org(container, OrgKind.PARTNER, name="Mercy Health System")
    admin = make_user(container, org, role=Role.ADMIN)
    page.goto(live_url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    page.get_by_label("Email").fill(admin.email)
    page.get_by_label("Password").fill("wrong password entirely")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Email or password is incorrect")
    page.get_by_label("Password").fill(admin.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    expect(page.get_by_role("heading", name="Mercy Health System", exact=True)).to_be_visible()
    expect(page.get_by_text("Trusted partner", exact=True)).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    # Times are shown in the viewer's zone, with UTC kept in the title.
    last_sign_in = page.locator("dd time").first
    expect(last_sign_in).to_have_attribute("title", re.compile("UTC"))
    if os.environ.get("FR_SCREENSHOTS"):
        page.screenshot(path=os.environ["FR_SCREENSHOTS"] + "/home.png", full_page=True)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Account").click()
    page.get_by_label("Name").fill("TAXII pull")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token")
    expect(token).to_contain_text("frt_")
    # The POST is replaced in history, so a reload shows the page without re-submitting.
    expect(page).to_have_url(re.compile(r"/account$"))
    page.wait_for_load_state("load")
    page.reload()
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.get_by_role("cell", name="TAXII pull")).to_be_visible()


def test_phone_layout_keeps_navigation_usable(container: Container, live_url: str, page: Page) -> None:
    org = make_org(container, OrgKind.AGENCY, name="DHS CISA")
    member = make_user(container, org)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_url + "/login")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill(member.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="DHS CISA", exact=True)).to_be_visible()
    width = page_width(page)
    assert width <= 390, f"page scrolls sideways on a phone ({width}px)"
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    if os.environ.get("FR_SCREENSHOTS"):
        page.screenshot(path=os.environ["FR_SCREENSHOTS"] + "/phone.png", full_page=True)


def test_interactive_api_docs_render(live_url: str, page: Page) -> None:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(live_url + "/api/v1/docs")
    # Swagger UI renders the whole document in the browser: seconds on a loaded machine.
    expect(page.get_by_role("heading", name=re.compile("Frontier Review API"))).to_be_visible(timeout=30_000)
    expect(page.get_by_text("/api/v1/organizations", exact=True).first).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Authorize"))).to_be_visible()
    assert errors == []  # nothing blocked by the CSP, no missing asset
