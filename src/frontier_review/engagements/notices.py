"""Engagement notices: in-app and by email, in the same transaction as their cause.

Each email carries a dedupe key (what happened, to whom), so no event is mailed twice to
the same person even if the code that causes it runs again.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.orm import Engagement, Participant
from frontier_review.identity.orm import User
from frontier_review.kernel.ids import new_id
from frontier_review.notifications import email
from frontier_review.notifications.orm import Notification


def _link(row: Engagement) -> str:
    return f"/engagements/{row.id}"


def _send(uow: UnitOfWork, users: list[User], row: Engagement, kind: str, title: str, key: str, link: str | None = None) -> None:
    now = uow.clock.now()
    target = link or _link(row)
    for user in users:
        uow.session.add(
            Notification(id=new_id(), user_id=user.id, kind=kind, title=title[:300], body="", link=target, created_at=now)
        )
        email.queue_email(
            uow,
            to=user.email,
            subject=f"[Frontier Review] {title}"[:300],
            body=f"{title}\n\nOpen it in Frontier Review: {target}\n",
            dedupe_key=f"{kind}:{row.id}:{key}:{user.id}",
        )


def members(uow: UnitOfWork, org_id: uuid.UUID) -> list[User]:
    """The organization's active people."""
    return list(uow.session.scalars(select(User).where(User.organization_id == org_id, User.is_active.is_(True))))


def to_users(
    uow: UnitOfWork, row: Engagement, users: list[User], kind: str, title: str, key: str, link: str | None = None
) -> None:
    """Notify exactly these people (findings pick them by TLP audience: a notice reveals that
    the finding exists)."""
    _send(uow, users, row, kind, title, key, link)


def to_org(
    uow: UnitOfWork, row: Engagement, org_id: uuid.UUID, kind: str, title: str, key: str = "", link: str | None = None
) -> None:
    _send(uow, members(uow, org_id), row, kind, title, key or str(row.access_epoch), link)


def to_user(uow: UnitOfWork, row: Engagement, user_id: uuid.UUID, kind: str, title: str) -> None:
    user = uow.session.get(User, user_id)
    if user is not None:
        _send(uow, [user], row, kind, title, str(row.access_epoch))


def to_developer(uow: UnitOfWork, row: Engagement, kind: str, title: str, key: str = "", link: str | None = None) -> None:
    to_org(uow, row, row.developer_org_id, kind, title, key, link)


def to_participants(uow: UnitOfWork, row: Engagement, kind: str, title: str, key: str = "") -> None:
    orgs = uow.session.scalars(
        select(Participant.organization_id).where(Participant.engagement_id == row.id, Participant.revoked_at.is_(None))
    )
    for org_id in orgs:
        to_org(uow, row, org_id, kind, title, key)


def offer(uow: UnitOfWork, row: Engagement, org_id: uuid.UUID) -> None:
    to_org(
        uow,
        row,
        org_id,
        "engagement_offered",
        f"{row.title}: you are offered prerelease access; your admin reviews and accepts the terms",
        key="offer",
    )
