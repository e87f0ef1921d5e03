"""Notification use cases. Written in the caller's transaction, so a notice exists only if its cause does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from frontier_review.db.uow import UnitOfWork
from frontier_review.identity.orm import User
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.principal import Principal
from frontier_review.notifications.orm import Notification


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


def notify_organization(
    uow: UnitOfWork, org_id: uuid.UUID, *, kind: str, title: str, body: str = "", link: str = "", exclude: uuid.UUID | None = None
) -> int:
    """Notify every active member of an organization (except ``exclude``); returns how many."""
    users = uow.session.scalars(select(User.id).where(User.organization_id == org_id, User.is_active.is_(True))).all()
    now = uow.clock.now()
    count = 0
    for user_id in users:
        if user_id == exclude:
            continue
        uow.session.add(
            Notification(id=new_id(), user_id=user_id, kind=kind, title=title[:300], body=body, link=link, created_at=now)
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
