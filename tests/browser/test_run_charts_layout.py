"""Charts never make a page scroll sideways at 390 px (issue 12, item 7): the run page with its
comparison chart, and the runs list with elapsed time, as cleared program-office staff see them."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from frontier_review.bootstrap import Container
from tests.api.test_run_charts_web import World, make_world
from tests.browser.layout import page_width
from tests.browser.test_coverage_flow import _sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def world(container: Container, tmp_path: Path) -> World:
    return make_world(container, tmp_path)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("width", [390, 1280])
def test_the_comparison_chart_fits_the_page(
    browser: Browser, container: Container, live_url: str, world: World, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, timezone_id="America/New_York", locale="en-US")
    try:
        page = context.new_page()
        _sign_in(page, live_url, world.cleared)
        page.goto(f"{live_url}/evals/runs/{world.classified_run}")
        chart = page.get_by_role("img", name="Score on secret-suite@1: this run against the reference models")
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        expect(page.locator(".noise-notes").get_by_text("Within noise", exact=True)).to_be_visible()
        for path in (f"/evals/runs/{world.classified_run}", "/evals"):
            page.goto(live_url + path)
            assert page_width(page) <= width, path
    finally:
        context.close()
