"""A report that reaches more people reaches the subscriptions of exactly the organizations in its audience.

The reports slice publishes ``ReportDisseminated`` when a report is validated, relabelled or
readdressed; the composition root hands it to the subscriptions slice. Two banks subscribe to
financial services, each with a webhook to a real receiver on loopback: an AMBER report addressed
to the first bank is delivered (signed) to the first bank only, and only once validated; a RED
report to no organization at all; a GREEN one to both. Nothing about a report reaches a bank
outside its audience: no delivery, no notice, no webhook.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
from sqlalchemy import select

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse import reports
from frontier_review.clearinghouse.subscriptions import delivery, service
from frontier_review.clearinghouse.subscriptions.orm import SubscriptionDelivery
from frontier_review.config import Settings
from frontier_review.identity import service as identity
from frontier_review.identity.domain import Role
from frontier_review.notifications import service as notifications
from tests.factories.clearinghouse import World, make_world, submit, validate
from tests.factories.identity import SYSTEM, Person, make_user


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private_targets": True})  # the receivers listen on loopback


class Inbox:
    """A webhook receiver on loopback that keeps every body it is sent."""

    def __init__(self) -> None:
        got: list[dict[str, object]] = []
        self.got = got

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                got.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def inboxes() -> Iterator[tuple[Inbox, Inbox]]:
    first, second = Inbox(), Inbox()
    yield first, second
    first.close()
    second.close()


def _subscribe(container: Container, org_id: uuid.UUID, url: str) -> uuid.UUID:
    with container.uow() as uow:
        org = identity.get_organization(uow, SYSTEM, org_id)
    admin = make_user(container, org, role=Role.ADMIN)
    with container.uow() as uow:
        created = service.create_subscription(
            uow,
            admin.principal,
            name="Our sector",
            sectors=["financial_services"],
            channels=["in_app", "webhook"],
            webhook_url=url,
        )
    return created.subscription.id


def _deliver_all(container: Container, subscription_id: uuid.UUID) -> list[uuid.UUID]:
    """Attempt every delivery of the subscription not yet finished; the reports of all its deliveries."""
    with container.uow() as uow:
        rows = list(
            uow.session.scalars(select(SubscriptionDelivery).where(SubscriptionDelivery.subscription_id == subscription_id))
        )
        pending = [r.id for r in rows if r.finished_at is None]
        reports_told = [r.report_id for r in rows if r.report_id is not None]
    for delivery_id in pending:
        assert delivery.attempt(container.uow, delivery_id).state == "delivered"
    return reports_told


def _titles(container: Container, person: Person) -> list[str]:
    with container.uow() as uow:
        return [n.title for n in notifications.list_mine(uow, person.principal)]


@pytest.mark.parametrize(
    ("label", "first_hears", "second_hears"),
    [("TLP:AMBER", True, False), ("TLP:AMBER+STRICT", True, False), ("TLP:RED", False, False), ("TLP:GREEN", True, True)],
    ids=["amber", "amber-strict", "red", "green"],
)
def test_only_organizations_in_the_audience_hear_of_a_report(
    container: Container, inboxes: tuple[Inbox, Inbox], label: str, first_hears: bool, second_hears: bool
) -> None:
    world: World = make_world(container)
    first, second = inboxes
    sub_first = _subscribe(container, world.bank_id, first.url)
    sub_second = _subscribe(container, world.bank2_id, second.url)
    title = f"Core banking gateway RCE ({label})"
    red = label == "TLP:RED"
    view = submit(
        container,
        world.submitter,
        tlp=label,
        title=title,
        orgs=[] if label == "TLP:GREEN" or red else [world.bank_id],
        people=[world.bank_named.user.id, world.treasury.user.id] if red else [],
        sectors=["financial_services"],
    )
    # Unvalidated: nobody outside the source's circle hears anything.
    assert _deliver_all(container, sub_first) == [] and _deliver_all(container, sub_second) == []
    validate(container, world, view.id)
    assert (_deliver_all(container, sub_first) == [view.id]) is first_hears
    assert (_deliver_all(container, sub_second) == [view.id]) is second_hears
    assert [body["report"]["id"] for body in first.got] == ([str(view.id)] if first_hears else [])  # type: ignore[index]
    assert [body["report"]["id"] for body in second.got] == ([str(view.id)] if second_hears else [])  # type: ignore[index]
    assert any(title in n for n in _titles(container, world.bank)) is first_hears
    assert any(title in n for n in _titles(container, world.bank2)) is second_hears
    # Relabelling or readdressing again tells nobody twice.
    if label == "TLP:AMBER":
        with container.uow() as uow:
            reports.address(uow, world.treasury.principal, view.id, recipient_orgs=[world.bank_id])
        assert len(_deliver_all(container, sub_first)) == 1
