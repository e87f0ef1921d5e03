"""Email notices: hostile text cannot inject headers, and every claimed message ends sent or failed with its reason."""

from __future__ import annotations

import uuid
from datetime import timedelta
from email import message_from_bytes, policy

import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.kernel.clock import FrozenClock
from frontier_review.notifications import email
from frontier_review.notifications.orm import OutboundEmail
from tests.fakes.smtp_server import smtp_server
from tests.live import free_port

SENDER = "frontier-review@example.org"


def _queue(container: Container, *, to: str, subject: str, body: str = "Open it in Frontier Review.\n") -> str:
    key = f"test:{uuid.uuid4()}"
    with container.uow() as uow:
        assert email.queue_email(uow, to=to, subject=subject, body=body, dedupe_key=key)
    return key


def _row(container: Container, key: str) -> OutboundEmail:
    with container.sessions() as session:
        return session.scalars(sa.select(OutboundEmail).where(OutboundEmail.dedupe_key == key)).one()


def _deliver(container: Container, smtp_url: str | None) -> int:
    return email.deliver_pending(container.sessions, container.clock, smtp_url=smtp_url, sender=SENDER)


def test_newlines_in_a_title_cannot_inject_headers(container: Container) -> None:
    hostile = "Review of Atlas\r\nBcc: attacker@evil.example\nX-Injected: yes\u2028Reply-To: attacker@evil.example"
    key = _queue(container, to="reviewer@example.org", subject=f"[Frontier Review] {hostile}: window open")
    with smtp_server() as (url, mailbox):
        assert _deliver(container, url) == 1
    assert mailbox.recipients == [["<reviewer@example.org>"]]
    message = message_from_bytes(mailbox.messages[0], policy=policy.SMTP)
    assert message.get_all("Bcc") is None and message.get_all("X-Injected") is None and message.get_all("Reply-To") is None
    assert len(message.get_all("Subject") or []) == 1
    assert "Bcc: attacker@evil.example" in str(message["Subject"])  # kept as harmless text on one line
    row = _row(container, key)
    assert row.sent_at is not None and row.transport == "smtp" and row.failed_at is None


def test_a_message_that_cannot_be_built_is_marked_failed_with_its_reason(container: Container) -> None:
    key = _queue(container, to="reviewer@example.org\r\nBcc: attacker@evil.example", subject="Window open")
    with smtp_server() as (url, mailbox):
        assert _deliver(container, url) == 0
        assert _deliver(container, url) == 0  # failed for good: not claimed again
    assert mailbox.messages == []
    row = _row(container, key)
    assert row.failed_at is not None and row.sent_at is None
    assert row.last_error is not None and row.last_error.startswith("message cannot be built")
    assert row.attempts == 1


def test_an_unreachable_server_is_retried_then_failed(container: Container) -> None:
    key = _queue(container, to="reviewer@example.org", subject="Window open")
    closed = f"smtp://127.0.0.1:{free_port()}"
    for attempt in range(1, email.MAX_ATTEMPTS + 1):
        assert _deliver(container, closed) == 0
        row = _row(container, key)
        assert row.attempts == attempt and row.last_error
        assert (row.failed_at is not None) == (attempt == email.MAX_ATTEMPTS)
    assert _deliver(container, closed) == 0
    assert _row(container, key).attempts == email.MAX_ATTEMPTS


def test_a_claim_abandoned_by_a_crash_is_marked_failed_not_resent(container: Container, clock: FrozenClock) -> None:
    key = _queue(container, to="reviewer@example.org", subject="Window open")
    with container.sessions() as session, session.begin():
        # What a process that died between claiming and recording leaves behind.
        session.execute(
            sa.update(OutboundEmail).where(OutboundEmail.dedupe_key == key).values(claimed_at=clock.now(), attempts=1)
        )
    with smtp_server() as (url, mailbox):
        assert _deliver(container, url) == 0
        assert _row(container, key).failed_at is None  # maybe still being sent by that process
        clock.advance(email.STALE_CLAIM + timedelta(seconds=1))
        assert _deliver(container, url) == 0
    assert mailbox.messages == []
    row = _row(container, key)
    assert row.failed_at is not None and row.last_error is not None and "interrupted" in row.last_error
