"""A developer asks whether a version is covered, the program office decides, the developer sees the answer."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Page, expect

from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind, Role
from tests.factories.coverage import make_version, publish_reference, register_sample_benchmark
from tests.factories.identity import Person, make_org, make_user

pytestmark = pytest.mark.browser


def _sign_in(page: Page, base: str, person: Person) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(person.email)
    page.get_by_label("Password").fill(person.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")


def _sign_out(page: Page) -> None:
    viewport = page.viewport_size
    if viewport is not None and viewport["width"] < 640:  # on a phone, Sign out is in the folded menu
        page.locator("summary", has_text="Menu").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(__import__("re").compile(r"/login"))


def test_inquiry_is_filed_decided_and_answered(container: Container, live_url: str, page: Page) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE, name="Program Office")
    dev_org = make_org(container, OrgKind.DEVELOPER, name="Northwind AI")
    director = make_user(container, po, role=Role.ADMIN, cleared=True)
    developer = make_user(container, dev_org, role=Role.ADMIN)
    register_sample_benchmark(container, director)
    publish_reference(container, director, "example-classified-cyber.toml")
    publish_reference(container, director, "ca-sb53-frontier-model.toml")
    version = make_version(container, developer, model="Atlas", label="3.0-rc1", training_compute_flop=3.2e26)

    _sign_in(page, live_url, developer)
    page.get_by_role("link", name="Models").click()
    page.get_by_role("link", name="3.0-rc1").click()
    page.get_by_role("button", name="File a coverage inquiry").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Atlas 3.0-rc1")
    expect(page.get_by_text("open", exact=True)).to_be_visible()
    _sign_out(page)

    _sign_in(page, live_url, director)
    expect(page.get_by_role("link", name="Notifications")).to_contain_text("1")
    page.get_by_role("link", name="Coverage inquiries").click()
    page.get_by_role("link", name="Atlas 3.0-rc1").click()
    page.get_by_role("button", name="Assign to me").click()
    page.get_by_label("Decide under policy").select_option("ca-sb53-frontier-model@1")
    page.get_by_label("Rationale (shown to the developer)").fill("3.2e26 FLOP is above the SB 53 threshold.")
    page.get_by_role("button", name="Preview the decision").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the decision before you record it")
    page.get_by_role("button", name="Confirm and record").click()
    expect(page.get_by_role("heading", name="Answer")).to_be_visible()
    page.get_by_role("link", name="Determination details").click()
    expect(page.get_by_role("heading", name="Trace")).to_be_visible()
    _sign_out(page)

    _sign_in(page, live_url, developer)
    page.get_by_role("link", name="Notifications").click()
    page.get_by_role("link", name="Your coverage inquiry was decided: covered").click()
    expect(page.get_by_text("covered", exact=True).first).to_be_visible()
    expect(page.get_by_role("region", name="Answer")).to_contain_text("3.2e26 FLOP is above the SB 53 threshold.")
    if os.environ.get("FR_SCREENSHOTS"):
        page.screenshot(path=os.environ["FR_SCREENSHOTS"] + "/inquiry-answered.png", full_page=True)
    assert str(version.id) in page.content()


def test_classified_thresholds_never_reach_the_developer_page(container: Container, live_url: str, page: Page) -> None:
    from frontier_review.coverage import determinations, results

    po = make_org(container, OrgKind.PROGRAM_OFFICE, name="Program Office")
    dev_org = make_org(container, OrgKind.DEVELOPER, name="Northwind AI")
    director = make_user(container, po, role=Role.ADMIN, cleared=True)
    developer = make_user(container, dev_org, role=Role.ADMIN)
    register_sample_benchmark(container, director)
    publish_reference(container, director, "example-classified-cyber.toml")
    version = make_version(container, developer, label="rc9")
    with container.uow() as uow:
        results.record_result(
            uow,
            director.principal,
            benchmark="cyber-offense-sample",
            benchmark_version="1",
            score=0.7345,
            model_version_id=version.id,
        )
        det = determinations.record_determination(
            uow, director.principal, version.id, policy_ref="eo14409-covered-cyber-example@1"
        )
    _sign_in(page, live_url, developer)
    for path in (
        f"/versions/{version.id}",
        f"/coverage/determinations/{det.id}",
        "/coverage/policies/eo14409-covered-cyber-example@1",
    ):
        page.goto(live_url + path)
        html = page.content()
        assert "0.7345" not in html
        assert ">= 0.6" not in html
        assert "score = 0.6" not in html
    expect(page.get_by_text("only cleared program-office staff see its thresholds")).to_be_visible()
