"""Each role signs in and finds its pending work on its home page; the navigation folds into a menu on a phone."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from frontier_review.bootstrap import Container
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from tests.browser.layout import page_width
from tests.browser.test_coverage_flow import _sign_in, _sign_out
from tests.factories.home import make_world
from tests.factories.identity import Person, make_org, make_user

pytestmark = pytest.mark.browser
PHONE: ViewportSize = {"width": 390, "height": 844}


def _shot(page: Page, name: str) -> None:
    if os.environ.get("FR_SCREENSHOTS"):
        page.screenshot(path=os.environ["FR_SCREENSHOTS"] + f"/{name}.png", full_page=True)


def _no_sideways_scroll(page: Page, width: int) -> None:
    scroll = page_width(page)
    assert scroll <= width, f"{page.url} scrolls sideways at {width}px ({scroll}px)"


def test_each_role_finds_its_pending_work_on_its_home_page(container: Container, live_url: str, page: Page) -> None:
    world = make_world(container)
    with container.uow() as uow:
        for _ in range(container.settings.login_max_failures):
            identity.login(uow, email=world.late_reviewer.email, password="wrong guess")
    treasury = make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury Clearinghouse")
    clearinghouse = make_user(container, treasury, role=Role.ADMIN)

    # The developer: findings by severity, whose count opens the filtered list, then the finding.
    _sign_in(page, live_url, world.main.developer)
    findings = page.locator("#findings")
    expect(findings).to_contain_text("Findings awaiting your answer")
    expect(findings).not_to_contain_text(world.red.title)
    expect(page.locator("#engagements")).to_contain_text("Cyber Command")
    expect(page.locator("#inquiries")).to_contain_text("asked you for more information")
    findings.get_by_role("link", name="1 high").click()
    expect(page).to_have_url(re.compile(r"/\?severity=high#findings$"))
    page.locator("#findings").get_by_role("link", name=world.high.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(world.high.title)
    _sign_out(page)

    # The reviewer: the engagement with its buttons and the time left; Playground opens the playground.
    _sign_in(page, live_url, world.main.reviewer)
    engagements = page.locator("#engagements")
    expect(engagements).to_contain_text(world.main.engagement.title)
    # The time left counts down in the browser (against the browser's clock; the server's is frozen here).
    ends = world.main.engagement.window.end.isoformat()
    expect(engagements.locator("[data-countdown]")).to_have_attribute("data-countdown", ends)
    expect(engagements.get_by_role("link", name=re.compile("^New token"))).to_be_visible()
    expect(engagements.get_by_role("link", name=re.compile("^File finding"))).to_be_visible()
    expect(page.locator("#clearinghouse")).to_contain_text("From the clearinghouse")
    engagements.get_by_role("link", name=re.compile("^Playground")).click()
    expect(page).to_have_url(re.compile(rf"/engagements/{world.main.engagement.id}/playground$"))
    _sign_out(page)

    # The program office: the queue, runs in progress and engagements by state; an inquiry opens from it.
    _sign_in(page, live_url, world.director)
    expect(page.locator("#inquiries")).to_contain_text("1 unassigned · 0 assigned · 1 waiting for the developer")
    expect(page.locator("#runs")).to_contain_text("1 running · 1 queued")
    expect(page.locator("#engagements")).to_contain_text("2 active")
    _shot(page, "home-program-office")
    page.locator("#inquiries").get_by_role("link", name=world.unassigned.version_display).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(world.unassigned.version_display)
    _sign_out(page)

    # The operator: chain, queue, locked accounts, each with where to act.
    _sign_in(page, live_url, world.operator)
    expect(page.locator("#chain")).to_contain_text("intact")
    expect(page.locator("#queue")).to_contain_text("waiting to run")
    expect(page.locator("#locked")).to_contain_text(world.late_reviewer.email)
    page.locator("#locked").get_by_role("link", name="Cyber Command").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cyber Command")
    _sign_out(page)

    # The clearinghouse: its queue counts, with where to work them.
    _sign_in(page, live_url, clearinghouse)
    expect(page.locator("#clearinghouse")).to_contain_text("Clearinghouse work")
    expect(page.locator("#clearinghouse").get_by_role("link", name="Priority board")).to_be_visible()
    _sign_out(page)


def _phone_home(page: Page, base: str, person: Person) -> None:
    page.set_viewport_size(PHONE)
    _sign_in(page, base, person)


def test_the_navigation_folds_into_a_menu_on_a_phone(container: Container, live_url: str, page: Page) -> None:
    world = make_world(container)
    for person in (world.main.developer, world.director, world.main.reviewer, world.operator):
        _phone_home(page, live_url, person)
        _no_sideways_scroll(page, PHONE["width"])
        nav = page.get_by_role("navigation", name="Main")
        menu = page.locator("summary", has_text="Menu")
        expect(menu).to_be_visible()
        expect(nav.get_by_role("link", name="Account")).to_be_hidden()
        expect(page.get_by_role("link", name=re.compile("^Notifications"))).to_be_visible()
        _sign_out_from_menu(page)

    # The menu opens with the keyboard and leads where it says; the current section stays marked.
    _phone_home(page, live_url, world.director)
    page.locator("summary", has_text="Menu").focus()
    page.keyboard.press("Enter")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
    _no_sideways_scroll(page, PHONE["width"])
    _shot(page, "home-menu-open-phone")
    nav.get_by_role("link", name="Engagements").click()
    expect(page).to_have_url(re.compile(r"/engagements$"))
    _no_sideways_scroll(page, PHONE["width"])
    page.locator("summary", has_text="Menu").click()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Engagements")).to_have_attribute(
        "aria-current", "page"
    )

    # On a wide screen the same links are laid out in the header, no menu to open.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_url + "/")
    expect(page.locator("summary", has_text="Menu")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Benchmarks")).to_be_visible()
    _no_sideways_scroll(page, 1280)


def _sign_out_from_menu(page: Page) -> None:
    assert (page.viewport_size or {"width": 1280})["width"] < 640  # _sign_out opens the folded menu
    _sign_out(page)
