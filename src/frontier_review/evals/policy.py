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


def may_allow_classified(p: Principal) -> Decision:
    """Only the platform operator on the server (the CLI) lets classified suites run on a target.

    Every target counts as developer-hosted until then: a classified suite's items reach the
    target's server in clear, so the decision is the operator's, outside any web session.
    """
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    return Denied("only the platform operator (frontier-review benchmark allow-classified) allows classified runs on a target")


def operator_only(p: Principal) -> Decision:
    """Maintenance of sealed values (sealing rows stored in plaintext by earlier versions)."""
    if p.is_system:
        return Allowed("platform operator on the server (CLI)")
    return Denied("only the platform operator on the server does this")


RULES: Mapping[Permission, Rule] = {Permission.EVALS_ITEMS_READ: can_read_items}
