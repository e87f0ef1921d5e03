"""Notification use cases. Written in the caller's transaction, so a notice exists only if its cause does."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import func, select, update

from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.principal import Principal
from frontier_review.notifications import email
from frontier_review.notifications.orm import Notification

__all__ = ["Addressee", "NotificationView", "list_mine", "mark_all_read", "notify", "unread_count"]


@dataclass(frozen=True)
class NotificationView:
    """A notification as shown to its recipient."""

    id: uuid.UUID
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class Addressee(Protocol):
    """Who a notice goes to: the identity directory's ``Person`` satisfies this."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def email(self) -> str: ...


def notify(
    uow: UnitOfWork,
    people: Iterable[Addressee],
    *,
    kind: str,
    title: str,
    link: str = "",
    body: str = "",
    mail_key: str | None = None,
    exclude: uuid.UUID | None = None,
) -> int:
    """Notify these people in the app, and by email too when ``mail_key`` is given; returns how many.

    The one way any area tells people something happened. It writes in the caller's transaction,
    so a notice exists only if its cause does. An email's dedupe key is ``mail_key`` plus the
    person, so the same event is never mailed twice to anyone even if its cause runs again. The
    caller chooses the people (``identity.directory.list_members`` for a whole organization; a
    finding's TLP audience for a finding), because only the caller knows who may learn of it.
    """
    now = uow.clock.now()
    count = 0
    for person in people:
        if person.id == exclude:
            continue
        uow.session.add(
            Notification(id=new_id(), user_id=person.id, kind=kind, title=title[:300], body=body, link=link, created_at=now)
        )
        if mail_key is not None:
            email.queue_email(
                uow,
                to=person.email,
                subject=f"[Frontier Review] {title}"[:300],
                body=f"{title}\n\nOpen it in Frontier Review: {link}\n",
                dedupe_key=f"{mail_key}:{person.id}",
            )
        count += 1
    return count


def list_mine(uow: UnitOfWork, principal: Principal, *, limit: int = 50) -> list[NotificationView]:
    """The principal's own notifications, newest first (nobody reads another's)."""
    if principal.user_id is None:
        return []
    rows = uow.session.scalars(
        select(Notification)
        .where(Notification.user_id == principal.user_id)
        .order_by(Notification.created_at.desc())
        .limit(limit)
    )
    return [NotificationView(r.id, r.kind, r.title, r.body, r.link, r.created_at, r.read_at) for r in rows]


def unread_count(uow: UnitOfWork, principal: Principal) -> int:
    """How many of the principal's notifications are unread (0 for the system)."""
    if principal.user_id is None:
        return 0
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
    )
    return int(uow.session.scalar(stmt) or 0)


def mark_all_read(uow: UnitOfWork, principal: Principal) -> None:
    """Mark the principal's own notifications read."""
    if principal.user_id is None:
        return
    uow.session.execute(
        update(Notification)
        .where(Notification.user_id == principal.user_id, Notification.read_at.is_(None))
        .values(read_at=uow.clock.now())
    )
