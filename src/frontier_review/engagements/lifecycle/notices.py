"""Engagement notices: in-app and by email, in the same transaction as their cause.

Each email carries a dedupe key (what happened, to whom), so no event is mailed twice to
the same person even if the code that causes it runs again.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.lifecycle.orm import Engagement, Participant
from frontier_review.identity import directory
from frontier_review.identity.directory import Person
from frontier_review.notifications import service as notifications
from frontier_review.notifications.service import Addressee


def _link(row: Engagement) -> str:
    return f"/engagements/{row.id}"


def _send(
    uow: UnitOfWork, users: Sequence[Addressee], row: Engagement, kind: str, title: str, key: str, link: str | None = None
) -> None:
    notifications.notify(uow, users, kind=kind, title=title, link=link or _link(row), mail_key=f"{kind}:{row.id}:{key}")


def members(uow: UnitOfWork, org_id: uuid.UUID) -> list[Person]:
    """The organization's active people."""
    return directory.list_members(uow, org_id)


def to_users(
    uow: UnitOfWork, row: Engagement, users: Sequence[Addressee], kind: str, title: str, key: str, link: str | None = None
) -> None:
    """Notify exactly these people.

    Findings pick them by TLP audience, since a notice reveals that the finding exists.
    """
    _send(uow, users, row, kind, title, key, link)


def to_org(
    uow: UnitOfWork, row: Engagement, org_id: uuid.UUID, kind: str, title: str, key: str = "", link: str | None = None
) -> None:
    """Notify an organization's active people."""
    _send(uow, members(uow, org_id), row, kind, title, key or str(row.access_epoch), link)


def to_user(uow: UnitOfWork, row: Engagement, user_id: uuid.UUID, kind: str, title: str, link: str | None = None) -> None:
    """Notify one person, if they exist."""
    person = directory.find_person(uow, user_id)
    if person is not None:
        _send(uow, [person], row, kind, title, str(row.access_epoch), link)


def to_developer(uow: UnitOfWork, row: Engagement, kind: str, title: str, key: str = "", link: str | None = None) -> None:
    """Notify the developer's people."""
    to_org(uow, row, row.developer_org_id, kind, title, key, link)


def to_participants(uow: UnitOfWork, row: Engagement, kind: str, title: str, key: str = "") -> None:
    """Notify the people of every participant still in the engagement."""
    orgs = uow.session.scalars(
        select(Participant.organization_id).where(Participant.engagement_id == row.id, Participant.revoked_at.is_(None))
    )
    for org_id in orgs:
        to_org(uow, row, org_id, kind, title, key)


def offer(uow: UnitOfWork, row: Engagement, org_id: uuid.UUID) -> None:
    """Tell an organization it is offered access."""
    to_org(
        uow,
        row,
        org_id,
        "engagement_offered",
        f"{row.title}: you are offered prerelease access; your admin reviews and accepts the terms",
        key="offer",
    )
