"""Decisions that cannot be made by accident, in Chromium (issue 12, item 5).

The version page's direct determination: no policy pre-selected, a rationale required (refused
with the error summary focused, what was typed kept), a preview of the outcome and trace, Back to
edit keeping the rationale, Confirm recording it. Revoking an API token: a page that names the
token and its last use, Cancel changes nothing, Confirm revokes, and no browser dialog ever opens.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Dialog, Page, expect

from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind, Role
from tests.browser.test_coverage_flow import _sign_in
from tests.factories.coverage import make_version, publish_reference
from tests.factories.identity import api_token, make_org, make_user

pytestmark = pytest.mark.browser
SB53 = "ca-sb53-frontier-model@1"
RATIONALE = "3.2e26 FLOP declared in the system card.\nAbove the SB 53 line."


def _no_dialogs(page: Page) -> list[str]:
    """Every browser dialog that opens (none should: confirmations are pages)."""
    opened: list[str] = []

    def seen(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", seen)
    return opened


def test_a_direct_determination_needs_a_rationale_a_preview_and_a_confirmation(
    container: Container, live_url: str, page: Page
) -> None:
    director = make_user(container, make_org(container, OrgKind.PROGRAM_OFFICE), role=Role.ADMIN, cleared=True)
    developer = make_user(container, make_org(container, OrgKind.DEVELOPER, name="Northwind AI"), role=Role.ADMIN)
    publish_reference(container, director, "ca-sb53-frontier-model.toml")
    version = make_version(container, developer, label="3.0-rc1", training_compute_flop=3.2e26)
    dialogs = _no_dialogs(page)

    _sign_in(page, live_url, director)
    page.goto(f"{live_url}/versions/{version.id}")
    policy = page.get_by_label("Record a determination under")
    rationale = page.get_by_label("Rationale (shown to the developer)")
    expect(policy).to_have_value("")  # no policy pre-selected
    expect(rationale).to_have_attribute("aria-required", "true")

    # A policy, no rationale: refused next to the field, the policy kept, the summary focused.
    policy.select_option(SB53)
    page.get_by_role("button", name="Preview the determination").click()
    expect(page.locator("#determination-errors")).to_be_focused()
    expect(page.locator("#determination-rationale-error")).to_contain_text("write the rationale")
    expect(page.get_by_label("Record a determination under")).to_have_value(SB53)
    expect(page.get_by_text("No determination yet.")).to_be_visible()

    # The preview: outcome and trace, nothing recorded; Back to edit keeps what was typed.
    page.get_by_label("Rationale (shown to the developer)").fill(RATIONALE)
    page.get_by_role("button", name="Preview the determination").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the decision before you record it")
    expect(page.get_by_role("region", name="Outcome")).to_contain_text("covered")
    expect(page.get_by_role("region", name="Trace")).to_contain_text("Training compute")
    expect(page.locator("main")).to_contain_text("Nothing is recorded yet")
    page.get_by_role("button", name="Back to edit").click()
    expect(page.get_by_label("Rationale (shown to the developer)")).to_have_value(RATIONALE)
    expect(page.get_by_label("Record a determination under")).to_have_value(SB53)
    expect(page.get_by_text("No determination yet.")).to_be_visible()

    # Confirm records it, with the rationale.
    page.get_by_role("button", name="Preview the determination").click()
    page.get_by_role("button", name="Confirm and record").click()
    expect(page.locator("main .notice-success")).to_contain_text("Determination recorded: covered.")
    expect(page.locator("main")).to_contain_text("Above the SB 53 line.")
    page.goto(f"{live_url}/versions/{version.id}")
    expect(page.get_by_text("No determination yet.")).to_have_count(0)
    assert dialogs == []


def test_revoking_a_token_is_confirmed_on_a_page(container: Container, live_url: str, page: Page) -> None:
    person = make_user(container, make_org(container, OrgKind.PARTNER))
    api_token(container, person, name="ci-export")
    dialogs = _no_dialogs(page)
    _sign_in(page, live_url, person)
    page.goto(f"{live_url}/account")
    tokens = page.get_by_role("table")
    expect(tokens).to_contain_text("active")

    # Cancel: back to the account page, nothing revoked.
    page.get_by_role("button", name="Revoke…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke the token “ci-export”?")
    expect(page.get_by_role("region", name="What will happen")).to_contain_text("stop working at once")
    expect(page.get_by_role("region", name="What will happen")).to_contain_text("never used")
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(f"{live_url}/account")
    expect(page.get_by_role("table")).to_contain_text("active")

    # Confirm: revoked.
    page.get_by_role("button", name="Revoke…").click()
    page.get_by_role("button", name="Revoke the token").click()
    expect(page).to_have_url(f"{live_url}/account")
    expect(page.get_by_role("table")).to_contain_text("revoked")
    expect(page.get_by_role("button", name="Revoke…")).to_have_count(0)
    assert dialogs == []
