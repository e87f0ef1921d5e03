"""Named recipients of an incident: checking the ids given and storing them.

Refusals use the same words for an unknown id and for someone who may not be named, so a form or
an API call cannot be used to probe for accounts.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete as sa_delete

from frontier_review.clearinghouse.incidents.orm import Incident, IncidentRecipientOrg, IncidentRecipientPerson
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.directory import Person
from frontier_review.kernel.errors import FieldProblem
from frontier_review.kernel.ids import new_id

__all__ = ["Ids", "clean_ids", "clean_orgs", "clean_people", "store_recipients"]

Ids = Iterable[uuid.UUID | str]
"""User or organization ids as given (UUIDs, or their text from a form)."""


def clean_ids(raw: Ids | None, field: str, problems: list[FieldProblem]) -> list[uuid.UUID]:
    """The ids given, parsed and without repeats; a problem on ``field`` for each that is not an id."""
    out: list[uuid.UUID] = []
    for value in raw or ():
        try:
            parsed = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value).strip())
        except ValueError:
            problems.append(FieldProblem(field, f"{str(value)[:40]!r} is not an id"))
            continue
        if parsed not in out:
            out.append(parsed)
    return out


def clean_people(
    uow: UnitOfWork, ids: list[uuid.UUID], field: str, within: set[uuid.UUID] | None, problems: list[FieldProblem]
) -> list[Person]:
    """Active people with an organization (within ``within`` when given); one answer for every refusal."""
    found = {p.id: p for p in directory.list_people(uow, ids)}
    out = []
    for user_id in ids:
        person = found.get(user_id)
        ok = person is not None and person.is_active and person.organization_id is not None
        if not ok or (within is not None and person is not None and person.organization_id not in within):
            # The same words for an unknown id and someone elsewhere: no probing for accounts.
            where = "an organization that needs to know" if within is not None else "a member organization"
            problems.append(FieldProblem(field, f"{user_id} is not an active person of {where}"))
            continue
        assert person is not None
        out.append(person)
    return out


def clean_orgs(uow: UnitOfWork, ids: list[uuid.UUID], problems: list[FieldProblem]) -> list[uuid.UUID]:
    """The organizations among ``ids`` that exist; a problem for each that does not."""
    known = {c.id for c in directory.list_organizations(uow, ids=ids)} if ids else set()
    for org_id in ids:
        if org_id not in known:
            problems.append(FieldProblem("recipient_orgs", f"{org_id} is not a member organization"))
    return [o for o in ids if o in known]


def store_recipients(uow: UnitOfWork, row: Incident, orgs: Iterable[uuid.UUID], people: Iterable[Person]) -> None:
    """Replace the incident's named organizations and people."""
    uow.session.execute(sa_delete(IncidentRecipientOrg).where(IncidentRecipientOrg.incident_id == row.id))
    uow.session.execute(sa_delete(IncidentRecipientPerson).where(IncidentRecipientPerson.incident_id == row.id))
    for org_id in dict.fromkeys(orgs):
        uow.session.add(IncidentRecipientOrg(id=new_id(), incident_id=row.id, organization_id=org_id))
    for person in {p.id: p for p in people}.values():
        uow.session.add(IncidentRecipientPerson(id=new_id(), incident_id=row.id, user_id=person.id))
    uow.session.flush()
