"""What an irreversible account action would end, counted before it is confirmed.

Each function is authorized like the action it describes (revoking a token, signing out every
other browser), so a confirmation page never tells anyone about a token or sessions they could
not end. Nothing here writes.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from frontier_review.db.uow import UnitOfWork
from frontier_review.identity.domain import TokenRef
from frontier_review.identity.orm import ApiToken, User, WebSession
from frontier_review.identity.views import TokenView, token_view
from frontier_review.kernel.errors import NotFound, ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize

__all__ = ["other_sessions", "token_revoking"]


def token_revoking(uow: UnitOfWork, principal: Principal, token_id: uuid.UUID) -> TokenView:
    """The token a revocation would stop (its name, last use, expiry), authorized like revoking it.

    Raises:
        NotFound: No such token.
        PermissionDenied: The caller may not revoke it.
    """
    token = uow.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} not found")
    owner = uow.session.get(User, token.user_id)
    authorize(
        uow, principal, Permission.TOKEN_REVOKE, TokenRef(token.id, token.user_id, owner.organization_id if owner else None)
    )
    return token_view(token)


def other_sessions(uow: UnitOfWork, principal: Principal) -> int:
    """How many other live web sessions the caller's user has: the browsers signing out everywhere ends.

    The caller acts through one live session of its own, which is not counted (it is renewed, not
    ended, from the caller's point of view).

    Raises:
        ValidationFailed: The caller is not a user (only users have sessions).
    """
    if principal.user_id is None:
        raise ValidationFailed("only a user has sessions", field="user")
    live = uow.session.scalar(
        select(func.count())
        .select_from(WebSession)
        .where(
            WebSession.user_id == principal.user_id,
            WebSession.ended_at.is_(None),
            WebSession.expires_at > uow.clock.now(),
        )
    )
    return max(int(live or 0) - 1, 0)
