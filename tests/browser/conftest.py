"""Playwright driving Debian's Chromium (/usr/bin/chromium); browsers are never downloaded."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from frontier_review.bootstrap import Container
from tests.live import serve

CHROMIUM = os.environ.get("FR_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium per test module. Playwright's sync API keeps an event loop running in this
    thread while it is open, so it must not outlive the browser tests: async tests that run on
    the same xdist worker afterwards need the thread free of running loops."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (.ci/run does)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def live_url(container: Container) -> Iterator[str]:
    with serve(container) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(timezone_id="America/New_York", locale="en-US")
    try:
        yield context.new_page()
    finally:
        context.close()
