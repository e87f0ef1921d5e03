"""Times show the viewer's zone, UTC on hover, and the window is typed in that same zone (issue 12, item 8).

The browser is in New York; the server's clock is frozen at 2026-06-02 12:00 UTC (8:00 AM EDT).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from frontier_review import engagements
from frontier_review.bootstrap import Container
from tests.browser.test_coverage_flow import _sign_in
from tests.factories.engagements import make_engagement

pytestmark = pytest.mark.browser


def test_the_window_is_shown_and_typed_in_the_viewers_zone(container: Container, live_url: str, page: Page) -> None:
    setup = make_engagement(container)  # from now (12:00 UTC) for 10 days
    _sign_in(page, live_url, setup.developer)
    page.goto(f"{live_url}/engagements/{setup.engagement.id}")

    # The card and the field agree: 8:00 AM EDT is 12:00 UTC, which the title shows on hover.
    window = page.locator("dl.facts time").nth(1)
    expect(window).to_have_text("Jun 12, 2026, 8:00 AM EDT")
    expect(window).to_have_attribute("title", "2026-06-12 12:00 UTC")
    field = page.get_by_label("New window end")
    expect(field).to_have_value("2026-06-12T08:00")
    # (Its abbreviation is today's, by the browser's own clock: EST or EDT.)
    expect(page.locator("#window-window-end-hint")).to_contain_text(re.compile(r"In America/New York \(E[SD]T\)"))

    # What is typed is read in that zone: 6:30 PM in New York is 22:30 UTC.
    field.fill("2026-06-14T18:30")
    page.get_by_role("button", name="Change window").click()
    expect(page.get_by_text("Window changed.")).to_be_visible()
    with container.uow() as uow:
        saved = engagements.get_engagement(uow, setup.developer.principal, setup.engagement.id)
    assert saved.window.end == datetime(2026, 6, 14, 22, 30, tzinfo=UTC)
    expect(page.locator("dl.facts time").nth(1)).to_have_text("Jun 14, 2026, 6:30 PM EDT")
    expect(page.get_by_label("New window end")).to_have_value("2026-06-14T18:30")

    # A refused change comes back as it was typed, still in New York time (not converted twice).
    page.get_by_label("New window end").fill("2026-07-30T09:00")
    page.get_by_role("button", name="Change window").click()
    expect(page.locator("#window-errors")).to_be_focused()
    expect(page.get_by_label("New window end")).to_have_value("2026-07-30T09:00")
    expect(page.locator("#window input[name=tz]")).to_have_value("America/New_York")
    with container.uow() as uow:
        unchanged = engagements.get_engagement(uow, setup.developer.principal, setup.engagement.id)
    assert unchanged.window.end == datetime(2026, 6, 14, 22, 30, tzinfo=UTC)

    # Opening an engagement: the window's fields are in the same zone, and say so.
    page.goto(f"{live_url}/engagements")
    expect(page.locator("#open legend").first).to_contain_text("America/New York")
    expect(page.get_by_label("Window start")).to_have_value(re.compile(r"^2026-06-02T08:00$"))
