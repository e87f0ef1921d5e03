"""Who sees and acts on a finding (pure rules over ``kernel.tlp``).

A finding's audience is its TLP 2.0 label applied to its engagement's parties
(:func:`finding_audience`); :func:`reads_finding` is the one question lists, counts, the finding
page, evidence downloads and notices all ask. Revoked people, revoked participants and lapsed
designations are in no audience (``EngagementRef.party_refusal``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from frontier_review.engagements.lifecycle.policy import (
    NOT_ACCEPTED,
    EngagementRef,
    is_developer,
    participant_member,
    sees_engagement,
)
from frontier_review.kernel import tlp
from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal


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


def can_file_finding(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    """A current party's member, once its organization accepted the current terms.

    The confidentiality those terms promise covers findings too.
    """
    decision = participant_member(p, ref, now)
    if decision.allowed and not ref.accepted(p.org_id):
        return Denied(NOT_ACCEPTED)
    return decision


# TLP 2.0 (FIRST), least to most restricted; the audience itself is ``kernel.tlp.decide``.
TLP_LEVELS = tuple(label.value for label in tlp.ORDER)


def finding_audience(f: FindingRef, now: datetime, reader_org_kind: OrgKind | None, reader_org: uuid.UUID | None) -> tlp.Audience:
    """A finding's TLP audience: its community, the organizations with a need to know, and the named people.

    The community is the developer, the program office and the current parties that accepted the
    current terms; the organizations with a need to know are the developer, the finder and the
    program office; the named people are the recipients and the filer.

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
    """Whether this person is in the finding's TLP audience right now.

    Lists, detail, counts, notices and evidence downloads all ask this. Revoked people, revoked
    participants and lapsed designations are outside every audience. The program office oversees
    every engagement it may see, so it is never held to the terms (nor cut off by a revocation of
    its own participation) for findings.

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
        sees_container=sees_engagement(user_id, org_id, org_kind, ref, now) and (not bound or ref.accepted(org_id)),
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
    if is_developer(p, f.engagement) or (p.org_kind is OrgKind.PROGRAM_OFFICE and not f.engagement.draft):
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
    if is_developer(p, f.engagement):
        return Allowed("developer organization")
    return Denied("only the developer sets a finding's status")


def can_relabel(p: Principal, r: Relabel, now: datetime) -> Decision:
    """Only the finder's organization relaxes a label; it or the program office may tighten it.

    TLP 2.0: the source decides how far its information goes; the coordinator may restrict it.
    """
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
    Permission.FINDING_FILE: can_file_finding,
    Permission.FINDING_READ: can_read_finding,
    Permission.FINDING_COMMENT: can_comment_finding,
    Permission.FINDING_SET_STATUS: developer_of_finding,
    Permission.FINDING_RELABEL: can_relabel,
    Permission.FINDING_ATTACH_EVIDENCE: finder_member,
    Permission.FINDING_REFER: finder_member,  # referral to the clearinghouse (issue 14 item 8)
}
