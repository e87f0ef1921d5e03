"""Email notices: queued in the transaction that causes them, delivered after commit, never twice.

A row is *claimed* before it is sent and never claimed again unless its send failed with an
error, so a crash between sending and recording can lose a mail but never send one twice.
Every claimed row ends *sent* or *failed* with its reason: a message that cannot be built
(a hostile header value) fails at once, a transient SMTP error is retried up to
``MAX_ATTEMPTS`` times, and a claim abandoned by a crash is marked failed after
``STALE_CLAIM``. Without ``FR_SMTP_URL`` mail goes to the local sink: it is kept in the
database and each person reads only the mail addressed to them at ``/mail`` (the demo's inbox).
"""

from __future__ import annotations

import re
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.errors import MessageError
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.clock import Clock
from frontier_review.kernel.ids import new_id
from frontier_review.notifications.orm import OutboundEmail

__all__ = ["MailView", "deliver_pending", "header_text", "list_mail_to", "queue_email"]

MAX_ATTEMPTS = 5
# A claim older than this with no outcome was abandoned by a crash mid-send. It is marked
# failed rather than retried: the message may have left, and no mail is ever sent twice.
STALE_CLAIM = timedelta(minutes=10)
# Line breaks (including Unicode's), tabs and other control characters: in a header they
# would start a new header line (header injection), so they become single spaces.
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


@dataclass(frozen=True)
class MailView:
    """A queued email as its recipient sees it in the sink."""

    id: uuid.UUID
    to_address: str
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None
    transport: str | None
    failed_at: datetime | None = None
    last_error: str | None = None


def header_text(value: str, *, max_length: int = 300) -> str:
    """``value`` made safe for one header line: control characters become spaces, runs collapse."""
    return " ".join(_HEADER_BREAKS.sub(" ", value).split())[:max_length]


def queue_email(uow: UnitOfWork, *, to: str, subject: str, body: str, dedupe_key: str) -> bool:
    """Queue one email unless one with ``dedupe_key`` exists already; True when queued.

    The subject usually carries user-written text (an engagement or finding title), so line
    breaks in it are flattened here: what the sink shows is what SMTP would send.
    """
    if uow.session.scalar(select(OutboundEmail.id).where(OutboundEmail.dedupe_key == dedupe_key[:200])):
        return False
    uow.session.add(
        OutboundEmail(
            id=new_id(),
            dedupe_key=dedupe_key[:200],
            to_address=to,
            subject=header_text(subject),
            body=body,
            created_at=uow.clock.now(),
        )
    )
    return True


def build_message(sender: str, row: OutboundEmail) -> EmailMessage:
    """The message for ``row``; raises ``ValueError`` (or a ``MessageError``) when a header is unusable.

    ``EmailMessage`` under the default policy refuses header values with line breaks, so an
    address or subject that slipped past :func:`queue_email` can never inject headers.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = header_text(row.subject)
    if len(message.get_all("To") or []) != 1 or "@" not in row.to_address or "," in row.to_address:
        raise ValueError("the recipient must be exactly one e-mail address")
    message.set_content(row.body)
    return message


def _send_smtp(url: str, message: EmailMessage) -> None:
    parsed = urlparse(url)
    smtp_cls = smtplib.SMTP_SSL if parsed.scheme == "smtps" else smtplib.SMTP
    with smtp_cls(parsed.hostname or "127.0.0.1", parsed.port or (465 if parsed.scheme == "smtps" else 25), timeout=10) as smtp:
        if parsed.scheme == "smtp+starttls":
            smtp.starttls()
        if parsed.username:
            smtp.login(unquote(parsed.username), unquote(parsed.password or ""))
        smtp.send_message(message)


def _fail_abandoned_claims(sessions: sessionmaker[Session], clock: Clock) -> None:
    now = clock.now()
    with sessions() as session, session.begin():
        session.execute(
            update(OutboundEmail)
            .where(
                OutboundEmail.sent_at.is_(None),
                OutboundEmail.failed_at.is_(None),
                OutboundEmail.last_error.is_(None),
                OutboundEmail.claimed_at < now - STALE_CLAIM,
            )
            .values(
                failed_at=now,
                last_error="delivery was interrupted after the message was claimed; not retried, so it is never sent twice",
            )
        )


def deliver_pending(sessions: sessionmaker[Session], clock: Clock, *, smtp_url: str | None, sender: str, limit: int = 100) -> int:
    """Send what is queued; returns how many were sent (or kept in the sink).

    Each claimed row ends sent, or with ``last_error`` set (retried while attempts remain),
    or failed with its reason: never left claimed without an outcome.
    """
    _fail_abandoned_claims(sessions, clock)
    with sessions() as session:
        ids = list(
            session.scalars(
                select(OutboundEmail.id)
                .where(
                    OutboundEmail.sent_at.is_(None),
                    OutboundEmail.failed_at.is_(None),
                    OutboundEmail.attempts < MAX_ATTEMPTS,
                    or_(OutboundEmail.claimed_at.is_(None), OutboundEmail.last_error.is_not(None)),
                )
                .order_by(OutboundEmail.created_at)
                .limit(limit)
            )
        )
    sent = 0
    for mail_id in ids:
        with sessions() as session, session.begin():
            claimed = session.execute(
                update(OutboundEmail)
                .where(
                    OutboundEmail.id == mail_id,
                    OutboundEmail.sent_at.is_(None),
                    OutboundEmail.failed_at.is_(None),
                    or_(OutboundEmail.claimed_at.is_(None), OutboundEmail.last_error.is_not(None)),
                )
                .values(claimed_at=clock.now(), attempts=OutboundEmail.attempts + 1, last_error=None)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another process has it
        with sessions() as session, session.begin():
            row = session.get(OutboundEmail, mail_id)
            assert row is not None
            if _deliver_one(row, clock, smtp_url=smtp_url, sender=sender):
                sent += 1
    return sent


def _deliver_one(row: OutboundEmail, clock: Clock, *, smtp_url: str | None, sender: str) -> bool:
    """Send (or keep in the sink) one claimed row and record the outcome on it; True when delivered."""
    try:
        message = build_message(sender, row)
    except (ValueError, TypeError, MessageError) as exc:
        # Retrying cannot help a message that cannot be written down.
        row.failed_at, row.last_error = clock.now(), f"message cannot be built: {exc}"[:500]
        return False
    try:
        if smtp_url:
            _send_smtp(smtp_url, message)
    except smtplib.SMTPRecipientsRefused as exc:
        row.failed_at, row.last_error = clock.now(), f"recipient refused by the SMTP server: {exc}"[:500]
        return False
    except (OSError, smtplib.SMTPException) as exc:
        row.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if row.attempts >= MAX_ATTEMPTS:
            row.failed_at = clock.now()
        return False
    except Exception as exc:  # an adapter edge: whatever the SMTP library raises, record it, never leave the row claimed
        row.failed_at, row.last_error = clock.now(), f"{type(exc).__name__}: {exc}"[:500]
        return False
    row.sent_at, row.transport = clock.now(), "smtp" if smtp_url else "sink"
    return True


def list_mail_to(uow: UnitOfWork, address: str, *, limit: int = 100) -> list[MailView]:
    """The sink's mail addressed to ``address``, newest first.

    The caller decides whose address it may ask for: ``identity.mailbox.my_mail`` reads the
    reader's own address from their account.
    """
    stmt = select(OutboundEmail).where(OutboundEmail.to_address == address).order_by(OutboundEmail.created_at.desc()).limit(limit)
    return [
        MailView(r.id, r.to_address, r.subject, r.body, r.created_at, r.sent_at, r.transport, r.failed_at, r.last_error)
        for r in uow.session.scalars(stmt)
    ]
