"""AI-enabled intrusion reports: reporting, reading, triage, labels, referral and acknowledgement (EO §4).

Any member reports an incident for its organization, under a TLP 2.0 label with named recipients
(organizations for AMBER and AMBER+STRICT, people for RED; naming a person names their
organization too). Who sees it — on its page, in lists and their counts, in notices — is its TLP
audience (``policy.reads_incident`` over ``kernel.tlp``); anyone else is told it does not exist.
Every read of an incident's page is audited, as is every change.

The clearinghouse triages (``received → under_review``, or closes), refers it to law-enforcement
organizations on the platform (agencies flagged ``law_enforcement``) and closes it. A referral
follows the label: it adds the organization to the need-to-know set, and under TLP:RED it must
name the people there who receive it; it never changes the label. The receiving organization
acknowledges (who, when). Only the reporting organization relaxes the label; the clearinghouse
may tighten it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.incidents import notify
from frontier_review.clearinghouse.incidents.browse import IncidentsPage, page_incidents
from frontier_review.clearinghouse.incidents.domain import (
    MAX_DETAILS,
    IncidentStatus,
    Tlp,
    check_report,
    next_status,
    parse_tlp,
    raise_problems,
    recipients_problem,
)
from frontier_review.clearinghouse.incidents.orm import (
    Incident,
    IncidentIndicator,
    IncidentRecipientPerson,
    IncidentReferral,
)
from frontier_review.clearinghouse.incidents.policy import Referral, Relabel
from frontier_review.clearinghouse.incidents.recipients import Ids, clean_ids, clean_orgs, clean_people, store_recipients
from frontier_review.clearinghouse.incidents.tags import IncidentTag
from frontier_review.clearinghouse.incidents.views import (
    IncidentSummary,
    IncidentView,
    get_readable,
    incident_ref,
    incident_view,
)
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import authorize, decide
from frontier_review.registry import service as registry
from frontier_review.security import service as security

__all__ = [
    "IncidentSummary",
    "IncidentView",
    "IncidentsPage",
    "acknowledge",
    "get_incident",
    "page_incidents",
    "refer",
    "relabel",
    "report_incident",
    "triage",
]


def report_incident(
    uow: UnitOfWork,
    principal: Principal,
    *,
    title: str,
    systems: str,
    sectors: Iterable[str],
    started_at: datetime | None,
    detected_at: datetime | None,
    detection: str,
    detection_details: str = "",
    model_version_id: uuid.UUID | str | None = None,
    model_text: str = "",
    narrative: str,
    indicators: Sequence[tuple[str, str]] = (),
    tlp: str,
    recipient_orgs: Ids | None = None,
    recipient_people: Ids | None = None,
) -> IncidentView:
    """Report an AI-enabled intrusion for the principal's organization.

    Args:
        uow: The unit of work.
        principal: The reporter: any member of an organization.
        title: Shown to the audience only, never in notices.
        systems: What was targeted, in words.
        sectors: Affected critical-infrastructure sectors (``identity.domain.Sector`` values).
        started_at: When the intrusion started (aware).
        detected_at: When it was detected (at or after the start; neither in the future).
        detection: How it was detected (``domain.Detection``).
        detection_details: More about the detection.
        model_version_id: A registered model version the reporter may see, if one was involved.
        model_text: The model or agent in words (one of the two is required).
        narrative: What happened; sealed at rest.
        indicators: ``(kind, value)`` pairs, kinds from ``observables.Kind``.
        tlp: A TLP 2.0 label.
        recipient_orgs: Named organizations (AMBER, AMBER+STRICT).
        recipient_people: Named people (RED needs one); their organizations are named too.

    Returns:
        The incident as the reporter sees it.

    Raises:
        ValidationFailed: Naming every bad field (nothing is stored).
        PermissionDenied: Not a member of an organization.
    """
    authorize(uow, principal, Permission.INCIDENT_REPORT, None)
    assert principal.org_id is not None  # the rule admits members of an organization only
    now = uow.clock.now()
    problems: list[FieldProblem] = []
    try:
        checked = check_report(
            title=title,
            systems=systems,
            sectors=sectors,
            started_at=started_at,
            detected_at=detected_at,
            detection=detection,
            detection_details=detection_details,
            model_version_id=model_version_id,
            model_text=model_text,
            narrative=narrative,
            indicators=indicators,
            tlp=tlp,
            now=now,
        )
    except ValidationFailed as exc:
        problems.extend(exc.problems)
        checked = None
    org_ids = clean_orgs(uow, clean_ids(recipient_orgs, "recipient_orgs", problems), problems)
    people = clean_people(uow, clean_ids(recipient_people, "recipient_people", problems), "recipient_people", None, problems)
    if checked is not None and checked.model_version_id is not None:
        try:
            registry.get_visible_version(uow, principal, checked.model_version_id)
        except NotFound:
            problems.append(FieldProblem("model_version_id", "no registered model version you may see has this id"))
    if checked is not None and (
        missing := recipients_problem(checked.tlp, len([p for p in people if p.id != principal.user_id]))
    ):
        problems.append(missing)
    raise_problems(problems)
    assert checked is not None
    row = Incident(
        id=new_id(),
        title=checked.title,
        reporter_org_id=principal.org_id,
        reporter_user_id=principal.user_id,
        reported_by=principal.label,
        systems=checked.systems,
        sectors=[s.value for s in checked.sectors],
        started_at=checked.started_at,
        detected_at=checked.detected_at,
        detection=checked.detection.value,
        detection_details=checked.detection_details,
        model_version_id=checked.model_version_id,
        model_text=checked.model_text,
        tlp=checked.tlp.value,
        status=IncidentStatus.RECEIVED.value,
        reported_at=now,
        updated_at=now,
    )
    row.narrative_sealed = security.seal_field(
        uow, checked.narrative.encode(), table="incidents", row_id=str(row.id), field="narrative_sealed"
    )
    uow.session.add(row)
    uow.session.flush()
    for position, observable in enumerate(checked.indicators):
        uow.session.add(
            IncidentIndicator(
                id=new_id(), incident_id=row.id, position=position, kind=observable.kind.value, value=observable.value
            )
        )
    named_orgs = [*org_ids, *(p.organization_id for p in people if p.organization_id is not None)]
    store_recipients(uow, row, [o for o in named_orgs if o != principal.org_id], people)
    ref = incident_ref(uow, row)
    audit.record(
        uow,
        principal,
        IncidentTag.REPORTED,
        target_type="incident",
        target_id=row.id,
        details={
            "tlp": row.tlp,
            "recipient_orgs": sorted(str(o) for o in ref.recipient_orgs),
            "recipient_people": sorted(str(p) for p in ref.named),
            "indicators": len(checked.indicators),
        },
    )
    said = f"{directory.get_organization(uow, principal.org_id).name} reported an AI-enabled intrusion ({row.tlp})"
    notify.to_clearinghouse(uow, ref, "incident_reported", said, exclude=principal.user_id)
    notify.to_orgs(uow, ref, ref.recipient_orgs, "incident_reported", said, exclude=principal.user_id)
    notify.to_people(uow, ref, ref.named, "incident_reported", said, exclude=principal.user_id)
    return incident_view(uow, principal, row, ref)


def get_incident(uow: UnitOfWork, principal: Principal, incident_id: uuid.UUID) -> IncidentView:
    """The incident with its narrative, indicators, recipients and referrals; every read is audited.

    Raises:
        NotFound: No such incident, or the caller is outside its TLP audience (the same answer).
    """
    row, ref = get_readable(uow, principal, incident_id)
    audit.record(uow, principal, IncidentTag.VIEWED, target_type="incident", target_id=row.id, details={"tlp": row.tlp})
    return incident_view(uow, principal, row, ref)


def triage(uow: UnitOfWork, principal: Principal, incident_id: uuid.UUID, *, status: IncidentStatus | str) -> IncidentView:
    """The clearinghouse starts the review of an incident, or closes it (``referred`` comes with :func:`refer`).

    Raises:
        NotFound: Outside the incident's audience.
        PermissionDenied: Not the clearinghouse, or the incident is closed.
        ValidationFailed: A status other than ``under_review`` or ``closed``.
        InvalidTransition: The workflow does not go there from the current status.
    """
    row, ref = get_readable(uow, principal, incident_id)
    authorize(uow, principal, Permission.INCIDENT_TRIAGE, ref)
    try:
        wanted = IncidentStatus(str(status).strip().lower())
    except ValueError:
        wanted = None
    if wanted not in {IncidentStatus.UNDER_REVIEW, IncidentStatus.CLOSED}:
        raise ValidationFailed("status must be under_review or closed (an incident is referred by referring it)", field="status")
    assert wanted is not None
    previous = row.status
    row.status = next_status(IncidentStatus(row.status), wanted).value
    row.updated_at = uow.clock.now()
    uow.session.flush()
    audit.record(
        uow,
        principal,
        IncidentTag.STATUS_SET,
        target_type="incident",
        target_id=row.id,
        details={"from": previous, "to": row.status},
    )
    after = dataclasses.replace(ref, closed=wanted is IncidentStatus.CLOSED)
    notify.to_orgs(
        uow, after, [row.reporter_org_id], "incident_status", f"An AI-enabled intrusion you reported is {wanted.label.lower()}"
    )
    return incident_view(uow, principal, row, after)


def relabel(
    uow: UnitOfWork,
    principal: Principal,
    incident_id: uuid.UUID,
    *,
    tlp: str,
    recipient_orgs: Ids | None = None,
    recipient_people: Ids | None = None,
) -> IncidentView:
    """Change an incident's label and, with it, its named recipients (audited).

    Only the reporting organization relaxes the label or names other organizations; the
    clearinghouse may tighten it (naming, under RED, people of the organizations that already need
    to know). ``None`` keeps the current recipients. Whoever relabels must keep seeing it.

    Raises:
        NotFound: Outside the incident's audience.
        PermissionDenied: Relaxing without being the reporting organization.
        ValidationFailed: A bad label or recipient, RED without people, or a change that would hide it from you.
    """
    row, ref = get_readable(uow, principal, incident_id)
    problems: list[FieldProblem] = []
    label = parse_tlp(tlp, problems)
    raise_problems(problems)
    assert label is not None
    authorize(uow, principal, Permission.INCIDENT_RELABEL, Relabel(ref, label.value))
    reporter = principal.is_member_of(row.reporter_org_id)
    if recipient_orgs is None:
        org_ids = list(ref.recipient_orgs)
    else:
        org_ids = clean_orgs(uow, clean_ids(recipient_orgs, "recipient_orgs", problems), problems)
        if not reporter and set(org_ids) != set(ref.recipient_orgs):
            problems.append(FieldProblem("recipient_orgs", "only the reporting organization names other organizations"))
    within = None if reporter else {row.reporter_org_id, *ref.recipient_orgs, *ref.referred_to, *_clearinghouses(uow)}
    wanted = list(ref.named) if recipient_people is None else clean_ids(recipient_people, "recipient_people", problems)
    people = clean_people(uow, wanted, "recipient_people", within, problems)
    if missing := recipients_problem(label, len([p for p in people if p.id != row.reporter_user_id])):
        problems.append(missing)
    raise_problems(problems)
    orgs_after = {*org_ids, *(p.organization_id for p in people if p.organization_id is not None)} - {row.reporter_org_id}
    after = dataclasses.replace(ref, tlp=label.value, recipient_orgs=frozenset(orgs_after), named=frozenset(p.id for p in people))
    if not decide(uow, principal, Permission.INCIDENT_READ, after).allowed:
        raise ValidationFailed("name yourself among the recipients to keep seeing this incident", field="recipient_people")
    previous = row.tlp
    row.tlp = label.value
    row.updated_at = uow.clock.now()
    store_recipients(uow, row, orgs_after, people)
    audit.record(
        uow,
        principal,
        IncidentTag.RELABELLED,
        target_type="incident",
        target_id=row.id,
        details={
            "from": previous,
            "to": row.tlp,
            "recipient_orgs": sorted(str(o) for o in orgs_after),
            "recipient_people": sorted(str(p.id) for p in people),
        },
    )
    said = f"You were named on an AI-enabled intrusion report ({row.tlp})"
    notify.to_people(
        uow, after, [p.id for p in people if p.id not in ref.named], "incident_named", said, exclude=principal.user_id
    )
    return incident_view(uow, principal, row, after)


def _clearinghouses(uow: UnitOfWork) -> list[uuid.UUID]:
    return directory.list_organization_ids(uow, OrgKind.CLEARINGHOUSE)


def refer(
    uow: UnitOfWork,
    principal: Principal,
    incident_id: uuid.UUID,
    *,
    organization_id: uuid.UUID | str,
    people: Ids | None = None,
    note: str = "",
) -> IncidentView:
    """The clearinghouse refers an incident to a law-enforcement organization on the platform.

    The organization joins the incident's need-to-know set; under TLP:RED ``people`` (at least one
    active member of that organization) are named, and only they there receive it. The label is
    never changed by a referral. The organization's people in the audience are notified.

    Raises:
        NotFound: Outside the incident's audience.
        PermissionDenied: Not the clearinghouse, the incident is closed, or the organization is not law enforcement.
        ValidationFailed: An unknown organization, RED without people there, people from elsewhere, a long note.
        Conflict: Already referred to that organization.
        InvalidTransition: The incident was not triaged yet.
    """
    row, ref = get_readable(uow, principal, incident_id)
    problems: list[FieldProblem] = []
    org_list = clean_ids([organization_id], "organization_id", problems)
    raise_problems(problems)
    card = directory.find_organization(uow, org_list[0])
    if card is None:
        raise ValidationFailed("choose a law-enforcement organization on the platform", field="organization_id")
    enforces = card.kind is OrgKind.AGENCY and card.law_enforcement
    authorize(uow, principal, Permission.INCIDENT_REFER, Referral(ref, card.id, law_enforcement=enforces))
    if card.id in ref.referred_to:
        raise Conflict(f"this incident is already referred to {card.name}", field="organization_id")
    named = clean_people(uow, clean_ids(people, "people", problems), "people", {card.id}, problems)
    if Tlp(row.tlp) is Tlp.RED and not named:
        problems.append(
            FieldProblem("people", f"a TLP:RED incident is referred to named people: name who at {card.name} receives it")
        )
    text = note.strip()
    if len(text) > MAX_DETAILS:
        problems.append(FieldProblem("note", f"note must have at most {MAX_DETAILS} characters"))
    raise_problems(problems)
    row.status = next_status(IncidentStatus(row.status), IncidentStatus.REFERRED).value
    now = uow.clock.now()
    row.updated_at = now
    uow.session.add(
        IncidentReferral(
            id=new_id(), incident_id=row.id, organization_id=card.id, note=text, referred_by=principal.label, referred_at=now
        )
    )
    for person in named:
        if person.id not in ref.named:
            uow.session.add(IncidentRecipientPerson(id=new_id(), incident_id=row.id, user_id=person.id))
    uow.session.flush()
    after = incident_ref(uow, row)
    audit.record(
        uow,
        principal,
        IncidentTag.REFERRED,
        target_type="incident",
        target_id=row.id,
        details={"organization": str(card.id), "people": sorted(str(p.id) for p in named), "tlp": row.tlp},
    )
    said = f"An AI-enabled intrusion ({row.tlp}) was referred to {card.name}"
    notify.to_orgs(
        uow, after, [card.id], "incident_referred", f"The clearinghouse referred an AI-enabled intrusion ({row.tlp}) to you"
    )
    notify.to_orgs(uow, after, [row.reporter_org_id], "incident_referred", said)
    return incident_view(uow, principal, row, after)


def acknowledge(uow: UnitOfWork, principal: Principal, incident_id: uuid.UUID) -> IncidentView:
    """The receiving law-enforcement organization acknowledges a referral (who and when are kept).

    Raises:
        NotFound: Outside the incident's audience.
        PermissionDenied: Not a member of an organization it was referred to, or already acknowledged.
    """
    row, ref = get_readable(uow, principal, incident_id)
    authorize(uow, principal, Permission.INCIDENT_ACKNOWLEDGE, ref)
    referral = uow.session.scalar(
        select(IncidentReferral).where(
            IncidentReferral.incident_id == row.id, IncidentReferral.organization_id == principal.org_id
        )
    )
    assert referral is not None  # the rule admits members of an organization it was referred to
    now = uow.clock.now()
    referral.acknowledged_by = principal.label
    referral.acknowledged_by_user_id = principal.user_id
    referral.acknowledged_at = now
    row.updated_at = now
    uow.session.flush()
    after = incident_ref(uow, row)
    audit.record(
        uow,
        principal,
        IncidentTag.ACKNOWLEDGED,
        target_type="incident",
        target_id=row.id,
        details={"organization": str(principal.org_id)},
    )
    assert principal.org_id is not None
    said = f"{directory.get_organization(uow, principal.org_id).name} acknowledged an AI-enabled intrusion referral"
    notify.to_clearinghouse(uow, after, "incident_acknowledged", said)
    notify.to_orgs(uow, after, [row.reporter_org_id], "incident_acknowledged", said)
    return incident_view(uow, principal, row, after)
