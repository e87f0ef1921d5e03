"""Scan deconfliction's pages fit a 390 px phone, overlaps highlighted: the calendar, our scans,
scans of our assets, the registration form and a scan page (issue 14 item 6)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.scans import service
from frontier_review.identity.domain import OrgKind, Role, Sector
from tests.browser.layout import page_width
from tests.browser.test_coverage_flow import _sign_in
from tests.factories.identity import make_org, make_user

pytestmark = pytest.mark.browser


def test_scan_pages_fit_a_phone(container: Container, live_url: str, page: Page) -> None:
    bank_org = make_org(container, OrgKind.PARTNER, name="First Federal Bank", sector=Sector.FINANCIAL_SERVICES)
    cisa = make_user(container, make_org(container, OrgKind.AGENCY, name="DHS CISA"), role=Role.ADMIN)
    nsa = make_user(container, make_org(container, OrgKind.AGENCY, name="National Security Agency"))
    house = make_user(container, make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury AI Cybersecurity Clearinghouse"))
    bank = make_user(container, bank_org, role=Role.ADMIN)
    ids = []
    for who, ranges in ((cisa, ["198.51.100.0/24", "2001:db8:ffff:ffff:ffff::/80"]), (nsa, ["198.51.100.128/25"])):
        with container.uow() as uow:
            start = uow.clock.now() + timedelta(days=1)
            ids.append(
                service.register_scan(
                    uow,
                    who.principal,
                    target_org_id=bank_org.id,
                    ranges=ranges,
                    domains=["a-rather-long-host-name.online-banking.firstfederal.example"],
                    starts_at=start,
                    ends_at=start + timedelta(days=2),
                    model_text="scanning agent",
                ).id
            )
    page.set_viewport_size({"width": 390, "height": 844})
    for person, paths in (
        (house, ["/clearinghouse/scans/calendar", "/clearinghouse/scans?all=1", f"/clearinghouse/scans/{ids[0]}"]),
        (cisa, ["/clearinghouse/scans", "/clearinghouse/scans/new", f"/clearinghouse/scans/{ids[0]}"]),
        (bank, ["/clearinghouse/scans/assets", f"/clearinghouse/scans/{ids[1]}"]),
    ):
        page.context.clear_cookies()
        _sign_in(page, live_url, person)
        for path in paths:
            page.goto(live_url + path)
            assert page_width(page) <= 390, (person.email, path)
    page.goto(f"{live_url}/clearinghouse/scans/{ids[1]}")
    expect(page.get_by_label("Why you object")).to_be_visible()
