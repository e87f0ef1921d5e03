"""Who adds fixes and who sees and updates distribution records (pure rules).

Everything starts from the report's TLP audience (``reports.policy.can_read_report``): outside it
there is nothing, not even a record's existence.

* Fixes are part of the report: every reader sees them; the clearinghouse and the report's source
  add and edit them.
* The clearinghouse sees every record of a report; the source sees counts by state; an operator
  sees and updates its own organization's record only, and only while it may read the report.
  Nobody else learns that a record exists.
* The exposure board: any member organization has one; it lists the records its reader may see by
  the rules above (:func:`sees_every_operator`: the clearinghouse every operator's, anyone else its
  own organization's), of reports the reader may read.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from frontier_review.clearinghouse.reports.policy import ReportRef, can_read_report
from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal

__all__ = ["RULES", "RecordRef", "sees_every_operator"]


@dataclass(frozen=True)
class RecordRef:
    """One operator's distribution record of one report, as an authorization resource."""

    report: ReportRef
    organization_id: uuid.UUID
    record_id: uuid.UUID

    def audit_target(self) -> tuple[str, str]:
        return "patch_distribution", str(self.record_id)


def _clearinghouse(p: Principal) -> bool:
    return p.user_id is not None and p.org_kind is OrgKind.CLEARINGHOUSE


def _source(p: Principal, ref: ReportRef) -> bool:
    return p.user_id is not None and p.is_member_of(ref.source_org_id)


def sees_every_operator(p: Principal) -> bool:
    """Whether ``p`` sees every operator's records of the reports it reads (the clearinghouse, the platform).

    Everyone else sees at most its own organization's record. The exposure board states this as
    SQL; :func:`can_read_all_records` is the rule, asked again of every row it shows.
    """
    return p.is_system or _clearinghouse(p)


def can_manage_fixes(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    """The clearinghouse and the report's source add and edit its fixes (the platform too, for the demo)."""
    read = can_read_report(p, ref, now)
    if not read.allowed:
        return read
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    if _clearinghouse(p):
        return Allowed("clearinghouse member")
    if _source(p, ref):
        return Allowed("the report's source")
    return Denied("only the clearinghouse and the report's source record fixes")


def can_read_all_records(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    """The clearinghouse sees every operator's record of a report it may read."""
    read = can_read_report(p, ref, now)
    if not read.allowed:
        return read
    if sees_every_operator(p):
        return Allowed("clearinghouse member")
    return Denied("only the clearinghouse sees every operator's patch status")


def can_read_counts(p: Principal, ref: ReportRef, now: datetime) -> Decision:
    """The clearinghouse and the source see how many operators are in each state (not who)."""
    read = can_read_report(p, ref, now)
    if not read.allowed:
        return read
    if p.is_system or _clearinghouse(p):
        return Allowed("clearinghouse member")
    if _source(p, ref):
        return Allowed("the report's source")
    return Denied("only the clearinghouse and the report's source see patch distribution counts")


def can_update_own(p: Principal, r: RecordRef, now: datetime) -> Decision:
    """An operator's members read and update their own organization's record, while they may read the report."""
    read = can_read_report(p, r.report, now)
    if not read.allowed:
        return read
    if p.user_id is not None and p.is_member_of(r.organization_id):
        return Allowed("a member of the operator this record is for")
    return Denied("operators update only their own organization's record")


def can_read_exposure(p: Principal, _resource: object, _now: datetime) -> Decision:
    """Any member organization has an exposure board (of reports it may read)."""
    if p.user_id is not None and p.org_id is not None:
        return Allowed("a member organization's member")
    return Denied("the exposure board is an organization's")


RULES: Mapping[Permission, Rule] = {
    Permission.FIX_MANAGE: can_manage_fixes,
    Permission.DISTRIBUTION_READ_ALL: can_read_all_records,
    Permission.DISTRIBUTION_READ_COUNTS: can_read_counts,
    Permission.DISTRIBUTION_UPDATE: can_update_own,
    Permission.EXPOSURE_READ: can_read_exposure,
}
