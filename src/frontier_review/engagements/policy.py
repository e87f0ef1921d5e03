"""Who may open, see, join and act on engagements (pure rules).

The developer owns its engagement and its launch (no veto, G2); the program office sees every
engagement but does not act for the developer; a participant sees only engagements it takes
part in, and a partner only where the terms include partners (G6). Drafts are the developer's own.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, OrgKind, Principal, Role


@dataclass(frozen=True)
class EngagementRef:
    """An engagement as an authorization resource."""

    id: uuid.UUID
    developer_org_id: uuid.UUID
    draft: bool
    partners_included: bool
    # participant organization → (cohort, revoked)
    participants: Mapping[uuid.UUID, tuple[str, bool]] = field(default_factory=dict)

    def audit_target(self) -> tuple[str, str]:
        return "engagement", str(self.id)

    def participates(self, org_id: uuid.UUID | None) -> bool:
        """A current, visible participant: invited, not revoked, and a partner only where partners are included."""
        if org_id is None or org_id not in self.participants or self.draft:
            return False
        cohort, revoked = self.participants[org_id]
        return not revoked and (cohort != "partner" or self.partners_included)


@dataclass(frozen=True)
class FindingRef:
    """A finding as an authorization resource: its engagement, finder and TLP label."""

    engagement: EngagementRef
    id: uuid.UUID
    finder_org_id: uuid.UUID
    tlp: str

    def audit_target(self) -> tuple[str, str]:
        return "finding", str(self.id)


def _developer(p: Principal, ref: EngagementRef) -> bool:
    return p.org_kind is OrgKind.DEVELOPER and p.is_member_of(ref.developer_org_id)


def can_open(p: Principal, developer_org_id: uuid.UUID, _now: datetime) -> Decision:
    if p.org_kind is OrgKind.DEVELOPER and p.is_member_of(developer_org_id):
        return Allowed("member of the developer organization")
    return Denied("only the developer that owns the model version opens an engagement for it")


def owner_manages(p: Principal, ref: EngagementRef, _now: datetime) -> Decision:
    # Operators run the platform; they never speak for a developer (its terms, its launch).
    if _developer(p, ref):
        return Allowed("member of the developer organization")
    return Denied("only the developer that owns this engagement changes it")


def can_read(p: Principal, ref: EngagementRef, _now: datetime) -> Decision:
    if _developer(p, ref):
        return Allowed("developer organization")
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    if p.org_kind is OrgKind.PROGRAM_OFFICE and not ref.draft:
        return Allowed("program office")
    if ref.participates(p.org_id):
        return Allowed("participant")
    return Denied("you do not take part in this engagement")


def can_issue_gateway_token(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    if p.method is AuthMethod.TOKEN:
        return Denied("gateway tokens are created by a signed-in person, not with an API token")
    return participant_member(p, ref, now)


def participant_admin(p: Principal, ref: EngagementRef, _now: datetime) -> Decision:
    if ref.participates(p.org_id) and p.role is Role.ADMIN:
        return Allowed("admin of a participant organization")
    return Denied("only an admin of a participating organization accepts the terms for it")


def participant_member(p: Principal, ref: EngagementRef, _now: datetime) -> Decision:
    if ref.participates(p.org_id) and p.user_id is not None:
        return Allowed("member of a participant organization")
    return Denied("only people in a participating organization do this")


def can_read_usage(p: Principal, ref: EngagementRef, _now: datetime) -> Decision:
    if _developer(p, ref) or (p.org_kind is OrgKind.PROGRAM_OFFICE and not ref.draft) or p.is_system:
        return Allowed("developer or program office")
    if ref.participates(p.org_id):
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


# TLP 2.0 (FIRST): who besides the developer, the finder and the program office may see a finding.
TLP_LEVELS = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")


def can_read_finding(p: Principal, f: FindingRef, _now: datetime) -> Decision:
    ref = f.engagement
    if _developer(p, ref):
        return Allowed("developer organization")
    if p.is_system or (p.org_kind is OrgKind.PROGRAM_OFFICE and not ref.draft):
        return Allowed("program office")
    if p.is_member_of(f.finder_org_id) and ref.participates(p.org_id):
        return Allowed("finder's organization")
    if ref.participates(p.org_id) and f.tlp in {"TLP:CLEAR", "TLP:GREEN"}:
        return Allowed(f"another participant; {f.tlp} allows sharing within the community")
    return Denied(f"{f.tlp}: this finding is shared only with the developer, the finder and the program office")


def can_comment_finding(p: Principal, f: FindingRef, now: datetime) -> Decision:
    if _developer(p, f.engagement):
        return Allowed("developer organization")
    if p.is_member_of(f.finder_org_id) and f.engagement.participates(p.org_id):
        return Allowed("finder's organization")
    if p.org_kind is OrgKind.PROGRAM_OFFICE and not f.engagement.draft:
        return Allowed("program office")
    return Denied("only the developer, the finder's organization and the program office take part in a finding's thread")


def finder_member(p: Principal, f: FindingRef, _now: datetime) -> Decision:
    """Evidence is added by the finder's organization while it still takes part."""
    if p.user_id is not None and p.is_member_of(f.finder_org_id) and f.engagement.participates(p.org_id):
        return Allowed("member of the finder's organization")
    return Denied("only the finder's organization adds evidence to a finding")


def developer_of_finding(p: Principal, f: FindingRef, _now: datetime) -> Decision:
    if _developer(p, f.engagement):
        return Allowed("developer organization")
    return Denied("only the developer sets a finding's status")


RULES: Mapping[Permission, Rule] = {
    Permission.ENGAGEMENT_OPEN: can_open,
    Permission.ENGAGEMENT_MANAGE: owner_manages,
    Permission.ENGAGEMENT_READ: can_read,
    Permission.ENGAGEMENT_ACCEPT_TERMS: participant_admin,
    Permission.ENGAGEMENT_USAGE_READ: can_read_usage,
    Permission.GATEWAY_TOKEN_ISSUE: can_issue_gateway_token,
    Permission.ARTIFACT_UPLOAD: owner_manages,
    Permission.ARTIFACT_DOWNLOAD: participant_member,
    Permission.FINDING_FILE: participant_member,
    Permission.FINDING_READ: can_read_finding,
    Permission.FINDING_COMMENT: can_comment_finding,
    Permission.FINDING_SET_STATUS: developer_of_finding,
    Permission.FINDING_ATTACH_EVIDENCE: finder_member,
    Permission.PARTNER_DESIGNATE: can_designate,
    Permission.PARTNER_LIST: can_see_partners,
}
