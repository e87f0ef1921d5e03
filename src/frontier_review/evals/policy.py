"""Who may read benchmark items (pure rules). E1: item text only for cleared program-office staff."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal


def can_read_items(p: Principal, _resource: object, _now: datetime) -> Decision:
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    if p.org_kind is OrgKind.PROGRAM_OFFICE and p.cleared:
        return Allowed("cleared program-office member")
    return Denied("benchmark items are shown to cleared program-office staff only")


RULES: Mapping[Permission, Rule] = {Permission.EVALS_ITEMS_READ: can_read_items}
