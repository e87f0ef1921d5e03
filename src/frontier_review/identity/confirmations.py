"""What revoking an API token and signing out every other browser will do, for their confirmation pages.

The numbers come from :mod:`frontier_review.identity.impact` (authorized like each action); this
module only phrases them as a :class:`~frontier_review.web.confirm.Consequences`. A token's last
use moves while the page is read (a script using it now), so it is shown ``as_of`` the page and not
bound by the digest; the number of other browsers is bound: one signed in meanwhile makes the
confirmation stale.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import impact
from frontier_review.kernel.principal import Principal
from frontier_review.web.confirm import Consequences

__all__ = ["ago", "revoke_token", "sign_out_everywhere"]

_ACCOUNT = "/account"


def ago(then: datetime, now: datetime) -> str:
    """``just now``, ``12 min ago``, ``3 h ago``, ``5 days ago``: how long since, at a glance."""
    passed = max(now - then, timedelta(0))
    if passed < timedelta(minutes=1):
        return "just now"
    if passed < timedelta(hours=1):
        return f"{passed.seconds // 60} min ago"
    if passed < timedelta(days=1):
        return f"{passed.seconds // 3600} h ago"
    return f"{passed.days} day{'' if passed.days == 1 else 's'} ago"


def _date(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def revoke_token(uow: UnitOfWork, principal: Principal, token_id: uuid.UUID) -> Consequences:
    """Revoking one of the caller's API tokens."""
    token = impact.token_revoking(uow, principal, token_id)
    now = uow.clock.now()
    status = token.status(now)
    name = f"“{token.name}” ({token.display})"
    if status == "active":
        effects: tuple[str, ...] = (
            f"Scripts using the token {name} stop working at once: every call with it is refused (401).",
            f"It would otherwise have worked until {_date(token.expires_at)}.",
        )
    else:
        # Revoking twice is harmless (the service does nothing); the page says so rather than alarm.
        effects = (f"The token {name} is already {status}: nothing changes.",)
    used = f"last used {ago(token.last_used_at, now)}" if token.last_used_at else "never used"
    return Consequences(
        title=f"Revoke the token “{token.name}”?",
        action=f"/account/tokens/{token_id}/revoke",
        effects=effects,
        final="A revoked token cannot be restored: create a new token and put it in the scripts instead.",
        button="Revoke the token",
        back=_ACCOUNT,
        as_of=(f"The token {name} was {used}.",),
    )


def sign_out_everywhere(uow: UnitOfWork, principal: Principal) -> Consequences:
    """Ending every other web session of the caller (copies of this browser's cookie included)."""
    others = impact.other_sessions(uow, principal)
    if others:
        first = (
            f"{others} other browser{' is' if others == 1 else 's are'} signed out at once: "
            "their next click goes to the sign-in page."
        )
    else:
        first = "No other browser is signed in as you now; nothing else changes there."
    effects = (
        first,
        "You stay signed in here with a fresh session, so any copy of this browser's cookie stops working too.",
        "Your API tokens keep working: revoke them from the token list on your account page if you need to.",
    )
    return Consequences(
        title="Sign out every other browser?",
        action="/account/sessions/end",
        effects=effects,
        final="A signed-out browser can only come back by signing in again with your password.",
        button="Sign out everywhere else",
        back=_ACCOUNT,
    )
