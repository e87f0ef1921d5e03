"""Show a new gateway token once, from a sealed server-side record (issue 10, item 18b).

The web page that mints a gateway token redirects to the page that shows it. The token must not
ride along in the session cookie (a signed, not encrypted, cookie that the browser keeps, that
proxies may log and that a stolen laptop still holds), so the minting request seals it into a
``token_reveals`` row under its own data key and puts only the row's random id in the session.
The next page takes it: the row and its data key are deleted in the same transaction, so a second
display shows nothing, and a record nobody came for expires after :data:`REVEAL_TTL`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access.orm import TokenReveal
from frontier_review.kernel.principal import Principal
from frontier_review.security import service as security

REVEAL_TTL = timedelta(minutes=10)
_TABLE, _FIELD = "token_reveals", "sealed"


def stash(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, plaintext: str) -> uuid.UUID:
    """Seal ``plaintext`` for one display to ``principal``; returns the record's id for the session.

    Args:
        uow: The unit of work of the request that minted the token.
        principal: The person who minted it, the only one who may take it.
        engagement_id: The engagement the token is for (the page that shows it).
        plaintext: The token, as handed out once.

    Returns:
        The record's id: random (not time-ordered), so it cannot be guessed.
    """
    assert principal.user_id is not None  # gateway tokens are minted by people only
    reveal_id = uuid.uuid4()
    now = uow.clock.now()
    sealed = security.seal_field(uow, plaintext.encode(), table=_TABLE, row_id=str(reveal_id), field=_FIELD)
    uow.session.add(
        TokenReveal(
            id=reveal_id,
            user_id=principal.user_id,
            engagement_id=engagement_id,
            sealed=sealed,
            created_at=now,
            expires_at=now + REVEAL_TTL,
        )
    )
    uow.session.flush()
    return reveal_id


def take(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, reveal_id: object) -> str | None:
    """The stashed token, once: the record and its data key are deleted as it is read.

    Returns ``None`` for anything else: no id, a malformed one, someone else's record, another
    engagement's, one already taken, or one past its expiry.

    Args:
        uow: The unit of work of the page that shows the token.
        principal: The person viewing the page.
        engagement_id: The engagement whose page this is.
        reveal_id: The id found in the session (any value; checked here).

    Returns:
        The token, or ``None``.
    """
    if not isinstance(reveal_id, str) or principal.user_id is None:
        return None
    try:
        key = uuid.UUID(reveal_id)
    except ValueError:
        return None
    row = uow.session.scalar(
        select(TokenReveal).where(
            TokenReveal.id == key, TokenReveal.user_id == principal.user_id, TokenReveal.engagement_id == engagement_id
        )
    )
    if row is None:
        return None
    plain = None
    if row.expires_at > uow.clock.now():
        plain = security.open_field(uow.session, uow.keyring, row.sealed, table=_TABLE, row_id=str(row.id), field=_FIELD)
    _forget(uow, row.id)
    return plain.decode() if plain is not None else None


def _forget(uow: UnitOfWork, reveal_id: uuid.UUID) -> None:
    uow.session.execute(delete(TokenReveal).where(TokenReveal.id == reveal_id))
    security.forget_data_keys(uow, table=_TABLE, owner_prefix=str(reveal_id))


def purge_expired(uow: UnitOfWork) -> int:
    """Delete every record past its expiry, with its data key (run by the housekeeping job)."""
    expired = list(uow.session.scalars(select(TokenReveal.id).where(TokenReveal.expires_at <= uow.clock.now())))
    for reveal_id in expired:
        _forget(uow, reveal_id)
    return len(expired)
