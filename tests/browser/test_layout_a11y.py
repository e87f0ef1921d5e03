"""Every main page, as each role sees it, fits a phone and passes axe-core (issue 12, item 8).

One browser and one demo-like world (tests/factories) for the whole module; each role signs in
once, in its own context, and visits its pages: at 1280 px and at 390 px nothing scrolls sideways
(``document.documentElement.scrollWidth``), and axe-core finds no "serious" or "critical"
violation. Each test gathers every problem of its role's pages and reports them together.

axe-core is vendored for the tests only (tests/browser/vendor, MPL-2.0; no network). It is
injected into each page as a script tag, which the site's CSP (``script-src 'self'``, see
web/middleware.py) refuses: these contexts, and only these, bypass the CSP.

SQLite only: nothing here depends on the database, and the module's one world keeps it fast.
"""

from __future__ import annotations

import base64
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from playwright.sync_api import Browser, BrowserContext, Page, expect

from frontier_review import engagements
from frontier_review.bootstrap import Container
from frontier_review.clearinghouse import reports
from frontier_review.clearinghouse.scans import service as scans
from frontier_review.clearinghouse.subscriptions import service as subscriptions
from frontier_review.composition import build_container
from frontier_review.config import Settings
from frontier_review.coverage import inquiries
from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.kernel.clock import FrozenClock
from frontier_review.security import passwords
from tests.browser.layout import page_width
from tests.browser.test_coverage_flow import _sign_in
from tests.factories.coverage import make_version, publish_reference, register_sample_benchmark
from tests.factories.home import World, make_world
from tests.factories.identity import Person, make_org, make_user
from tests.factories.incidents import report as report_incident
from tests.live import serve

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("layout_a11y")]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PHONE, DESKTOP = 390, 1280
START = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)  # as tests/conftest.py's frozen clock
BLOCKING = ("serious", "critical")
# Runs axe-core on the page as it is and returns its serious and critical violations, briefly.
RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} — ` + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
}"""

# The elements that stick out past ``width`` outside any scrolling box (a table's .table-wrap), for the message.
WIDEST = """(width) => {
  const scrolls = (el) => el && el !== document.documentElement && el.scrollWidth > el.clientWidth
    && ["auto", "scroll", "hidden"].includes(getComputedStyle(el).overflowX);
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    const right = el.getBoundingClientRect().right;
    let inside = false;
    for (let p = el.parentElement; p && !inside; p = p.parentElement) inside = scrolls(p);
    if (right <= width + 1 || inside) continue;
    const classes = typeof el.className === "string" && el.className ? "." + el.className.split(" ").join(".") : "";
    out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}${classes} (${Math.round(right)} px)`);
  }
  return out.slice(0, 5);
}"""


@dataclass(frozen=True)
class Clearing:
    """The clearinghouse's records in the site's world: a bank, its report, scans, an incident, a subscription."""

    bank: Person
    report: uuid.UUID
    scan: uuid.UUID
    incident: uuid.UUID
    subscription: uuid.UUID


@dataclass(frozen=True)
class Site:
    """The live server and who is who in its world."""

    url: str
    world: World
    clearinghouse: Person
    clearing: Clearing
    determination: uuid.UUID
    policy_ref: str
    classified_policy_ref: str


def _cheap_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Site]:
    """The home pages' world, plus a decided inquiry, a policy, a long finding thread and a clearinghouse."""
    root = tmp_path_factory.mktemp("layout")
    shutil.copyfile(sqlite_template, root / "db.sqlite")
    settings = Settings(
        data_dir=root / "data",
        database_url=f"sqlite+pysqlite:///{root / 'db.sqlite'}",
        master_key=base64.b64encode(os.urandom(32)).decode(),
        session_secret="test-session-secret-" + "x" * 32,
        queue_name=f"fr-test-{uuid.uuid4().hex[:8]}",
        gateway_allow_private_upstreams=True,
    )
    with pytest.MonkeyPatch.context() as patch:
        # As the autouse fixture does for each test: real argon2id hashing at the minimum cost.
        patch.setattr(passwords, "_hasher", _cheap_hasher)
        container = build_container(settings, clock=FrozenClock(START))
        try:
            world = make_world(container)
            treasury = make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury Clearinghouse")
            clearinghouse = make_user(container, treasury, role=Role.ADMIN)
            clearing = _clearing(container, clearinghouse, world)
            determination, policy_ref = _decide(container, world)
            register_sample_benchmark(container, world.director)
            classified = publish_reference(container, world.director, "example-classified-cyber.toml")
            _long_thread(container, world)
            with serve(container) as url:
                yield Site(url, world, clearinghouse, clearing, determination, policy_ref, classified.ref)
        finally:
            container.close()


def _decide(container: Container, world: World) -> tuple[uuid.UUID, str]:
    policy = publish_reference(container, world.director, "ca-sb53-frontier-model.toml")
    version = make_version(container, world.main.developer, label="rc-layout", training_compute_flop=4e26)
    with container.uow() as uow:
        filed = inquiries.file_inquiry(uow, world.main.developer.principal, version.id, question="Is rc-layout covered?")
        inquiries.assign(uow, world.director.principal, filed.id)
        decided = inquiries.decide_inquiry(
            uow, world.director.principal, filed.id, policy_ref=policy.ref, rationale="Above the SB 53 threshold."
        )
    assert decided.determination_id is not None
    return decided.determination_id, policy.ref


def _clearing(container: Container, analyst: Person, world: World) -> Clearing:
    """A bank's validated AMBER report with long fields, two overlapping scans, an incident, a subscription."""
    bank_org = make_org(container, OrgKind.PARTNER, name="First Federal Layout Bank", sector=Sector.FINANCIAL_SERVICES)
    bank = make_user(container, bank_org, role=Role.ADMIN)
    agency = world.main.agency_admin
    with container.uow() as uow:
        now = uow.clock.now()
        report = reports.submit(
            uow,
            bank.principal,
            reports.ReportInput(
                title="Heap overflow in the core banking gateway's ISO 8583 parser, reachable before authentication",
                description="A 70,000-byte field overflows the parser. " * 20,
                tlp="TLP:AMBER",
                cve_id="CVE-2026-10001",
                cvss31="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                cwe_ids=["CWE-787"],
                sectors=["financial_services", "information_technology"],
                products=[
                    reports.ProductInput(
                        vendor="Example Core Banking Systems Incorporated",
                        product="gateway-iso8583-parser-enterprise-edition",
                        purl="pkg:pypi/example-core-banking-gateway-iso8583-parser@4.2.1",
                        versions="vers:pypi/>=4.0.0|<4.2.2",
                    )
                ],
                references=["https://example.org/advisories/2026/a-very-long-advisory-path-that-should-wrap-on-a-phone"],
            ),
            recipient_orgs=[bank_org.id],
        )
    with container.uow() as uow:
        reports.validate(uow, analyst.principal, report.id, reproduced=True, versions_confirmed=True, notes="Reproduced.")
    with container.uow() as uow:
        starts, ends = now + timedelta(days=1), now + timedelta(days=3)
        scan = scans.register_scan(
            uow,
            agency.principal,
            target_org_id=bank_org.id,
            ranges=["198.51.100.0/24", "2001:db8:abcd::/48"],
            starts_at=starts,
            ends_at=ends,
        )
        scans.register_scan(
            uow, analyst.principal, target_org_id=bank_org.id, ranges=["198.51.100.128/25"], starts_at=starts, ends_at=ends
        )
    incident = report_incident(container, bank, orgs=[analyst.principal.org_id] if analyst.principal.org_id else [])
    with container.uow() as uow:
        created = subscriptions.create_subscription(
            uow, bank.principal, name="Financial services", sectors=["financial_services"], channels=["in_app", "email"]
        )
    return Clearing(bank, report.id, scan.id, incident.id, created.subscription.id)


def _long_thread(container: Container, world: World) -> None:
    """Eight messages on the high finding: its page folds the older ones."""
    for n in range(4):
        with container.uow() as uow:
            engagements.comment(uow, world.main.reviewer.principal, world.high.id, body=f"Reproduced again, run {n}.")
            engagements.comment(uow, world.main.developer.principal, world.high.id, body=f"Looking into run {n}.")


@dataclass
class Visit:
    """One role's session: its page, and every problem found on the pages it visited."""

    page: Page
    base: str
    problems: list[str]

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.ok, f"{path} answered {response.status if response else None}"

    def check(self, name: str, *, axe_on_phone: bool = False) -> None:
        """The page as it is: no sideways scroll at either width, no serious axe violation."""
        page = self.page
        page.wait_for_load_state()  # styles and scripts applied (a click that navigates returns sooner)
        self._fits(name, DESKTOP)
        page.add_script_tag(path=str(AXE))
        self.problems += [f"{name} (axe, {DESKTOP} px): {v}" for v in page.evaluate(RUN_AXE)]
        page.set_viewport_size({"width": PHONE, "height": 844})
        self._fits(name, PHONE)
        if os.environ.get("FR_SCREENSHOTS"):  # to look at the pages as a phone shows them
            slug = "".join(c if c.isalnum() else "-" for c in name).strip("-")[:80]
            page.screenshot(path=f"{os.environ['FR_SCREENSHOTS']}/layout-{len(self.problems):02d}-{slug}.png", full_page=True)
        if axe_on_phone:  # the navigation folds into a menu: a different page for axe
            self.problems += [f"{name} (axe, {PHONE} px): {v}" for v in page.evaluate(RUN_AXE)]
        page.set_viewport_size({"width": DESKTOP, "height": 900})

    def page_at(self, path: str, **options: Any) -> None:
        self.open(path)
        self.check(path, **options)

    def tabs(self, path: str) -> None:
        """The engagement page, one tab after the other."""
        self.open(path)
        tabs = self.page.locator("nav[data-tabs] [role=tab]")
        expect(tabs.first).to_be_visible()
        for label in tabs.all_inner_texts():
            self.page.get_by_role("tab", name=label).click()
            self.check(f"{path} [{label}]")

    def _fits(self, name: str, width: int) -> None:
        scroll = page_width(self.page)
        if scroll > width:
            culprits = ", ".join(self.page.evaluate(WIDEST, width))
            self.problems.append(f"{name} scrolls sideways at {width} px ({scroll} px wide): {culprits}")


@pytest.fixture(scope="module")
def contexts(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Contexts for this module: a desktop window in New York, CSP bypassed for axe; closed at the end."""
    opened: list[BrowserContext] = []

    def new() -> BrowserContext:
        context = browser.new_context(
            viewport={"width": DESKTOP, "height": 900}, timezone_id="America/New_York", locale="en-US", bypass_csp=True
        )
        opened.append(context)
        return context

    yield new
    for context in opened:
        context.close()


def _visit(site: Site, contexts: Callable[[], BrowserContext], person: Person | None) -> Visit:
    page = contexts().new_page()
    if person is not None:
        _sign_in(page, site.url, person)
    return Visit(page, site.url, [])


def _report(visit: Visit) -> None:
    assert not visit.problems, "\n".join(visit.problems)


def test_the_developers_pages(site: Site, contexts: Callable[[], BrowserContext]) -> None:
    world = site.world
    main = world.main.engagement
    visit = _visit(site, contexts, world.main.developer)
    visit.page_at("/", axe_on_phone=True)
    visit.page_at("/engagements")
    visit.tabs(f"/engagements/{main.id}")
    visit.page_at(f"/engagements/{main.id}/findings/{world.high.id}")
    # The long thread folds its older messages; the newest stay in view.
    earlier = visit.page.locator("#thread details.earlier")
    expect(earlier.locator("summary")).to_have_text("4 earlier messages")
    expect(earlier).not_to_have_attribute("open", "")
    visit.page_at(f"/versions/{world.unassigned.model_version_id}")
    model = visit.page.locator("main a[href^='/models/']").first.get_attribute("href")
    assert model is not None, "the version page links to its model"
    visit.page_at(model)
    for path in (
        "/models",
        "/coverage/inquiries",
        f"/coverage/inquiries/{world.needs_information.id}",
        f"/coverage/determinations/{site.determination}",
        "/coverage/policies",
        f"/coverage/policies/{site.policy_ref}",
        "/partners",
        "/organization",
        "/account",
        "/audit",
        "/notifications",
        "/mail",
    ):
        visit.page_at(path)
    _report(visit)


def test_the_reviewers_pages(site: Site, contexts: Callable[[], BrowserContext]) -> None:
    world = site.world
    main = world.main.engagement
    visit = _visit(site, contexts, world.main.reviewer)
    visit.page_at("/", axe_on_phone=True)
    visit.page_at("/engagements")
    visit.tabs(f"/engagements/{main.id}")
    for path in (
        f"/engagements/{main.id}/findings/{world.high.id}",
        f"/engagements/{main.id}/findings/new",
        f"/engagements/{main.id}/playground",
        "/organization",
        "/account",
        "/notifications",
    ):
        visit.page_at(path)

    # A new token is shown once with ready-made snippets: they wrap on a phone and each has a Copy button.
    visit.open(f"/engagements/{main.id}#access")
    visit.page.get_by_role("button", name="Create token").click()
    expect(visit.page.locator("#new-token")).to_be_visible()
    visit.check("the new token and its snippets")
    visit.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url)
    snippets = visit.page.locator("#tokens pre")
    expect(snippets).to_have_count(2)
    expect(visit.page.locator("#tokens").get_by_role("button", name="Copy code")).to_have_count(2)
    visit.page.locator("#tokens").get_by_role("button", name="Copy code").last.click()
    expect(visit.page.locator("#tokens .copy-status").last).to_have_text("Copied")
    assert visit.page.evaluate("navigator.clipboard.readText()").startswith("curl ")
    _report(visit)


def test_a_trusted_partners_pages(site: Site, contexts: Callable[[], BrowserContext]) -> None:
    world = site.world
    visit = _visit(site, contexts, world.main.partner_reviewer)
    visit.page_at("/", axe_on_phone=True)
    visit.page_at("/engagements")
    visit.tabs(f"/engagements/{world.main.engagement.id}")
    visit.page_at(f"/engagements/{world.main.engagement.id}/findings/{world.red.id}")
    _report(visit)


def test_the_program_offices_pages(site: Site, contexts: Callable[[], BrowserContext]) -> None:
    world = site.world
    main = world.main.engagement
    visit = _visit(site, contexts, world.director)
    visit.page_at("/", axe_on_phone=True)
    visit.page_at("/engagements")
    visit.tabs(f"/engagements/{main.id}")
    for path in (
        f"/engagements/{main.id}/findings/{world.high.id}",
        "/coverage/inquiries",
        f"/coverage/inquiries/{world.unassigned.id}",
        f"/coverage/determinations/{site.determination}",
        f"/versions/{world.unassigned.model_version_id}",
        "/coverage/policies",
        f"/coverage/policies/{site.policy_ref}",
        f"/coverage/policies/{site.classified_policy_ref}",  # under its marking banner
        "/evals",
        f"/evals/runs/{world.open_run}",
        "/partners",
        "/organization",
        "/audit",
        "/notifications",
    ):
        visit.page_at(path)
    _report(visit)


def test_the_operators_pages(site: Site, contexts: Callable[[], BrowserContext]) -> None:
    world = site.world
    visit = _visit(site, contexts, world.operator)
    visit.page_at("/", axe_on_phone=True)
    for path in ("/organizations", f"/organizations/{world.main.agency.id}", "/audit", "/account", "/mail", "/notifications"):
        visit.page_at(path)
    _report(visit)


def test_the_clearinghouse_and_the_sign_in_page(site: Site, contexts: Callable[[], BrowserContext]) -> None:
    c = site.clearing
    visit = _visit(site, contexts, site.clearinghouse)
    visit.page_at("/", axe_on_phone=True)
    for path in (
        "/account",
        "/clearinghouse",
        "/clearinghouse/queue",
        "/clearinghouse/reports/new",
        "/clearinghouse/board",
        f"/clearinghouse/reports/{c.report}",
        "/clearinghouse/scans?all=1",
        "/clearinghouse/scans/calendar",
        "/clearinghouse/scans/new",
        f"/clearinghouse/scans/{c.scan}",
        "/clearinghouse/incidents",
        "/clearinghouse/incidents/new",
        f"/clearinghouse/incidents/{c.incident}",
        "/clearinghouse/subscriptions",
        "/clearinghouse/exposure",
    ):
        visit.page_at(path)
    bank = _visit(site, contexts, c.bank)
    for path in (
        "/",
        "/clearinghouse",
        f"/clearinghouse/reports/{c.report}",
        "/clearinghouse/scans/assets",
        f"/clearinghouse/incidents/{c.incident}",
        "/clearinghouse/subscriptions",
        f"/clearinghouse/subscriptions/{c.subscription}",
        f"/clearinghouse/subscriptions/{c.subscription}/edit",
        "/clearinghouse/exposure",
    ):
        bank.page_at(path)
    visit.problems += bank.problems
    signed_out = _visit(site, contexts, None)
    signed_out.page_at("/login", axe_on_phone=True)
    signed_out.page_at("/clearinghouse/public")
    visit.problems += signed_out.problems
    _report(visit)
