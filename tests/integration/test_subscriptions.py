"""Subscriptions against real databases: fan-out, TLP, dedupe, and webhooks posted to a real loopback receiver."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.priority.domain import Band
from frontier_review.clearinghouse.subscriptions import delivery, fanout, service
from frontier_review.clearinghouse.subscriptions.domain import ReportNotice
from frontier_review.clearinghouse.subscriptions.orm import Subscription
from frontier_review.clearinghouse.subscriptions.webhooks import DeliveryState
from frontier_review.composition import WIRING
from frontier_review.config import Settings
from frontier_review.db.uow import UnitOfWorkFactory
from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.identity.views import OrganizationView
from frontier_review.kernel.clock import FrozenClock
from frontier_review.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from frontier_review.notifications import service as notifications
from frontier_review.notifications.orm import OutboundEmail
from tests.factories.identity import Person, make_org, make_user

REPLAY_WINDOW = 300


class Receiver:
    """A webhook receiver on loopback: answers each POST with the next status of ``script`` (then 200)."""

    def __init__(self, script: list[int]) -> None:
        self.script = list(script)
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = outer.script.pop(0) if outer.script else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/frontier"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private_targets": True})  # the receiver listens on loopback


def receiver_fixture(script: list[int]) -> Iterator[Receiver]:
    r = Receiver(script)
    try:
        yield r
    finally:
        r.close()


def spec_verify(header: str, body: bytes, secret: str, now: int) -> bool:
    """Written from docs/clearinghouse-subscriptions.md, not from the platform's code."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    t = int(parts["t"])
    if abs(now - t) > REPLAY_WINDOW:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


def notice(**changes: object) -> ReportNotice:
    values: dict[str, object] = {
        "report_id": uuid.uuid4(),
        "title": "Remote code execution in core banking gateway",
        "label": "TLP:AMBER",
        "sectors": frozenset({Sector.FINANCIAL_SERVICES}),
        "purls": ("pkg:pypi/django@4.2.1",),
        "cpes": (),
        "priority_score": 72.0,
        "priority_band": Band.HIGH,
        "url_path": "/clearinghouse/reports/x",
        "validated": True,
    }
    values.update(changes)
    return ReportNotice(**values)  # type: ignore[arg-type]


def bank(container: Container) -> tuple[OrganizationView, Person, Person]:
    org = make_org(container, OrgKind.PARTNER, name="First Federal", sector=Sector.FINANCIAL_SERVICES)
    return org, make_user(container, org, role=Role.ADMIN), make_user(container, org)


def subscribe(container: Container, admin: Person, url: str | None, **changes: object) -> tuple[uuid.UUID, str | None]:
    fields: dict[str, object] = {
        "name": "Financial services",
        "sectors": ["financial_services"],
        "channels": ["in_app", "email"] + (["webhook"] if url else []),
        "webhook_url": url,
    }
    fields.update(changes)
    with container.uow() as uow:
        created = service.create_subscription(uow, admin.principal, **fields)  # type: ignore[arg-type]
    return created.subscription.id, created.secret


def fan(container: Container, n: ReportNotice, allowed: bool = True) -> fanout.FanOut:
    with container.uow() as uow:
        return fanout.fan_out(uow, n, may_receive=lambda _org: allowed)


def run_due(container: Container, clock: FrozenClock, delivery_id: uuid.UUID) -> delivery.Outcome:
    return delivery.attempt(container.uow, delivery_id)


def test_retries_against_a_real_receiver_then_delivered(container: Container, clock: FrozenClock) -> None:
    receiver = Receiver([500, 500])
    try:
        _, admin, member = bank(container)
        sub_id, secret = subscribe(container, admin, receiver.url)
        assert secret is not None and secret.startswith("frwhsec_")
        n = notice()
        result = fan(container, n)
        assert len(result.deliveries) == 1
        (delivery_id,) = result.deliveries
        first = run_due(container, clock, delivery_id)
        assert first.state == "pending"
        assert first.retry_in is not None and timedelta(seconds=27) <= first.retry_in <= timedelta(seconds=33)
        assert run_due(container, clock, delivery_id).state == "not-claimed"  # not due yet
        clock.advance(first.retry_in)
        second = run_due(container, clock, delivery_id)
        assert second.state == "pending"
        assert second.retry_in is not None and timedelta(seconds=108) <= second.retry_in <= timedelta(seconds=132)
        clock.advance(second.retry_in)
        assert run_due(container, clock, delivery_id).state == "delivered"
        with container.uow() as uow:
            (log,) = service.list_deliveries(uow, member.principal, sub_id)
        assert log.state is DeliveryState.DELIVERED
        assert [(a.number, a.status_code, a.outcome) for a in log.log] == [
            (1, 500, "retry"),
            (2, 500, "retry"),
            (3, 200, "delivered"),
        ]
        assert log.log[0].next_attempt_at is not None and log.log[2].next_attempt_at is None
        assert len(receiver.received) == 3
        ids = {headers["frontier-review-delivery"] for headers, _ in receiver.received}
        assert ids == {str(delivery_id)}  # the same id on every retry: receivers deduplicate on it
        headers, body = receiver.received[-1]
        assert headers["content-type"] == "application/json"
        assert spec_verify(headers["frontier-review-signature"], body, secret, int(clock.now().timestamp()))
        assert not spec_verify(headers["frontier-review-signature"], body, secret + "x", int(clock.now().timestamp()))
        payload = json.loads(body)
        assert payload["report"]["id"] == str(n.report_id)
        assert payload["report"]["tlp"] == "TLP:AMBER"
        assert payload["report"]["priority"] == {"score": 72.0, "band": "high"}
    finally:
        receiver.close()


@pytest.mark.parametrize("status", [400, 410], ids=str)
def test_no_retry_on_a_refusal(container: Container, clock: FrozenClock, status: int) -> None:
    receiver = Receiver([status])
    try:
        _, admin, _ = bank(container)
        subscribe(container, admin, receiver.url)
        (delivery_id,) = fan(container, notice()).deliveries
        outcome = run_due(container, clock, delivery_id)
        assert outcome.state == "failed" and outcome.retry_in is None
        clock.advance(timedelta(hours=3))
        assert run_due(container, clock, delivery_id).state == "not-claimed"
        assert len(receiver.received) == 1
    finally:
        receiver.close()


def test_gives_up_after_the_schedule(container: Container, clock: FrozenClock) -> None:
    receiver = Receiver([503] * 10)
    try:
        _, admin, _ = bank(container)
        subscribe(container, admin, receiver.url)
        (delivery_id,) = fan(container, notice()).deliveries
        states = []
        for _ in range(6):
            outcome = run_due(container, clock, delivery_id)
            states.append(outcome.state)
            clock.advance(outcome.retry_in or timedelta(0))
        assert states == ["pending"] * 5 + ["gave_up"]
        assert len(receiver.received) == 6
    finally:
        receiver.close()


def test_fan_out_runs_twice_but_delivers_once(container: Container, clock: FrozenClock) -> None:
    _, admin, member = bank(container)
    subscribe(container, admin, None)
    n = notice()
    assert len(fan(container, n).deliveries) == 1
    again = fan(container, n)
    assert again.deliveries == () and again.already == 1
    with container.uow() as uow:
        notes = notifications.list_mine(uow, member.principal)
        mails = uow.session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == member.email)).all()
    assert len(notes) == 1 and "Remote code execution" in notes[0].title
    assert len(mails) == 1


def test_red_never_reaches_an_organization_and_a_later_widening_does(container: Container, clock: FrozenClock) -> None:
    receiver = Receiver([])
    try:
        _, admin, member = bank(container)
        subscribe(container, admin, receiver.url)
        n = notice(label="TLP:RED")
        withheld = fan(container, n, allowed=False)
        assert withheld.deliveries == () and withheld.withheld == 1
        assert delivery.due(container.uow) == []
        with container.uow() as uow:
            assert notifications.list_mine(uow, member.principal) == []
            assert uow.session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == member.email)).all() == []
        assert receiver.received == []
        # Relabelled to AMBER naming the bank: now it hears of it, once.
        widened = fan(container, dataclasses.replace(n, label="TLP:AMBER"), allowed=True)
        assert len(widened.deliveries) == 1
    finally:
        receiver.close()


def test_non_matching_and_inactive_subscriptions_hear_nothing(container: Container) -> None:
    _, admin, _ = bank(container)
    sub_id, _ = subscribe(container, admin, None, min_priority="critical")
    assert fan(container, notice()).deliveries == ()  # 72 < 80
    with container.uow() as uow:
        service.update_subscription(
            uow, admin.principal, sub_id, name="x", sectors=["financial_services"], channels=["in_app"], active=False
        )
    assert fan(container, notice(priority_score=90.0, priority_band=Band.CRITICAL)).deliveries == ()


def test_private_target_refused_at_creation(container: Container, settings: Settings, clock: FrozenClock) -> None:
    strict = Container(settings=settings.model_copy(update={"webhook_allow_private_targets": False}), wiring=WIRING, clock=clock)
    try:
        _, admin, _ = bank(strict)
        for url, reason in (
            ("http://127.0.0.1:9/hook", "loopback"),
            ("http://10.1.2.3/hook", "private"),
            ("http://169.254.169.254/latest", "metadata"),
        ):
            with pytest.raises(ValidationFailed, match=reason) as caught:
                subscribe(strict, admin, url)
            assert caught.value.problems[0].field == "webhook_url"
        with strict.uow() as uow:
            assert uow.session.scalars(select(Subscription)).all() == []  # nothing half-written
    finally:
        strict.close()


def test_private_target_refused_at_delivery(container: Container, settings: Settings, clock: FrozenClock) -> None:
    receiver = Receiver([])
    try:
        _, admin, _ = bank(container)
        subscribe(container, admin, receiver.url)  # allowed when it was saved
        (delivery_id,) = fan(container, notice()).deliveries
        strict_settings = settings.model_copy(update={"webhook_allow_private_targets": False})
        strict = UnitOfWorkFactory(
            container.sessions,
            clock=clock,
            settings=strict_settings,
            keyring=container.keyring,
            denial_writer=WIRING.denial_writer,
            rules=WIRING.rules,
        )
        outcome = delivery.attempt(strict, delivery_id)
        assert outcome.state == "failed"
        assert receiver.received == []
        with container.uow() as uow:
            row = service.list_deliveries(uow, admin.principal, _sub_of(container, delivery_id))[0]
        assert row.last_error is not None and "address policy" in row.last_error and "loopback" in row.last_error
    finally:
        receiver.close()


def _sub_of(container: Container, delivery_id: uuid.UUID) -> uuid.UUID:
    from frontier_review.clearinghouse.subscriptions.orm import SubscriptionDelivery

    with container.uow() as uow:
        row = uow.session.get(SubscriptionDelivery, delivery_id)
        assert row is not None
        return row.subscription_id


def test_who_manages_and_who_sees(container: Container) -> None:
    _, admin, member = bank(container)
    other = make_org(container, OrgKind.PARTNER, name="Second Bank", sector=Sector.FINANCIAL_SERVICES)
    outsider = make_user(container, other, role=Role.ADMIN)
    ch = make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury")
    analyst = make_user(container, ch)
    sub_id, _ = subscribe(container, admin, None)
    with container.uow() as uow:
        assert [s.id for s in service.list_subscriptions(uow, member.principal)] == [sub_id]
        assert service.list_subscriptions(uow, outsider.principal) == []
        service.list_deliveries(uow, analyst.principal, sub_id)  # the clearinghouse follows deliveries
    for who in (outsider, analyst):
        with pytest.raises(NotFound), container.uow() as uow:
            service.get_subscription(uow, who.principal, sub_id)
    with pytest.raises(NotFound), container.uow() as uow:
        service.list_deliveries(uow, outsider.principal, sub_id)
    with pytest.raises(PermissionDenied), container.uow() as uow:
        service.rotate_secret(uow, member.principal, sub_id)
    with pytest.raises(PermissionDenied), container.uow() as uow:
        service.create_subscription(uow, member.principal, name="x", sectors=["energy"])


def test_secret_is_sealed_rotated_and_never_read_back(container: Container) -> None:
    _, admin, _ = bank(container)
    sub_id, secret = subscribe(container, admin, "http://127.0.0.1:9/hook")
    assert secret is not None
    with container.uow() as uow:
        row = uow.session.get(Subscription, sub_id)
        assert row is not None and row.secret_sealed is not None
        assert secret.encode() not in row.secret_sealed
        view = service.get_subscription(uow, admin.principal, sub_id)
        assert secret not in repr(view)
        rotated = service.rotate_secret(uow, admin.principal, sub_id)
    assert rotated.secret is not None and rotated.secret != secret
    with container.uow() as uow:
        row = uow.session.get(Subscription, sub_id)
        assert row is not None and service.open_secret(uow, row) == rotated.secret


def test_demo_receiver_gets_a_signed_webhook(container: Container, clock: FrozenClock) -> None:
    from frontier_review.demo import clearinghouse_subscriptions as demo_subs
    from frontier_review.kernel.clock import SystemClock

    org = make_org(container, OrgKind.PARTNER, name="First Federal Bank", sector=Sector.FINANCIAL_SERVICES)
    make_user(container, org, role=Role.ADMIN, email=demo_subs.BANK_ADMIN)
    receiver = demo_subs.start_receiver(secret_file=container.settings.data_dir / demo_subs.SECRET_FILE)
    live = Container(settings=container.settings, wiring=WIRING, clock=SystemClock())  # signatures checked against real time
    try:
        secret = demo_subs.subscribe_demo_bank(live, url=receiver.url)
        assert secret is not None and receiver.current_secret() == secret  # kept as the bank's system would
        (delivery_id,) = fan(live, notice()).deliveries
        assert delivery.attempt(live.uow, delivery_id).state == "delivered"
        (got,) = receiver.received
        assert got["signature_valid"] is True and got["delivery"] == str(delivery_id)
    finally:
        receiver.stop()
        live.close()
