"""The authorization kernel: pure, deny-by-default decisions.

Each area contributes a mapping from permission to rule in its ``policy.py``; the
composition in :mod:`frontier_review.policies` joins them. A permission without a rule, or a
rule that raises, is denied. (Inactive users never become principals: authentication refuses them.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal

log = logging.getLogger(__name__)

Rule = Callable[[Principal, Any, datetime], Decision]


def decide(
    rules: Mapping[Permission, Rule],
    principal: Principal,
    permission: Permission,
    resource: object,
    now: datetime,
) -> Decision:
    """Decide whether ``principal`` may exercise ``permission`` on ``resource`` at ``now``."""
    rule = rules.get(permission)
    if rule is None:
        return Denied(f"no rule grants {permission}")
    try:
        return rule(principal, resource, now)
    except Exception:  # a broken rule must fail closed, never open and never as a 500
        log.exception("authorization rule for %s failed", permission)
        return Denied(f"the rule for {permission} could not decide")


def superuser_only(principal: Principal, _resource: object, _now: datetime) -> Decision:
    """Rule: only platform operators (and the system acting for them)."""
    if principal.is_superuser:
        return Allowed("superuser")
    return Denied("only a platform operator may do this")
