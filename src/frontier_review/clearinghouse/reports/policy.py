"""Who sees and acts on a vulnerability report (pure rules over ``kernel.tlp``).

:func:`reads_report` is THE audience question: lists and their counts, the report page, the
public feed, the home page, notices and the subscriptions slice's deliveries all ask it.

* Before validation a report reaches only its source organization, the clearinghouse and the
  validator organization named for it (``Reader.sees_container`` is false for everyone else), and
  within those its label still applies (a TLP:RED report reaches only its named people).
* Once validated, its label decides: CLEAR — anyone, the unauthenticated public included; GREEN —
  every member organization (every organization on the platform); AMBER — the source, the named
  recipient organizations, the clearinghouse (and the validator); AMBER+STRICT — the same (the
  clearinghouse keeps no client list, so both reach the same organizations; AMBER+STRICT also
  forbids recipients to forward); RED — the named people only. The submitter is always named, like
  a finding's filer, so nobody loses sight of what they reported.
* A named person's own organization counts as having a need to know (``kernel.tlp`` only admits
  named people in such organizations): under RED, naming someone is what brings them in.

Revoked and deactivated people are in no audience (``active=False``; deactivated accounts never
become principals at all). The platform on the server (the CLI) reads everything; a platform
operator's account belongs to no organization, so it reads only validated CLEAR reports.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from frontier_review.clearinghouse.reports.domain import Tlp, check_relabel
from frontier_review.kernel import tlp
from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal, Role

__all__ = ["RULES", "Relabel", "ReportRef", "can_read_report", "reads_report", "report_audience"]


@dataclass(frozen=True)
class ReportRef:
    """A report as an authorization resource.

    Attributes:
        id: the report.
        source_org_id: the organization that submitted it (or whose finding was referred).
        tlp: its TLP 2.0 label (a ``Tlp`` value).
        validated: validated by the clearinghouse or its named validator.
        validator_org_id: the validator organization named for it, if any.
        recipient_orgs: the named recipient organizations (AMBER, AMBER+STRICT).
        named: the named people (RED), by user id.
        submitter_user_id: the person who submitted it, always named.
    """

    id: uuid.UUID
    source_org_id: uuid.UUID
    tlp: str
    validated: bool = False
    validator_org_id: uuid.UUID | None = None
    recipient_orgs: frozenset[uuid.UUID] = frozenset()
    named: frozenset[uuid.UUID] = frozenset()
    submitter_user_id: uuid.UUID | None = None

    def audit_target(self) -> tuple[str, str]:
        return "report", str(self.id)

    @property
    def label(self) -> Tlp:
        return tlp.parse(self.tlp)

    @property
    def everyone_named(self) -> frozenset[uuid.UUID]:
        """The named people and the submitter."""
        return self.named | ({self.submitter_user_id} if self.submitter_user_id is not None else frozenset())


@dataclass(frozen=True)
class Relabel:
    """A requested change of a report's TLP label."""

    report: ReportRef
    to: str

    def audit_target(self) -> tuple[str, str]:
        return self.report.audit_target()


def _in_circle(org_id: uuid.UUID | None, org_kind: OrgKind | None, ref: ReportRef) -> bool:
    """The source, the clearinghouse and the named validator: who sees a report before validation."""
    return org_id is not None and (org_id in {ref.source_org_id, ref.validator_org_id} or org_kind is OrgKind.CLEARINGHOUSE)


def report_audience(
    ref: ReportRef, reader_user: uuid.UUID | None, reader_org: uuid.UUID | None, reader_kind: OrgKind | None
) -> tlp.Audience:
    """A report's TLP audience, as seen from this reader.

    The community is every member organization, so the reader's own organization stands for it
    (anyone with an organization is a member). Clearinghouses are recognised by kind; a named
    person's organization counts as having a need to know.
    """
    own = frozenset({reader_org}) if reader_org is not None else frozenset()
    clearinghouse = own if reader_kind is OrgKind.CLEARINGHOUSE else frozenset()
    named = ref.everyone_named
    named_org = own if reader_user is not None and reader_user in named else frozenset()
    validator = frozenset({ref.validator_org_id}) if ref.validator_org_id is not None else frozenset()
    return tlp.Audience(
        community=own,
        need_to_know=frozenset({ref.source_org_id}) | ref.recipient_orgs | clearinghouse | validator | named_org,
        named=named,
    )


def reads_report(
    user_id: uuid.UUID | None, org_id: uuid.UUID | None, org_kind: OrgKind | None, ref: ReportRef, *, active: bool = True
) -> Decision:
    """Whether this person (or the unauthenticated public: all ``None``) is in the report's audience.

    Args:
        user_id: the reader (None for the public).
        org_id: the reader's organization (None for the public and platform operators).
        org_kind: its kind (clearinghouses are recognised by kind).
        ref: the report.
        active: False for a deactivated or revoked person: outside every audience.

    Returns:
        ``Allowed``, or ``Denied`` naming the label or the validation, never the report.
    """
    reader = tlp.Reader(
        user_id=user_id,
        org_id=org_id,
        standing=tlp.Standing.ACTIVE if active else tlp.Standing.REVOKED,
        sees_container=ref.validated or _in_circle(org_id, org_kind, ref),
    )
    decision = tlp.decide(ref.label, reader, report_audience(ref, user_id, org_id, org_kind))
    if not decision.allowed and active and not reader.sees_container:
        return Denied("not yet validated: shared only with its source, the clearinghouse and its validator")
    return decision


def can_read_report(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    return reads_report(p.user_id, p.org_id, p.org_kind, ref)


def can_submit(p: Principal, _resource: object, _now: datetime) -> Decision:
    """Any active member of any organization submits (deactivated people never become principals)."""
    if p.user_id is not None and p.org_id is not None:
        return Allowed("a member organization's member")
    return Denied("reports are submitted by members of an organization")


def _clearinghouse(p: Principal, ref: ReportRef, now: datetime, what: str) -> Decision:
    read = can_read_report(p, ref, now)
    if not read.allowed:
        return read
    if p.user_id is not None and p.org_kind is OrgKind.CLEARINGHOUSE:
        return Allowed("clearinghouse member")
    return Denied(f"only the clearinghouse {what}")


def can_triage(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    return _clearinghouse(p, ref, now, "moves a report through its workflow")


def can_name_validator(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    return _clearinghouse(p, ref, now, "names a report's validator")


def can_merge(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    return _clearinghouse(p, ref, now, "merges duplicate reports")


def can_disclose(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    return _clearinghouse(p, ref, now, "discloses a report")


def can_reject(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    return _clearinghouse(p, ref, now, "rejects a report")


def _source_member(p: Principal, ref: ReportRef) -> bool:
    return p.user_id is not None and p.is_member_of(ref.source_org_id)


def can_edit(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    """The source and the clearinghouse correct a report's technical fields (the priority follows)."""
    read = can_read_report(p, ref, now)
    if not read.allowed:
        return read
    if _source_member(p, ref):
        return Allowed("the report's source")
    if p.user_id is not None and p.org_kind is OrgKind.CLEARINGHOUSE:
        return Allowed("clearinghouse member")
    return Denied("only the source and the clearinghouse edit a report")


def can_address(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    """The clearinghouse addresses reports to organizations and people; the source may too (it decides how far it goes)."""
    return can_edit(p, ref, now)


def can_relabel(p: Principal, r: Relabel, now: datetime) -> Decision:
    """Only the source relaxes a label; the clearinghouse may tighten it."""
    read = can_read_report(p, r.report, now)
    if not read.allowed:
        return read
    if p.is_system:
        return Denied("labels are changed by people, not by the platform")
    source = _source_member(p, r.report)
    clearinghouse = p.user_id is not None and p.org_kind is OrgKind.CLEARINGHOUSE
    reason = check_relabel(r.report.label, tlp.parse(r.to), by_source=source, by_clearinghouse=clearinghouse)
    if reason is not None:
        return Denied(reason)
    return Allowed("the report's source" if source else "the clearinghouse tightens the label")


def can_validate(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    """The validator organization named for the report, or the clearinghouse itself."""
    read = can_read_report(p, ref, now)
    if not read.allowed:
        return read
    if p.user_id is not None and p.org_kind is OrgKind.CLEARINGHOUSE:
        return Allowed("clearinghouse member")
    if p.user_id is not None and ref.validator_org_id is not None and p.is_member_of(ref.validator_org_id):
        return Allowed("the validator organization named for this report")
    return Denied("only the clearinghouse or the validator it named validates a report")


def can_work_queue(p: Principal, _resource: object, _now: datetime) -> Decision:
    """The triage queue and the priority board are the clearinghouse's (others see their own reports listed)."""
    if p.is_system or (p.user_id is not None and p.org_kind is OrgKind.CLEARINGHOUSE):
        return Allowed("clearinghouse member")
    return Denied("the triage queue is the clearinghouse's")


def clearinghouse_admin(p: Principal, _resource: object, _now: datetime) -> Decision:
    """Operator tasks (import the KEV catalogue, recompute priorities): the platform or a clearinghouse admin."""
    if p.is_system or p.is_superuser:
        return Allowed("platform operator")
    if p.org_kind is OrgKind.CLEARINGHOUSE and p.role is Role.ADMIN:
        return Allowed("clearinghouse admin")
    return Denied("only a clearinghouse admin or a platform operator does this")


RULES: Mapping[Permission, Rule] = {
    Permission.REPORT_SUBMIT: can_submit,
    Permission.REPORT_READ: can_read_report,
    Permission.REPORT_EDIT: can_edit,
    Permission.REPORT_TRIAGE: can_triage,
    Permission.REPORT_ADDRESS: can_address,
    Permission.REPORT_RELABEL: can_relabel,
    Permission.REPORT_NAME_VALIDATOR: can_name_validator,
    Permission.REPORT_VALIDATE: can_validate,
    Permission.REPORT_MERGE: can_merge,
    Permission.REPORT_DISCLOSE: can_disclose,
    Permission.REPORT_REJECT: can_reject,
    Permission.REPORT_QUEUE: can_work_queue,
    Permission.KEV_IMPORT: clearinghouse_admin,
    Permission.PRIORITY_RECOMPUTE: clearinghouse_admin,
}
