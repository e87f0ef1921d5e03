"""Incident notices: in the app only, and only to people in the incident's audience.

A notice reveals that an incident exists, so each addressee is asked the audience question
(``policy.reads_incident``, deactivated people excluded) before anything is written. Notices say
what happened to "an AI-enabled intrusion report" and its label, never its title or content; no
e-mail is sent (mail leaves the platform, and the label travels with the page, not with a mail).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from frontier_review.clearinghouse.incidents.domain import incident_link
from frontier_review.clearinghouse.incidents.policy import IncidentRef, reads_incident
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.directory import Person
from frontier_review.kernel.principal import OrgKind
from frontier_review.notifications import service as notifications


def in_audience(uow: UnitOfWork, ref: IncidentRef, people: Iterable[Person]) -> list[Person]:
    """The people among ``people`` in the incident's TLP audience right now."""
    out = []
    kinds: dict[uuid.UUID, OrgKind] = {}
    for person in people:
        org = person.organization_id
        if org is not None and org not in kinds:
            card = directory.find_organization(uow, org)
            if card is not None:
                kinds[org] = card.kind
        kind = kinds.get(org) if org is not None else None
        if reads_incident(person.id, org, kind, ref, active=person.is_active).allowed:
            out.append(person)
    return out


def to_orgs(
    uow: UnitOfWork, ref: IncidentRef, org_ids: Iterable[uuid.UUID], kind: str, title: str, *, exclude: uuid.UUID | None = None
) -> int:
    """Notify the active members of these organizations who are in the incident's audience."""
    people = directory.list_members(uow, list(dict.fromkeys(org_ids)))
    return notifications.notify(
        uow, in_audience(uow, ref, people), kind=kind, title=title, link=incident_link(ref.id), exclude=exclude
    )


def to_clearinghouse(uow: UnitOfWork, ref: IncidentRef, kind: str, title: str, *, exclude: uuid.UUID | None = None) -> int:
    """Notify the clearinghouse's people who are in the incident's audience."""
    return to_orgs(uow, ref, directory.list_organization_ids(uow, OrgKind.CLEARINGHOUSE), kind, title, exclude=exclude)


def to_people(
    uow: UnitOfWork, ref: IncidentRef, user_ids: Iterable[uuid.UUID], kind: str, title: str, *, exclude: uuid.UUID | None = None
) -> int:
    """Notify exactly these people, if they are in the incident's audience."""
    people = directory.list_people(uow, user_ids)
    return notifications.notify(
        uow, in_audience(uow, ref, people), kind=kind, title=title, link=incident_link(ref.id), exclude=exclude
    )
