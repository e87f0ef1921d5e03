"""Who sees and acts on an AI-enabled intrusion report (pure rules over ``kernel.tlp``).

An incident's audience is its TLP 2.0 label applied to (:func:`incident_audience`):

* the community (GREEN): every member organization of the platform;
* the organizations with a need to know (AMBER, AMBER+STRICT): the reporting organization, the
  clearinghouse, the named recipient organizations and the law-enforcement organizations it was
  referred to. Incidents have no clients, so AMBER and AMBER+STRICT reach the same organizations
  (AMBER+STRICT tells them not to pass it on);
* the named people (RED): the people named on it, among them those named at a referral, and the
  reporter, who is always named.

CLEAR reaches every signed-in member (incidents have no public feed). Deactivated people are in
no audience. :func:`reads_incident` is the one question lists, counts, the incident page and
notices all ask; the list's SQL filter (``browse.audience_clause``) restates it and a test holds
the two equal over every label and reader shape.

Who acts: any active member reports; the clearinghouse triages, refers and may tighten the label;
only the reporting organization relaxes it; a receiving law-enforcement organization acknowledges.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from frontier_review.kernel import tlp
from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal

__all__ = ["RULES", "IncidentRef", "Referral", "Relabel", "incident_audience", "reads_incident"]


@dataclass(frozen=True)
class IncidentRef:
    """An incident as an authorization resource.

    Attributes:
        id: the incident.
        reporter_org_id: the reporting organization.
        reporter_user_id: the person who reported it (always named).
        tlp: its label's value (``TLP:AMBER``).
        recipient_orgs: the named recipient organizations.
        named: the named people, by user id.
        referred_to: the law-enforcement organizations it was referred to.
        acknowledged_by: those of them that acknowledged it.
        closed: whether the workflow ended.
    """

    id: uuid.UUID
    reporter_org_id: uuid.UUID
    reporter_user_id: uuid.UUID | None
    tlp: str
    recipient_orgs: frozenset[uuid.UUID] = frozenset()
    named: frozenset[uuid.UUID] = frozenset()
    referred_to: frozenset[uuid.UUID] = frozenset()
    acknowledged_by: frozenset[uuid.UUID] = frozenset()
    closed: bool = False

    def audit_target(self) -> tuple[str, str]:
        return "incident", str(self.id)


@dataclass(frozen=True)
class Relabel:
    """A requested change of an incident's label."""

    incident: IncidentRef
    to: str

    def audit_target(self) -> tuple[str, str]:
        return self.incident.audit_target()


@dataclass(frozen=True)
class Referral:
    """A referral of an incident to an organization (law enforcement, as the service checked)."""

    incident: IncidentRef
    to_org_id: uuid.UUID
    law_enforcement: bool = field(default=True)

    def audit_target(self) -> tuple[str, str]:
        return self.incident.audit_target()


def incident_audience(ref: IncidentRef, reader_org_kind: OrgKind | None, reader_org: uuid.UUID | None) -> tlp.Audience:
    """The incident's community, need-to-know organizations and named people, for this reader.

    Every organization is a member of the clearinghouse's community, so the reader's own
    organization stands for "the community"; the clearinghouse is recognised by kind, like the
    program office is for findings.
    """
    own = frozenset({reader_org}) if reader_org is not None else frozenset()
    clearinghouse = own if reader_org_kind is OrgKind.CLEARINGHOUSE else frozenset()
    named = ref.named | ({ref.reporter_user_id} if ref.reporter_user_id is not None else frozenset())
    return tlp.Audience(
        community=own,
        need_to_know=frozenset({ref.reporter_org_id}) | ref.recipient_orgs | ref.referred_to | clearinghouse,
        named=named,
    )


def reads_incident(
    user_id: uuid.UUID | None, org_id: uuid.UUID | None, org_kind: OrgKind | None, ref: IncidentRef, *, active: bool = True
) -> Decision:
    """Whether this person is in the incident's TLP audience.

    Args:
        user_id: the reader.
        org_id: the reader's organization (None: outside every audience).
        org_kind: its kind (the clearinghouse is recognised by kind).
        ref: the incident.
        active: False for a deactivated person, who is in no audience.

    Returns:
        ``Allowed``, or ``Denied`` naming the label, never the incident.
    """
    reader = tlp.Reader(
        user_id=user_id,
        org_id=org_id,
        standing=tlp.Standing.ACTIVE if active else tlp.Standing.REVOKED,
        sees_container=org_id is not None,
    )
    return tlp.decide(tlp.parse(ref.tlp), reader, incident_audience(ref, org_kind, org_id))


def can_read(p: Principal, ref: IncidentRef, now: datetime) -> Decision:
    """The incident's TLP audience; the platform itself (the CLI) reads every incident."""
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    return reads_incident(p.user_id, p.org_id, p.org_kind, ref)


def can_report(p: Principal, _resource: object, now: datetime) -> Decision:
    """Any member of an organization reports for it."""
    if p.is_system or p.user_id is None or p.org_id is None:
        return Denied("incidents are reported by people, for their organization")
    return Allowed("a member of an organization")


def _clearinghouse(p: Principal, ref: IncidentRef, now: datetime, what: str) -> Decision:
    read = can_read(p, ref, now)
    if not read.allowed:
        return read
    if p.is_system or p.org_kind is not OrgKind.CLEARINGHOUSE:
        return Denied(f"only the clearinghouse {what}")
    if ref.closed:
        return Denied("the incident is closed")
    return Allowed("the clearinghouse")


def can_triage(p: Principal, ref: IncidentRef, now: datetime) -> Decision:
    return _clearinghouse(p, ref, now, "triages incidents")


def can_refer(p: Principal, r: Referral, now: datetime) -> Decision:
    decision = _clearinghouse(p, r.incident, now, "refers incidents")
    if decision.allowed and not r.law_enforcement:
        return Denied("incidents are referred only to law-enforcement organizations")
    return decision


def can_acknowledge(p: Principal, ref: IncidentRef, now: datetime) -> Decision:
    """A member of an organization it was referred to, in its audience, once."""
    read = can_read(p, ref, now)
    if not read.allowed:
        return read
    if p.is_system or p.org_id is None or p.org_id not in ref.referred_to:
        return Denied("only an organization the incident was referred to acknowledges it")
    if p.org_id in ref.acknowledged_by:
        return Denied("your organization already acknowledged this referral")
    return Allowed("a member of the organization it was referred to")


def can_relabel(p: Principal, r: Relabel, now: datetime) -> Decision:
    """Only the reporting organization relaxes a label; it or the clearinghouse may tighten it.

    TLP 2.0: the source decides how far its information goes; the coordinator may restrict it.
    """
    ref = r.incident
    read = can_read(p, ref, now)
    if not read.allowed:
        return read
    if p.is_system:
        return Denied("labels are changed by people, not by the platform")
    if p.is_member_of(ref.reporter_org_id):
        return Allowed("the reporting organization")
    if p.org_kind is OrgKind.CLEARINGHOUSE:
        if tlp.rank(tlp.parse(r.to)) > tlp.rank(tlp.parse(ref.tlp)):
            return Allowed("the clearinghouse tightens the label")
        return Denied("the clearinghouse only tightens a label; only the reporting organization relaxes it")
    return Denied("only the reporting organization changes an incident's label (the clearinghouse may tighten it)")


RULES: Mapping[Permission, Rule] = {
    Permission.INCIDENT_REPORT: can_report,
    Permission.INCIDENT_READ: can_read,
    Permission.INCIDENT_TRIAGE: can_triage,
    Permission.INCIDENT_RELABEL: can_relabel,
    Permission.INCIDENT_REFER: can_refer,
    Permission.INCIDENT_ACKNOWLEDGE: can_acknowledge,
}
