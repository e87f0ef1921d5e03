"""Who may open, see, join and act on engagements (pure rules).

The developer owns its engagement and its launch (no veto, G2); the program office sees every
engagement but does not act for the developer; a participant sees only engagements it takes
part in, and a partner only where the terms include partners (G6). Drafts are the developer's own.

Whether someone is still a party is decided in one place (``EngagementRef.party_refusal``: a
revoked organization, a revoked person, a lapsed designation), and every rule that admits
participants asks it. Findings follow their TLP 2.0 audience (``reads_finding``, over ``kernel.tlp``).
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
from frontier_review.kernel.principal import AuthMethod, OrgKind, Principal, Role


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


@dataclass(frozen=True)
class FindingRef:
    """A finding as an authorization resource: its engagement, finder, TLP label and named recipients."""

    engagement: EngagementRef
    id: uuid.UUID
    finder_org_id: uuid.UUID
    tlp: str
    recipients: frozenset[uuid.UUID] = frozenset()  # TLP:RED: the people named, by user id
    filer_user_id: uuid.UUID | None = None  # the person who filed it is always named

    def audit_target(self) -> tuple[str, str]:
        return "finding", str(self.id)


@dataclass(frozen=True)
class Relabel:
    """A requested change of a finding's TLP label (and its named recipients)."""

    finding: FindingRef
    to: str

    def audit_target(self) -> tuple[str, str]:
        return self.finding.audit_target()


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


def _sees(
    user_id: uuid.UUID | None, org_id: uuid.UUID | None, org_kind: OrgKind | None, ref: EngagementRef, now: datetime
) -> bool:
    """The developer, the program office (not drafts) and current parties see the engagement."""
    if org_id is not None and org_id == ref.developer_org_id and org_kind is OrgKind.DEVELOPER:
        return True
    if org_kind is OrgKind.PROGRAM_OFFICE and not ref.draft:
        return True
    return ref.party_refusal(user_id, org_id, now) is None


def can_read(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    if _developer(p, ref):
        return Allowed("developer organization")
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    if p.org_kind is OrgKind.PROGRAM_OFFICE and not ref.draft:
        return Allowed("program office")
    refusal = ref.party_refusal(p.user_id, p.org_id, now)
    if refusal is None:
        return Allowed("participant")
    return Denied(refusal)


def can_issue_gateway_token(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    if p.method is AuthMethod.TOKEN:
        return Denied("gateway tokens are created by a signed-in person, not with an API token")
    return participant_member(p, ref, now)


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


def can_file_finding(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    """A current party's member, once its organization accepted the current terms (the
    confidentiality they promise covers findings too)."""
    decision = participant_member(p, ref, now)
    if decision.allowed and not ref.accepted(p.org_id):
        return Denied(NOT_ACCEPTED)
    return decision


def can_read_usage(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    if _developer(p, ref) or (p.org_kind is OrgKind.PROGRAM_OFFICE and not ref.draft) or p.is_system:
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


# TLP 2.0 (FIRST), least to most restricted; the audience itself is ``kernel.tlp.decide``.
TLP_LEVELS = tuple(label.value for label in tlp.ORDER)


def finding_audience(f: FindingRef, now: datetime, reader_org_kind: OrgKind | None, reader_org: uuid.UUID | None) -> tlp.Audience:
    """A finding's TLP audience: the engagement's community (the developer, the program office,
    current parties that accepted the current terms), the organizations with a need to know (the
    developer, the finder, the program office) and the named people (the recipients and the filer).

    Program offices are recognised by kind, so the reader's own organization stands for "the
    program office" when it is one. Findings have no clients: AMBER and AMBER+STRICT reach the
    same organizations here (the clearinghouse's reports do have them).
    """
    ref = f.engagement
    overseer = frozenset({reader_org}) if reader_org is not None and reader_org_kind is OrgKind.PROGRAM_OFFICE else frozenset()
    parties = frozenset(
        org for org, part in ref.participants.items() if part.accepted_current_terms and ref.party_refusal(None, org, now) is None
    )
    named = f.recipients | ({f.filer_user_id} if f.filer_user_id is not None else frozenset())
    return tlp.Audience(
        community=parties | {ref.developer_org_id} | overseer,
        need_to_know=frozenset({ref.developer_org_id, f.finder_org_id}) | overseer,
        named=named,
    )


def reads_finding(
    user_id: uuid.UUID | None, org_id: uuid.UUID | None, org_kind: OrgKind | None, f: FindingRef, now: datetime
) -> Decision:
    """Whether this person is in the finding's TLP audience right now (lists, detail, counts,
    notices, evidence all ask this). Revoked people, revoked participants and lapsed designations
    are outside every audience. The program office oversees every engagement it may see, so it is
    never held to the terms (nor cut off by a revocation of its own participation) for findings.

    Args:
        user_id: the reader (None for none).
        org_id: the reader's organization.
        org_kind: its kind (the program office is recognised by kind).
        f: the finding, with its engagement's parties, label and named recipients.
        now: the instant of the decision (designations lapse).

    Returns:
        ``Allowed``, or ``Denied`` with a reason that names the label or the revocation, never the finding.
    """
    ref = f.engagement
    revoked = org_kind is not OrgKind.PROGRAM_OFFICE and ref.revoked(user_id, org_id, now)
    # The findings of an engagement are inside its confidentiality terms: a participant sees
    # another's findings (even TLP:CLEAR ones) only once its organization accepted them.
    bound = org_id not in {ref.developer_org_id, f.finder_org_id} and org_kind is not OrgKind.PROGRAM_OFFICE
    reader = tlp.Reader(
        user_id=user_id,
        org_id=org_id,
        standing=tlp.Standing.REVOKED if revoked else tlp.Standing.ACTIVE,
        sees_container=_sees(user_id, org_id, org_kind, ref, now) and (not bound or ref.accepted(org_id)),
    )
    decision = tlp.decide(tlp.parse(f.tlp), reader, finding_audience(f, now, org_kind, org_id))
    if not decision.allowed and revoked:
        return Denied(ref.party_refusal(user_id, org_id, now) or decision.reason)
    if (
        not decision.allowed
        and ref.party_refusal(user_id, org_id, now) is None
        and not ref.accepted(org_id)
        and org_id != f.finder_org_id
    ):
        return Denied(NOT_ACCEPTED)
    return decision


def can_read_finding(p: Principal, f: FindingRef, now: datetime) -> Decision:
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    return reads_finding(p.user_id, p.org_id, p.org_kind, f, now)


def _in_thread(p: Principal, f: FindingRef, now: datetime) -> bool:
    """The developer, the finder's organization (while a party) and the program office."""
    if _developer(p, f.engagement) or (p.org_kind is OrgKind.PROGRAM_OFFICE and not f.engagement.draft):
        return True
    return p.is_member_of(f.finder_org_id) and f.engagement.participates(p, now)


def can_comment_finding(p: Principal, f: FindingRef, now: datetime) -> Decision:
    read = can_read_finding(p, f, now)
    if not read.allowed:
        return read
    if not p.is_system and _in_thread(p, f, now):
        return Allowed("developer, finder's organization or program office")
    return Denied("only the developer, the finder's organization and the program office take part in a finding's thread")


def finder_member(p: Principal, f: FindingRef, now: datetime) -> Decision:
    """Evidence is added by the finder's organization while it still takes part."""
    read = can_read_finding(p, f, now)
    if not read.allowed:
        return read
    if p.user_id is not None and p.is_member_of(f.finder_org_id) and f.engagement.participates(p, now):
        return Allowed("member of the finder's organization")
    return Denied("only the finder's organization adds evidence to a finding")


def developer_of_finding(p: Principal, f: FindingRef, now: datetime) -> Decision:
    read = can_read_finding(p, f, now)
    if not read.allowed:
        return read
    if _developer(p, f.engagement):
        return Allowed("developer organization")
    return Denied("only the developer sets a finding's status")


def can_relabel(p: Principal, r: Relabel, now: datetime) -> Decision:
    """Only the finder's organization relaxes a label; it or the program office may tighten it
    (TLP 2.0: the source decides how far its information goes; the coordinator may restrict it)."""
    f = r.finding
    read = can_read_finding(p, f, now)
    if not read.allowed:
        return read
    if p.is_system:
        return Denied("labels are changed by people, not by the platform")
    finder = p.user_id is not None and p.is_member_of(f.finder_org_id) and f.engagement.participates(p, now)
    if finder:
        return Allowed("finder's organization")
    tightening = tlp.rank(tlp.parse(r.to)) > tlp.rank(tlp.parse(f.tlp))
    if tightening and p.org_kind is OrgKind.PROGRAM_OFFICE:
        return Allowed("program office tightens the label")
    if p.org_kind is OrgKind.PROGRAM_OFFICE:
        return Denied("the program office only tightens a label; only the finder's organization relaxes it or renames recipients")
    return Denied("only the finder's organization changes a finding's label (the program office may tighten it)")


RULES: Mapping[Permission, Rule] = {
    Permission.ENGAGEMENT_OPEN: can_open,
    Permission.ENGAGEMENT_MANAGE: owner_manages,
    Permission.ENGAGEMENT_READ: can_read,
    Permission.ENGAGEMENT_ACCEPT_TERMS: participant_admin,
    Permission.ENGAGEMENT_USAGE_READ: can_read_usage,
    Permission.GATEWAY_TOKEN_ISSUE: can_issue_gateway_token,
    Permission.ARTIFACT_UPLOAD: owner_manages,
    Permission.ARTIFACT_DOWNLOAD: participant_member,
    Permission.FINDING_FILE: can_file_finding,
    Permission.FINDING_READ: can_read_finding,
    Permission.FINDING_COMMENT: can_comment_finding,
    Permission.FINDING_SET_STATUS: developer_of_finding,
    Permission.FINDING_RELABEL: can_relabel,
    Permission.FINDING_ATTACH_EVIDENCE: finder_member,
    Permission.PARTNER_DESIGNATE: can_designate,
    Permission.PARTNER_LIST: can_see_partners,
}
