"""The demo's scans: two overlapping scans of First Federal Bank flagged to both scanners and the clearinghouse."""

from __future__ import annotations

import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.scans import browse
from frontier_review.demo import clearinghouse_scans
from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.kernel.listing import ListQuery
from frontier_review.notifications.orm import Notification
from tests.factories.identity import make_org, make_user


def test_demo_scan_scenario(container: Container) -> None:
    people = {
        "lead@cisa.demo": make_user(container, make_org(container, OrgKind.AGENCY, name="DHS CISA"), email="lead@cisa.demo"),
        "lead@nsa.demo": make_user(container, make_org(container, OrgKind.AGENCY, name="NSA"), email="lead@nsa.demo"),
        "analyst@treasury.demo": make_user(
            container, make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury"), email="analyst@treasury.demo", role=Role.ADMIN
        ),
    }
    bank = make_user(container, make_org(container, OrgKind.PARTNER, name="First Federal Bank", sector=Sector.FINANCIAL_SERVICES))
    with container.uow() as uow:
        clearinghouse_scans.scan_scenario(uow, lambda email: people[email].principal)
    with container.uow() as uow:
        seen = list(browse.page_scans(uow, bank.principal, ListQuery()))
        assert len(seen) == 3
        assert sorted(s.open_overlaps for s in seen) == [0, 1, 1]
        told = set(uow.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "scan_overlap")))
    assert told == {p.user.id for p in people.values()}
