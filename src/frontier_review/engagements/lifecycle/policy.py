"""Who may open, see, join and act on engagements (pure rules).

The developer owns its engagement and its launch (no veto, G2); the program office sees every
engagement but does not act for the developer; a participant sees only engagements it takes
part in, and a partner only where the terms include partners (G6). Drafts are the developer's own.

Whether someone is still a party is decided in one place (``EngagementRef.party_refusal``: a
revoked organization, a revoked person, a lapsed designation), and every rule that admits
participants asks it. Findings follow their TLP 2.0 audience (``findings.policy.reads_finding``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal, Role


@dataclass(frozen=True)
class Party:
    """A participant organization as authorization sees it (loaded by ``service.ref``).

    Attributes:
        cohort: ``government`` or ``partner``.
        revoked: the developer revoked the whole organization.
        accepted_current_terms: its admin accepted the engagement's current terms version.
        designated_until: partners only: when the organization's designation as a trusted partner
            ends (None when it is not, or no longer, designated).
    """

    cohort: str
    revoked: bool = False
    accepted_current_terms: bool = False
    designated_until: datetime | None = None


@dataclass(frozen=True)
class EngagementRef:
    """An engagement as an authorization resource.

    ``participants`` and ``revoked_users`` carry everything that decides whether someone is still
    a party (:meth:`party_refusal`), so every rule that admits participants — engagement reads,
    findings, evidence, artifacts, gateway tokens — asks the same question and none can forget a
    kind of revocation.
    """

    id: uuid.UUID
    developer_org_id: uuid.UUID
    draft: bool
    partners_included: bool
    participants: Mapping[uuid.UUID, Party] = field(default_factory=dict)
    revoked_users: frozenset[uuid.UUID] = frozenset()

    def audit_target(self) -> tuple[str, str]:
        return "engagement", str(self.id)

    def party_refusal(  # noqa: PLR0911 - one refusal per way of no longer being a party
        self, user_id: uuid.UUID | None, org_id: uuid.UUID | None, now: datetime
    ) -> str | None:
        """Why this person is not, or no longer, a participating party at ``now`` (None when they are).

        One place decides it: invited, offered, organization not revoked, person not revoked, and
        for a partner, terms that include partners and a designation still running. Accepting the
        terms is asked separately (:meth:`accepted`): a participant reads the offer before it accepts.
        """
        if org_id is None or org_id not in self.participants:
            return "you do not take part in this engagement"
        if self.draft:
            return "the engagement has not been offered yet"
        part = self.participants[org_id]
        if part.revoked:
            return "the developer revoked your organization's access to this engagement"
        if user_id is not None and user_id in self.revoked_users:
            return "the developer revoked your access to this engagement"
        if part.cohort == "partner":
            if not self.partners_included:
                return "the terms of this engagement do not include trusted partners"
            if part.designated_until is None or now >= part.designated_until:
                return "your organization is no longer a designated trusted partner"
        return None

    def participates(self, p: Principal, now: datetime) -> bool:
        """A current party: see :meth:`party_refusal`."""
        return self.party_refusal(p.user_id, p.org_id, now) is None

    def revoked(self, user_id: uuid.UUID | None, org_id: uuid.UUID | None, now: datetime) -> bool:
        """Invited once but cut off since: revoked organization or person, lapsed designation."""
        if org_id is None or org_id not in self.participants or self.draft:
            return False
        return self.party_refusal(user_id, org_id, now) is not None

    def accepted(self, org_id: uuid.UUID | None) -> bool:
        """The organization accepted the current terms."""
        return org_id is not None and org_id in self.participants and self.participants[org_id].accepted_current_terms


def is_developer(p: Principal, ref: EngagementRef) -> bool:
    """A member of the developer organization that owns the engagement."""
    return p.org_kind is OrgKind.DEVELOPER and p.is_member_of(ref.developer_org_id)


def can_open(p: Principal, developer_org_id: uuid.UUID, _now: datetime) -> Decision:
    if p.org_kind is OrgKind.DEVELOPER and p.is_member_of(developer_org_id):
        return Allowed("member of the developer organization")
    return Denied("only the developer that owns the model version opens an engagement for it")


def owner_manages(p: Principal, ref: EngagementRef, _now: datetime) -> Decision:
    # Operators run the platform; they never speak for a developer (its terms, its launch).
    if is_developer(p, ref):
        return Allowed("member of the developer organization")
    return Denied("only the developer that owns this engagement changes it")


def sees_engagement(
    user_id: uuid.UUID | None, org_id: uuid.UUID | None, org_kind: OrgKind | None, ref: EngagementRef, now: datetime
) -> bool:
    """The developer, the program office (not drafts) and current parties see the engagement."""
    if org_id is not None and org_id == ref.developer_org_id and org_kind is OrgKind.DEVELOPER:
        return True
    if org_kind is OrgKind.PROGRAM_OFFICE and not ref.draft:
        return True
    return ref.party_refusal(user_id, org_id, now) is None


def can_read(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    if is_developer(p, ref):
        return Allowed("developer organization")
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    if p.org_kind is OrgKind.PROGRAM_OFFICE and not ref.draft:
        return Allowed("program office")
    refusal = ref.party_refusal(p.user_id, p.org_id, now)
    if refusal is None:
        return Allowed("participant")
    return Denied(refusal)


def participant_admin(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    if ref.participates(p, now) and p.role is Role.ADMIN:
        return Allowed("admin of a participant organization")
    return Denied("only an admin of a participating organization accepts the terms for it")


def participant_member(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    if p.user_id is None:
        return Denied("only people in a participating organization do this")
    refusal = ref.party_refusal(p.user_id, p.org_id, now)
    if refusal is None:
        return Allowed("member of a participant organization")
    return Denied(refusal if ref.revoked(p.user_id, p.org_id, now) else "only people in a participating organization do this")


NOT_ACCEPTED = "your organization has not accepted the engagement's current terms"


def can_read_usage(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    if is_developer(p, ref) or (p.org_kind is OrgKind.PROGRAM_OFFICE and not ref.draft) or p.is_system:
        return Allowed("developer or program office")
    if ref.participates(p, now):
        return Allowed("participant (its own usage)")
    return Denied("you do not take part in this engagement")


def can_designate(p: Principal, _resource: object, _now: datetime) -> Decision:
    if p.is_system or p.is_program_office_admin:
        return Allowed("program-office admin")
    return Denied("only program-office admins designate trusted partners")


def can_see_partners(p: Principal, _resource: object, _now: datetime) -> Decision:
    if p.is_superuser or p.org_kind in {OrgKind.PROGRAM_OFFICE, OrgKind.DEVELOPER}:
        return Allowed("program office or developer")
    return Denied("only the program office and developers list trusted partners")


RULES: Mapping[Permission, Rule] = {
    Permission.ENGAGEMENT_OPEN: can_open,
    Permission.ENGAGEMENT_MANAGE: owner_manages,
    Permission.ENGAGEMENT_READ: can_read,
    Permission.ENGAGEMENT_ACCEPT_TERMS: participant_admin,
    Permission.ENGAGEMENT_USAGE_READ: can_read_usage,
    Permission.PARTNER_DESIGNATE: can_designate,
    Permission.PARTNER_LIST: can_see_partners,
}
