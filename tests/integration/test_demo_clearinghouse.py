"""The demo's clearinghouse reports load through the services on both databases, and the second bank
cannot see the AMBER report addressed to the first by any service read."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse import reports
from frontier_review.clearinghouse.reports.orm import Report
from frontier_review.clearinghouse.subscriptions.orm import SubscriptionDelivery
from frontier_review.config import Settings
from frontier_review.demo import clearinghouse as demo_ch
from frontier_review.demo import data as demo
from frontier_review.engagements.findings import referral
from frontier_review.identity import directory
from frontier_review.identity import service as identity
from frontier_review.kernel.errors import NotFound
from frontier_review.kernel.listing import ListQuery
from frontier_review.kernel.principal import Principal
from frontier_review.notifications.orm import Notification
from frontier_review.security import passwords


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """As ``serve --demo``: webhooks to loopback allowed, so the bank's subscription exists."""
    return settings.model_copy(update={"webhook_allow_private_targets": True})


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    monkeypatch.setattr(passwords, "_hasher", lambda: cheap)


def _principal(container: Container, email: str) -> Principal:
    with container.uow() as uow:
        person = directory.find_person_by_email(uow, email)
        assert person is not None
        principal = identity.principal_for_user(uow, user_id=person.id)
    assert principal is not None
    return principal


def test_the_demo_reports_cover_every_label_and_stage(container: Container) -> None:
    logins = demo.load_demo(container)
    assert any(login.email == demo_ch.SECOND_BANK_ADMIN and "second bank" in str(login) for login in logins)
    with container.sessions() as session:
        rows = list(session.scalars(sa.select(Report)))
    assert {r.tlp for r in rows} == {"TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"}
    assert {r.status for r in rows} >= {"disclosed", "duplicate", "received"}
    assert sum(1 for r in rows if r.validated_at is not None) >= 3
    assert any(r.known_exploited and r.cve_id == demo_ch.KEV_CVE for r in rows)
    referred = [r for r in rows if r.finding_id is not None]
    assert len(referred) == 1 and referred[0].tlp == "TLP:GREEN"
    reviewer = _principal(container, "reviewer@cisa.demo")
    finding_id = referred[0].finding_id
    assert finding_id is not None
    with container.uow() as uow:
        assert referral.find_referral(uow, reviewer, finding_id) is not None
    amber = next(r for r in rows if r.title == demo_ch.AMBER_TITLE)
    with container.sessions() as session:
        deliveries = list(session.scalars(sa.select(SubscriptionDelivery)))
    assert any(d.report_id == amber.id for d in deliveries)  # First Federal's webhook subscription fired


def test_the_second_bank_cannot_learn_of_the_amber_report(container: Container) -> None:
    demo.load_demo(container)
    second = _principal(container, demo_ch.SECOND_BANK_ADMIN)
    first = _principal(container, "secops@firstfederal.demo")
    with container.sessions() as session:
        amber = session.scalar(sa.select(Report).where(Report.title == demo_ch.AMBER_TITLE))
    assert amber is not None
    with container.uow() as uow:
        assert reports.get_report(uow, first, amber.id).title == demo_ch.AMBER_TITLE
        with pytest.raises(NotFound):
            reports.get_report(uow, second, amber.id)
        page = reports.page_reports(uow, second, ListQuery(search="Session fixation"))
        assert page.total == 0 and not page.items
        assert amber.id not in {r.id for r in reports.reports_for_ids(uow, second, [amber.id])}
        assert reports.queue_counts(uow, second).addressed_to_org == 0
        assert not reports.name_reports(uow, second, frozenset({str(amber.id)}))
    with container.sessions() as session:
        told = list(session.scalars(sa.select(Notification).where(Notification.user_id == second.user_id)))
    assert all(str(amber.id) not in (n.link or "") and demo_ch.AMBER_TITLE not in n.title + n.body for n in told)
