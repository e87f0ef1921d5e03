"""Composition of every area's authorization rules, and the service-side check.

Services call :func:`authorize`; it consults the pure rules, and a refusal is recorded on
the unit of work so that it is audited even though the operation's transaction rolls back.
Adapters may call :func:`decide` to decide what to *show* (a button, a link); that is not
an access attempt and is not audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NoReturn

from frontier_review.audit.policy import RULES as AUDIT_RULES
from frontier_review.coverage.policy import RULES as COVERAGE_RULES
from frontier_review.db.uow import PendingDenial, UnitOfWork
from frontier_review.engagements.policy import RULES as ENGAGEMENT_RULES
from frontier_review.evals.policy import RULES as EVALS_RULES
from frontier_review.identity.policy import RULES as IDENTITY_RULES
from frontier_review.kernel import authz
from frontier_review.kernel.decision import Allowed, Decision
from frontier_review.kernel.errors import PermissionDenied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.registry.policy import RULES as REGISTRY_RULES
from frontier_review.security.policy import RULES as SECURITY_RULES

RULES: Mapping[Permission, authz.Rule] = {
    **IDENTITY_RULES,
    **AUDIT_RULES,
    **SECURITY_RULES,
    **REGISTRY_RULES,
    **COVERAGE_RULES,
    **EVALS_RULES,
    **ENGAGEMENT_RULES,
}


def decide(principal: Principal, permission: Permission, resource: object, now: datetime) -> Decision:
    """Pure decision over the composed rules (deny by default)."""
    return authz.decide(RULES, principal, permission, resource, now)


def _target(resource: object) -> tuple[str | None, str | None]:
    describe = getattr(resource, "audit_target", None)
    if callable(describe):
        kind, ident = describe()
        return str(kind), str(ident)
    return None, None


def authorize(uow: UnitOfWork, principal: Principal, permission: Permission, resource: object) -> Allowed:
    """Allow or raise ``PermissionDenied``; every refusal is audited with its reason."""
    decision = decide(principal, permission, resource, uow.clock.now())
    if isinstance(decision, Allowed):
        return decision
    target_type, target_id = _target(resource)
    uow.denials.append(
        PendingDenial(
            actor_label=principal.label,
            actor_user_id=principal.user_id,
            actor_org_id=principal.org_id,
            permission=str(permission),
            reason=decision.reason,
            target_type=target_type,
            target_id=target_id,
        )
    )
    raise PermissionDenied(decision.reason)


def refuse(uow: UnitOfWork, principal: Principal, permission: Permission, reason: str, target: tuple[str, str]) -> NoReturn:
    """Refuse like :func:`authorize` does (audited after the rollback), for refusals that come from
    the state of things (a closed window, a revoked participant) rather than from a rule."""
    uow.denials.append(
        PendingDenial(
            actor_label=principal.label,
            actor_user_id=principal.user_id,
            actor_org_id=principal.org_id,
            permission=str(permission),
            reason=reason,
            target_type=target[0],
            target_id=target[1],
        )
    )
    raise PermissionDenied(reason)
