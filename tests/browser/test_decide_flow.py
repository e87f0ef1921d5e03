"""The program office decides a coverage inquiry (issue 12, item 5): nothing is decided by accident.

No policy is pre-selected; an empty rationale is refused with the error summary focused and what
was typed kept; the preview shows the outcome and its trace; Back to edit keeps the rationale;
Confirm records it, and the determination shows the rationale.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from frontier_review.bootstrap import Container
from frontier_review.coverage import inquiries
from frontier_review.identity.domain import OrgKind, Role
from tests.browser.test_coverage_flow import _sign_in
from tests.factories.coverage import make_version, publish_reference
from tests.factories.identity import make_org, make_user

pytestmark = pytest.mark.browser
SB53 = "ca-sb53-frontier-model@1"
RATIONALE = "3.2e26 FLOP is above the SB 53 threshold.\nDeclared in the model card, section 3."


def _shots(page: Page, name: str) -> None:
    if os.environ.get("FR_SCREENSHOTS"):
        for width in (1280, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.screenshot(path=f"{os.environ['FR_SCREENSHOTS']}/{name}-{width}.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})


def test_the_program_office_decides_with_a_rationale_and_a_confirmation(container: Container, live_url: str, page: Page) -> None:
    director = make_user(container, make_org(container, OrgKind.PROGRAM_OFFICE), role=Role.ADMIN, cleared=True)
    developer = make_user(container, make_org(container, OrgKind.DEVELOPER, name="Northwind AI"), role=Role.ADMIN)
    publish_reference(container, director, "ca-sb53-frontier-model.toml")
    version = make_version(container, developer, label="3.0-rc1", training_compute_flop=3.2e26)
    with container.uow() as uow:
        inquiry = inquiries.file_inquiry(uow, developer.principal, version.id, question="Is it covered?")

    _sign_in(page, live_url, director)
    page.goto(f"{live_url}/coverage/inquiries/{inquiry.id}")
    policy = page.get_by_label("Decide under policy")
    rationale = page.get_by_label("Rationale (shown to the developer)")
    expect(policy).to_have_value("")  # no policy pre-selected

    # No policy, a rationale typed: refused, the rationale kept.
    rationale.fill(RATIONALE)
    page.get_by_role("button", name="Preview the decision").click()
    expect(page.locator("#decide-errors")).to_be_focused()
    expect(page.locator("#decide-errors")).to_contain_text("choose the policy to decide under")
    expect(rationale).to_have_value(RATIONALE)

    # A policy, no rationale: refused next to the field, the policy kept.
    policy.select_option(SB53)
    rationale.fill("")
    page.get_by_role("button", name="Preview the decision").click()
    summary = page.locator("#decide-errors")
    expect(summary).to_be_focused()
    expect(page.locator("#decide-rationale-error")).to_contain_text("write the rationale")
    expect(rationale).to_have_attribute("aria-invalid", "true")
    expect(policy).to_have_value(SB53)
    _shots(page, "decide-refused")
    summary.get_by_role("link", name="write the rationale").click()
    expect(rationale).to_be_focused()

    # The preview: outcome and trace, nothing recorded; back to edit keeps the rationale.
    rationale.fill(RATIONALE)
    page.get_by_role("button", name="Preview the decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the decision before you record it")
    expect(page.get_by_role("region", name="Outcome")).to_contain_text("covered")
    expect(page.get_by_role("region", name="Trace")).to_contain_text("Training compute")
    expect(page.locator("main")).to_contain_text("Nothing is recorded yet")
    _shots(page, "decide-preview")
    page.get_by_role("button", name="Back to edit").click()
    expect(page.get_by_label("Rationale (shown to the developer)")).to_have_value(RATIONALE)
    expect(page.get_by_label("Decide under policy")).to_have_value(SB53)
    expect(page.get_by_role("heading", name="Answer")).to_have_count(0)

    # Confirm records it; the determination shows the rationale, line breaks included.
    page.get_by_role("button", name="Preview the decision").click()
    page.get_by_role("button", name="Confirm and record").click()
    expect(page.get_by_role("region", name="Answer")).to_contain_text("Declared in the model card, section 3.")
    page.get_by_role("link", name="Determination details").click()
    expect(page.get_by_role("heading", name="Trace")).to_be_visible()
    kept = page.locator("dd.prewrap")
    expect(kept).to_have_css("white-space", "pre-wrap")  # innerText keeps line breaks once the style applies
    shown = kept.inner_text()
    assert shown.replace("\r\n", "\n") == RATIONALE
    _shots(page, "decide-determination")
