"""Report notices, only ever to people in the report's TLP audience (a notice reveals that it exists).

Notices name the label, the status and the priority band, never the report's title or content:
an email leaves the platform, and the page it links to asks the audience question again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from frontier_review.clearinghouse.reports.domain import report_link
from frontier_review.clearinghouse.reports.policy import ReportRef, reads_report
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.directory import Person
from frontier_review.kernel.principal import OrgKind
from frontier_review.notifications import service as notifications

__all__ = ["in_audience", "to_clearinghouse", "to_orgs", "to_people"]


def in_audience(uow: UnitOfWork, ref: ReportRef, people: Iterable[Person]) -> list[Person]:
    """The people among ``people`` in the report's audience right now (deactivated people never are)."""
    kinds: dict[uuid.UUID, OrgKind | None] = {}
    out = []
    for person in people:
        org = person.organization_id
        if org is not None and org not in kinds:
            card = directory.find_organization(uow, org)
            kinds[org] = card.kind if card is not None else None
        kind = kinds.get(org) if org is not None else None
        if reads_report(person.id, org, kind, ref, active=person.is_active).allowed:
            out.append(person)
    return out


def to_people(
    uow: UnitOfWork, ref: ReportRef, people: Iterable[Person], kind: str, title: str, *, exclude: uuid.UUID | None = None
) -> int:
    """Notify exactly these people, if they are in the audience (in-app, and by email)."""
    chosen = in_audience(uow, ref, people)
    key = f"report:{ref.id}:{kind}:{uow.clock.now().isoformat()}"
    return notifications.notify(uow, chosen, kind=kind, title=title, link=report_link(ref.id), mail_key=key, exclude=exclude)


def to_orgs(
    uow: UnitOfWork, ref: ReportRef, orgs: Iterable[uuid.UUID], kind: str, title: str, *, exclude: uuid.UUID | None = None
) -> int:
    """Notify the active members of these organizations who are in the audience."""
    return to_people(uow, ref, directory.list_members(uow, set(orgs)), kind, title, exclude=exclude)


def to_clearinghouse(uow: UnitOfWork, ref: ReportRef, kind: str, title: str, *, exclude: uuid.UUID | None = None) -> int:
    """Notify the clearinghouse's people who are in the audience."""
    return to_orgs(uow, ref, directory.list_organization_ids(uow, OrgKind.CLEARINGHOUSE), kind, title, exclude=exclude)
