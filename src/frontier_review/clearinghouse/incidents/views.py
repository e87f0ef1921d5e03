"""Loading incidents for the rules, and the views adapters show.

:func:`get_readable` is the one way a use case gets an incident: outside its TLP audience an
incident does not exist for the caller (the refusal is still audited), so a TLP:RED incident's
title or existence never leaks. :func:`load_refs` builds the rules' view of many incidents in a
fixed number of queries, for lists, counts and notices.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontier_review.clearinghouse.incidents.domain import DETECTION_LABELS, Detection, IncidentStatus, Tlp
from frontier_review.clearinghouse.incidents.observables import Kind, Observable
from frontier_review.clearinghouse.incidents.orm import (
    Incident,
    IncidentIndicator,
    IncidentRecipientOrg,
    IncidentRecipientPerson,
    IncidentReferral,
)
from frontier_review.clearinghouse.incidents.policy import IncidentRef, Referral, Relabel
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.domain import Sector
from frontier_review.kernel.errors import NotFound, PermissionDenied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide
from frontier_review.registry import service as registry
from frontier_review.security import service as security


@dataclass(frozen=True)
class IncidentSummary:
    """An incident in a list: no narrative, no indicators' values."""

    id: uuid.UUID
    title: str
    reporter_org_id: uuid.UUID
    reporter_org_name: str
    reported_by: str
    tlp: Tlp
    status: IncidentStatus
    sectors: tuple[Sector, ...]
    started_at: datetime
    detected_at: datetime
    reported_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class PersonView:
    """A person named on an incident."""

    user_id: uuid.UUID
    email: str
    organization_name: str


@dataclass(frozen=True)
class OrgView:
    """An organization named on an incident, or one it may be referred to."""

    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class ReferralView:
    """A referral to a law-enforcement organization and its acknowledgement."""

    organization_id: uuid.UUID
    organization_name: str
    note: str
    referred_by: str
    referred_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class IncidentView(IncidentSummary):
    """An incident as one reader may see it, with what the reader may do next (the services check again)."""

    systems: str
    detection: Detection
    detection_details: str
    model_version_id: uuid.UUID | None
    model_version: str | None
    model_text: str
    narrative: str
    indicators: tuple[Observable, ...]
    recipient_orgs: tuple[OrgView, ...]
    recipient_people: tuple[PersonView, ...]
    referrals: tuple[ReferralView, ...]
    may_triage: bool
    may_refer: bool
    may_acknowledge: bool
    may_relabel: bool

    @property
    def detection_label(self) -> str:
        return DETECTION_LABELS[self.detection]


@dataclass(frozen=True)
class _Links:
    orgs: Mapping[uuid.UUID, frozenset[uuid.UUID]]
    people: Mapping[uuid.UUID, frozenset[uuid.UUID]]
    referred: Mapping[uuid.UUID, frozenset[uuid.UUID]]
    acknowledged: Mapping[uuid.UUID, frozenset[uuid.UUID]]


def _links(uow: UnitOfWork, ids: Sequence[uuid.UUID]) -> _Links:
    orgs: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    people: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    referred: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    acknowledged: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    if ids:
        wanted = list(ids)
        for incident_id, org_id in uow.session.execute(
            select(IncidentRecipientOrg.incident_id, IncidentRecipientOrg.organization_id).where(
                IncidentRecipientOrg.incident_id.in_(wanted)
            )
        ):
            orgs[incident_id].add(org_id)
        for incident_id, user_id in uow.session.execute(
            select(IncidentRecipientPerson.incident_id, IncidentRecipientPerson.user_id).where(
                IncidentRecipientPerson.incident_id.in_(wanted)
            )
        ):
            people[incident_id].add(user_id)
        for incident_id, org_id, acked in uow.session.execute(
            select(IncidentReferral.incident_id, IncidentReferral.organization_id, IncidentReferral.acknowledged_at).where(
                IncidentReferral.incident_id.in_(wanted)
            )
        ):
            referred[incident_id].add(org_id)
            if acked is not None:
                acknowledged[incident_id].add(org_id)

    def freeze(d: dict[uuid.UUID, set[uuid.UUID]]) -> dict[uuid.UUID, frozenset[uuid.UUID]]:
        return {k: frozenset(v) for k, v in d.items()}

    return _Links(freeze(orgs), freeze(people), freeze(referred), freeze(acknowledged))


def load_refs(uow: UnitOfWork, rows: Iterable[Incident]) -> dict[uuid.UUID, IncidentRef]:
    """The rules' view of these incidents, in four queries whatever their number."""
    rows = list(rows)
    links = _links(uow, [r.id for r in rows])
    return {
        r.id: IncidentRef(
            id=r.id,
            reporter_org_id=r.reporter_org_id,
            reporter_user_id=r.reporter_user_id,
            tlp=r.tlp,
            recipient_orgs=links.orgs.get(r.id, frozenset()),
            named=links.people.get(r.id, frozenset()),
            referred_to=links.referred.get(r.id, frozenset()),
            acknowledged_by=links.acknowledged.get(r.id, frozenset()),
            closed=r.status == IncidentStatus.CLOSED.value,
        )
        for r in rows
    }


def incident_ref(uow: UnitOfWork, row: Incident) -> IncidentRef:
    """The rules' view of one incident."""
    return load_refs(uow, [row])[row.id]


def missing(incident_id: uuid.UUID) -> str:
    """What the caller is told when an incident does not exist, or is outside its audience."""
    return f"incident {incident_id} not found"


def get_readable(uow: UnitOfWork, principal: Principal, incident_id: uuid.UUID) -> tuple[Incident, IncidentRef]:
    """The incident, if ``principal`` is in its TLP audience.

    Raises:
        NotFound: No such incident, or one outside the caller's audience (the refusal is audited).
    """
    row = uow.session.get(Incident, incident_id)
    if row is None:
        raise NotFound(missing(incident_id))
    ref = incident_ref(uow, row)
    try:
        authorize(uow, principal, Permission.INCIDENT_READ, ref)
    except PermissionDenied:
        raise NotFound(missing(incident_id)) from None
    return row, ref


def summary(row: Incident, names: Mapping[uuid.UUID, str]) -> IncidentSummary:
    """An incident in a list (call only for a reader in its audience)."""
    return IncidentSummary(
        id=row.id,
        title=row.title,
        reporter_org_id=row.reporter_org_id,
        reporter_org_name=names.get(row.reporter_org_id, "?"),
        reported_by=row.reported_by,
        tlp=Tlp(row.tlp),
        status=IncidentStatus(row.status),
        sectors=tuple(Sector(s) for s in row.sectors),
        started_at=row.started_at,
        detected_at=row.detected_at,
        reported_at=row.reported_at,
        updated_at=row.updated_at,
    )


def incident_view(uow: UnitOfWork, principal: Principal, row: Incident, ref: IncidentRef) -> IncidentView:
    """The full incident; call only after the reader was authorized."""
    narrative = security.open_field(
        uow.session, uow.keyring, row.narrative_sealed, table="incidents", row_id=str(row.id), field="narrative_sealed"
    ).decode()
    indicators = tuple(
        Observable(Kind(i.kind), i.value)
        for i in uow.session.scalars(
            select(IncidentIndicator).where(IncidentIndicator.incident_id == row.id).order_by(IncidentIndicator.position)
        )
    )
    referrals = list(
        uow.session.scalars(
            select(IncidentReferral).where(IncidentReferral.incident_id == row.id).order_by(IncidentReferral.referred_at)
        )
    )
    people = directory.list_people(uow, ref.named)
    names = directory.organization_names(
        uow,
        {
            row.reporter_org_id,
            *ref.recipient_orgs,
            *(r.organization_id for r in referrals),
            *(p.organization_id for p in people if p.organization_id),
        },
    )
    version = None
    if row.model_version_id is not None:
        try:
            version = registry.get_version_ref(uow, row.model_version_id).display
        except NotFound:
            version = None
    now = uow.clock.now()
    tighter = Tlp.RED.value
    s = summary(row, names)
    return IncidentView(
        **{name: getattr(s, name) for name in IncidentSummary.__dataclass_fields__},
        systems=row.systems,
        detection=Detection(row.detection),
        detection_details=row.detection_details,
        model_version_id=row.model_version_id,
        model_version=version,
        model_text=row.model_text,
        narrative=narrative,
        indicators=indicators,
        recipient_orgs=tuple(sorted((OrgView(o, names.get(o, "?")) for o in ref.recipient_orgs), key=lambda o: o.name.lower())),
        recipient_people=tuple(
            PersonView(p.id, p.email, names.get(p.organization_id, "?") if p.organization_id else "") for p in people
        ),
        referrals=tuple(
            ReferralView(
                organization_id=r.organization_id,
                organization_name=names.get(r.organization_id, "?"),
                note=r.note,
                referred_by=r.referred_by,
                referred_at=r.referred_at,
                acknowledged_by=r.acknowledged_by,
                acknowledged_at=r.acknowledged_at,
            )
            for r in referrals
        ),
        may_triage=decide(uow, principal, Permission.INCIDENT_TRIAGE, ref, now).allowed,
        may_refer=decide(uow, principal, Permission.INCIDENT_REFER, Referral(ref, uuid.UUID(int=0)), now).allowed,
        may_acknowledge=decide(uow, principal, Permission.INCIDENT_ACKNOWLEDGE, ref, now).allowed,
        may_relabel=decide(uow, principal, Permission.INCIDENT_RELABEL, Relabel(ref, tighter), now).allowed
        and not (row.tlp == tighter and not principal.is_member_of(row.reporter_org_id)),
    )
