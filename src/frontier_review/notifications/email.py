"""Email notices: queued in the transaction that causes them, delivered after commit, never twice.

A row is *claimed* before it is sent and never claimed again unless its send failed with an
error, so a crash between sending and recording can lose a mail but never send one twice.
Without ``FR_SMTP_URL`` mail goes to the local sink: it is kept in the database and each person
reads their own at ``/mail`` (the demo's inbox).
"""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlparse

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.clock import Clock
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.principal import Principal
from frontier_review.notifications.orm import OutboundEmail

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class MailView:
    id: uuid.UUID
    to_address: str
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None
    transport: str | None


def queue_email(uow: UnitOfWork, *, to: str, subject: str, body: str, dedupe_key: str) -> bool:
    """Queue one email unless one with ``dedupe_key`` exists already; True when queued."""
    if uow.session.scalar(select(OutboundEmail.id).where(OutboundEmail.dedupe_key == dedupe_key[:200])):
        return False
    uow.session.add(
        OutboundEmail(
            id=new_id(),
            dedupe_key=dedupe_key[:200],
            to_address=to,
            subject=subject[:300],
            body=body,
            created_at=uow.clock.now(),
        )
    )
    return True


def _send_smtp(url: str, sender: str, row: OutboundEmail) -> None:
    parsed = urlparse(url)
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, row.to_address, row.subject
    message.set_content(row.body)
    smtp_cls = smtplib.SMTP_SSL if parsed.scheme == "smtps" else smtplib.SMTP
    with smtp_cls(parsed.hostname or "127.0.0.1", parsed.port or (465 if parsed.scheme == "smtps" else 25), timeout=10) as smtp:
        if parsed.scheme == "smtp+starttls":
            smtp.starttls()
        if parsed.username:
            smtp.login(unquote(parsed.username), unquote(parsed.password or ""))
        smtp.send_message(message)


def deliver_pending(sessions: sessionmaker[Session], clock: Clock, *, smtp_url: str | None, sender: str, limit: int = 100) -> int:
    """Send what is queued; returns how many were sent (or kept in the sink)."""
    with sessions() as session:
        ids = list(
            session.scalars(
                select(OutboundEmail.id)
                .where(
                    OutboundEmail.sent_at.is_(None),
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
                    or_(OutboundEmail.claimed_at.is_(None), OutboundEmail.last_error.is_not(None)),
                )
                .values(claimed_at=clock.now(), attempts=OutboundEmail.attempts + 1, last_error=None)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another process has it
        with sessions() as session, session.begin():
            row = session.get(OutboundEmail, mail_id)
            assert row is not None
            try:
                if smtp_url:
                    _send_smtp(smtp_url, sender, row)
            except (OSError, smtplib.SMTPException) as exc:
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                continue
            row.sent_at, row.transport = clock.now(), "smtp" if smtp_url else "sink"
            sent += 1
    return sent


def my_mail(uow: UnitOfWork, principal: Principal, *, limit: int = 100) -> list[MailView]:
    """The sink's mail addressed to the principal (superusers see all of it)."""
    stmt = select(OutboundEmail).order_by(OutboundEmail.created_at.desc()).limit(limit)
    if not principal.is_superuser:
        email = principal.label
        stmt = stmt.where(OutboundEmail.to_address == email)
    return [
        MailView(r.id, r.to_address, r.subject, r.body, r.created_at, r.sent_at, r.transport) for r in uow.session.scalars(stmt)
    ]
