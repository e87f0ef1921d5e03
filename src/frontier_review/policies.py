"""The service-side authorization check over every area's rules.

The rules themselves are composed at the top (``frontier_review.composition``) and ride on the
unit of work, so this module, like every area, depends only downwards. Services call
:func:`authorize`; it consults the pure rules, and a refusal is recorded on the unit of work so
that it is audited even though the operation's transaction rolls back.
Adapters may call :func:`decide` to decide what to *show* (a button, a link); that is not
an access attempt and is not audited.

:func:`authorize_visible` is the check for anything reached by its id: a caller who may not
even see the resource is told it does not exist, in the very words the "no such row" path
uses, so that a refusal never confirms that an id is real (the refusal is audited all the same).
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from frontier_review.db.uow import PendingDenial, UnitOfWork
from frontier_review.kernel import authz
from frontier_review.kernel.decision import Allowed, Decision
from frontier_review.kernel.errors import NotFound, PermissionDenied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal


def decide(
    uow: UnitOfWork, principal: Principal, permission: Permission, resource: object, now: datetime | None = None
) -> Decision:
    """Pure decision over the rules the composition root gave the unit of work (deny by default)."""
    return authz.decide(uow.rules, principal, permission, resource, now if now is not None else uow.clock.now())


def _target(resource: object) -> tuple[str | None, str | None]:
    describe = getattr(resource, "audit_target", None)
    if callable(describe):
        kind, ident = describe()
        return str(kind), str(ident)
    return None, None


def _record_denial(
    uow: UnitOfWork, principal: Principal, permission: Permission, reason: str, target: tuple[str | None, str | None]
) -> None:
    uow.denials.append(
        PendingDenial(
            actor_label=principal.label,
            actor_user_id=principal.user_id,
            actor_org_id=principal.org_id,
            permission=permission,
            reason=reason,
            target_type=target[0],
            target_id=target[1],
        )
    )


def authorize(uow: UnitOfWork, principal: Principal, permission: Permission, resource: object) -> Allowed:
    """Allow or raise ``PermissionDenied``; every refusal is audited with its reason."""
    decision = decide(uow, principal, permission, resource)
    if isinstance(decision, Allowed):
        return decision
    _record_denial(uow, principal, permission, decision.reason, _target(resource))
    raise PermissionDenied(decision.reason)


def authorize_visible(
    uow: UnitOfWork,
    principal: Principal,
    permission: Permission,
    resource: object,
    *,
    not_found: str,
    read: Permission | None = None,
) -> Allowed:
    """Authorize an action on a resource reached by its id, hiding what the caller may not see.

    A refusal is audited with its reason like :func:`authorize`. What the caller is told
    depends on whether it may see the resource at all: one that may (``read`` is allowed) is
    told why it is refused (``PermissionDenied``); one that may not gets ``NotFound`` with
    ``not_found``, the very message the service raises when no such row exists, so a hidden
    resource answers exactly like a missing one.

    Args:
        uow: The unit of work the refusal is recorded on.
        principal: The caller.
        permission: What the caller wants to do.
        resource: The rule's view of the resource (with ``audit_target`` for the audit entry).
        not_found: The message of the service's own "no such row" ``NotFound``.
        read: The permission that makes the resource visible; ``None`` when ``permission``
            is itself the read.

    Returns:
        The decision that allowed the action.

    Raises:
        NotFound: The caller may not see the resource.
        PermissionDenied: The caller sees the resource but may not do this to it.
    """
    now = uow.clock.now()
    decision = decide(uow, principal, permission, resource, now)
    if isinstance(decision, Allowed):
        return decision
    _record_denial(uow, principal, permission, decision.reason, _target(resource))
    if read is not None and read != permission and decide(uow, principal, read, resource, now).allowed:
        raise PermissionDenied(decision.reason)
    raise NotFound(not_found)


def refuse(uow: UnitOfWork, principal: Principal, permission: Permission, reason: str, target: tuple[str, str]) -> NoReturn:
    """Refuse like :func:`authorize` does (audited after the rollback).

    For refusals that come from the state of things (a closed window, a revoked participant)
    rather than from a rule.
    """
    _record_denial(uow, principal, permission, reason, target)
    raise PermissionDenied(reason)
