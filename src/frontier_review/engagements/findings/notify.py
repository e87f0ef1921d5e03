"""Finding notices, only ever to people in the finding's audience (a notice reveals that it exists).

Notices name the engagement and the severity, never the finding's title or content.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Protocol, TypeVar

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.findings.domain import finding_link
from frontier_review.engagements.findings.policy import FindingRef, reads_finding
from frontier_review.engagements.lifecycle import notices
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.identity import directory
from frontier_review.kernel.principal import OrgKind


class _Member(Protocol):
    @property
    def id(self) -> uuid.UUID: ...

    @property
    def email(self) -> str: ...

    @property
    def organization_id(self) -> uuid.UUID | None: ...


_M = TypeVar("_M", bound=_Member)


def in_audience(uow: UnitOfWork, fref: FindingRef, users: Iterable[_M]) -> list[_M]:
    """The people among ``users`` who are in the finding's TLP audience right now."""
    now = uow.clock.now()
    out = []
    for user in users:
        org = directory.find_organization(uow, user.organization_id) if user.organization_id else None
        kind = org.kind if org is not None else None
        if reads_finding(user.id, user.organization_id, kind, fref, now).allowed:
            out.append(user)
    return out


def to_org(uow: UnitOfWork, row: Engagement, fref: FindingRef, org_id: uuid.UUID, kind: str, title: str, key: str) -> None:
    """Notify the organization's active people who are in the finding's audience."""
    users = in_audience(uow, fref, notices.members(uow, org_id))
    notices.to_users(uow, row, users, kind, title, key, finding_link(row.id, fref.id))


def to_program_office(uow: UnitOfWork, row: Engagement, fref: FindingRef, kind: str, title: str, key: str) -> None:
    """Notify the program office's people who are in the finding's audience."""
    for org_id in directory.list_organization_ids(uow, OrgKind.PROGRAM_OFFICE):
        to_org(uow, row, fref, org_id, kind, title, key)


def to_named(uow: UnitOfWork, row: Engagement, fref: FindingRef, named: Iterable[_M], kind: str, title: str, key: str) -> None:
    """Notify named people outside the developer who are in the finding's audience."""
    users = [u for u in in_audience(uow, fref, named) if u.organization_id != row.developer_org_id]
    notices.to_users(uow, row, users, kind, title, key, finding_link(row.id, fref.id))


def to_people(uow: UnitOfWork, row: Engagement, fref: FindingRef, people: Iterable[_M], kind: str, title: str, key: str) -> None:
    """Notify exactly these people, if they are in the finding's audience."""
    notices.to_users(uow, row, in_audience(uow, fref, people), kind, title, key, finding_link(row.id, fref.id))
