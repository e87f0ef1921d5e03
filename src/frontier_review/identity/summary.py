"""What a home page shows of accounts: those locked out now, for the people who may unlock them.

One query; each account listed passed the rule that unlocking asks, ``USER_UPDATE``
(:func:`.policy.can_update_user`): operators see every locked account except cleared ones (only a
cleared program-office admin manages those), an organization's admins see their own people.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontier_review.db.uow import UnitOfWork
from frontier_review.identity.orm import Organization, User
from frontier_review.identity.views import user_ref
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide

__all__ = ["LockedAccount", "locked_accounts"]


@dataclass(frozen=True)
class LockedAccount:
    """An account locked after repeated failed sign-ins, until ``locked_until``."""

    user_id: uuid.UUID
    email: str
    full_name: str
    organization_id: uuid.UUID | None
    organization_name: str | None
    locked_until: datetime


def locked_accounts(uow: UnitOfWork, principal: Principal, *, limit: int = 20) -> list[LockedAccount]:
    """Accounts locked now that ``principal`` may unlock, those locked longest (latest end) first."""
    now = uow.clock.now()
    if principal.user_id is None or (principal.org_id is None and not principal.is_superuser):
        return []
    stmt = (
        select(User, Organization.name)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(User.locked_until > now)
        .order_by(User.locked_until.desc())
    )
    if not principal.is_superuser:
        stmt = stmt.where(User.organization_id == principal.org_id)
    found = [
        LockedAccount(user.id, user.email, user.full_name, user.organization_id, org_name, user.locked_until)
        for user, org_name in uow.session.execute(stmt)
        if user.locked_until is not None and decide(uow, principal, Permission.USER_UPDATE, user_ref(user), now).allowed
    ]
    return found[:limit]
