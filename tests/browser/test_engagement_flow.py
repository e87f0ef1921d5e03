"""A reviewer chats with the model in the playground and files a finding; the developer answers
it and then releases the model, which ends access at once."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import FilePayload, Page, expect

from frontier_review.bootstrap import Container
from frontier_review.mockllm import serve_fake
from tests.browser.test_coverage_flow import _sign_in, _sign_out
from tests.factories.engagements import make_engagement

pytestmark = pytest.mark.browser
ANSWER = "Line 7 copies without a bounds check."


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_reviewer_chats_and_files_a_finding_and_the_developer_answers(container: Container, live_url: str, page: Page) -> None:
    with serve_fake(text=ANSWER, stream_delay=0.05) as upstream:
        setup = make_engagement(container, upstream_url=upstream)
        title = setup.engagement.title

        _sign_in(page, live_url, setup.reviewer)
        page.get_by_role("link", name="Engagements").first.click()
        page.get_by_role("link", name=title).click()
        expect(page.get_by_role("note")).to_contain_text("CONFIDENTIAL")
        page.locator("#overview").get_by_role("link", name="Open the chat playground").click()
        page.get_by_role("button", name="Start a playground session").click()
        page.get_by_label("Your message").fill("Which line of this snippet is exploitable?")
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#pg-log")).to_contain_text(ANSWER, timeout=15_000)

        page.get_by_role("link", name=title).click()
        page.get_by_role("tab", name="Findings").click()
        page.get_by_role("link", name="File a finding").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("File a finding")
        page.get_by_label("Title").fill("Explains an overflow precisely")
        page.get_by_label("Severity").select_option("high")
        page.get_by_label("TLP label").select_option("TLP:AMBER")
        page.get_by_label("Description").fill("The model located the overflow and explained how to reach it.")
        evidence: FilePayload = {"name": "transcript.txt", "mimeType": "text/plain", "buffer": ANSWER.encode()}
        page.get_by_label("Evidence files (optional)").set_input_files(files=[evidence])
        page.get_by_role("button", name="File finding").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Explains an overflow precisely")
        expect(page.locator(".tlp-banner")).to_contain_text("TLP:AMBER")
        expect(page.locator("#evidence")).to_contain_text("transcript.txt")
        _sign_out(page)

        _sign_in(page, live_url, setup.developer)
        page.goto(f"{live_url}/engagements/{setup.engagement.id}")
        page.get_by_role("tab", name="Findings").click()
        expect(page.locator("#findings")).to_contain_text("1 high")
        page.get_by_role("link", name="Explains an overflow precisely").click()
        page.get_by_label("Your answer").fill("Thanks: reproduced, mitigation in rc2.")
        page.get_by_label("Set status").select_option("acknowledged")
        page.get_by_role("button", name="Post").click()
        expect(page.locator("#thread")).to_contain_text("Thanks: reproduced, mitigation in rc2.")
        expect(page.locator("main")).to_contain_text("status acknowledged")

        page.goto(f"{live_url}/engagements/{setup.engagement.id}")
        page.get_by_role("button", name="Release the model").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Release ")
        expect(page.locator("main")).to_contain_text("Releasing closes 1 open engagement")
        if os.environ.get("FR_SCREENSHOTS"):
            for width in (1280, 390):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=f"{os.environ['FR_SCREENSHOTS']}/release-confirm-{width}.png", full_page=True)
            page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name="Release now").click()
        expect(page.locator("main")).to_contain_text("Every participant's access ended now")
        expect(page.locator("#overview")).to_contain_text(re.compile(r"Released .*every participant's access ended"))
        expect(page.get_by_role("button", name="Revoke")).to_have_count(0)
        _sign_out(page)

        # The reviewer's playground is refused from now on.
        _sign_in(page, live_url, setup.reviewer)
        page.goto(f"{live_url}/engagements/{setup.engagement.id}/playground")
        page.get_by_role("button", name="Start a playground session").click()
        page.get_by_label("Your message").fill("Still there?")
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#pg-log")).to_contain_text("released", timeout=15_000)
