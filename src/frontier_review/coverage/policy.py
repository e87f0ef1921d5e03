"""Who may publish, read, determine and inquire about coverage (pure rules).

C2: developers see their own outcomes and criterion names, never classified thresholds or
scores; the program office sees everything, but classified thresholds and scores only with
a clearance; nobody sees another developer's models.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal

__all__ = [
    "RULES",
    "Sensitivity",
    "VersionOwner",
    "any_member",
    "can_publish",
    "can_see_thresholds",
    "owner_developer",
    "owner_or_oversight",
    "program_office_only",
    "program_office_work",
]


@dataclass(frozen=True)
class Sensitivity:
    """Something that may be classified (a policy's thresholds, a benchmark's scores)."""

    classified: bool
    id: str = ""
    kind: str = "coverage_policy"

    def audit_target(self) -> tuple[str, str]:
        return self.kind, self.id


@dataclass(frozen=True)
class VersionOwner:
    """A model version (or something about it: an inquiry, a determination) by its owner."""

    org_id: uuid.UUID
    id: str = ""
    kind: str = "model_version"

    def audit_target(self) -> tuple[str, str]:
        return self.kind, self.id


def _program_office(p: Principal) -> bool:
    return p.org_kind is OrgKind.PROGRAM_OFFICE


# The system principal is the operator's own CLI on the server, which holds every key anyway;
# a superuser signed in through the web is not cleared and sees no classified content.
SYSTEM = Allowed("platform operator on the server (CLI)")


def can_publish(p: Principal, policy: Sensitivity, _now: datetime) -> Decision:
    if p.is_system:
        return SYSTEM
    if not (_program_office(p) and p.is_program_office_admin):
        return Denied("only program-office admins publish coverage policies")
    if policy.classified and not p.cleared:
        return Denied("publishing a classified policy needs a clearance")
    return Allowed("program-office admin")


def any_member(p: Principal, _resource: object, _now: datetime) -> Decision:
    if p.is_superuser or p.org_id is not None:
        return Allowed("member of a participating organization")
    return Denied("sign in as a member of a participating organization")


def can_see_thresholds(p: Principal, thing: Sensitivity, _now: datetime) -> Decision:
    if not thing.classified:
        return Allowed("not classified")
    if p.is_system:
        return SYSTEM
    if _program_office(p) and p.cleared:
        return Allowed("cleared program-office member")
    return Denied("classified: only cleared program-office staff see thresholds and scores")


def program_office_work(p: Principal, thing: Sensitivity, _now: datetime) -> Decision:
    if p.is_system:
        return SYSTEM
    if not _program_office(p):
        return Denied("only the program office does this")
    if thing.classified and not p.cleared:
        return Denied("classified: this needs a clearance")
    return Allowed("program office")


def program_office_only(p: Principal, _resource: object, _now: datetime) -> Decision:
    if p.is_system:
        return SYSTEM
    if _program_office(p):
        return Allowed("program office")
    return Denied("only the program office does this")


def owner_or_oversight(p: Principal, owner: VersionOwner, _now: datetime) -> Decision:
    if p.is_superuser:
        return Allowed("superuser")
    if p.is_member_of(owner.org_id):
        return Allowed("owning organization")
    if _program_office(p):
        return Allowed("program office")
    return Denied("you cannot see another organization's coverage matters")


def owner_developer(p: Principal, owner: VersionOwner, _now: datetime) -> Decision:
    if p.org_kind is OrgKind.DEVELOPER and p.is_member_of(owner.org_id):
        return Allowed("member of the owning developer organization")
    return Denied("only the developer that owns the version does this")


RULES: Mapping[Permission, Rule] = {
    Permission.COVERAGE_POLICY_PUBLISH: can_publish,
    Permission.COVERAGE_POLICY_READ: any_member,
    Permission.COVERAGE_THRESHOLDS_READ: can_see_thresholds,
    Permission.COVERAGE_BENCHMARK_MANAGE: program_office_work,
    Permission.COVERAGE_DETERMINE: program_office_work,
    Permission.COVERAGE_REASSESS: program_office_only,
    Permission.COVERAGE_READ: owner_or_oversight,
    Permission.COVERAGE_INQUIRY_FILE: owner_developer,
    Permission.COVERAGE_INQUIRY_RESPOND: owner_developer,
    Permission.COVERAGE_INQUIRY_WORK: program_office_only,
}
