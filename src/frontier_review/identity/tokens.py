"""Personal API tokens: issued once in plaintext, stored as a digest, revocable, and the principal of one."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity.domain import (
    TokenRef,
    normalise_name,
)
from frontier_review.identity.orm import ApiToken, Organization, User
from frontier_review.identity.sessions import principal_for
from frontier_review.identity.tags import IdentityTag
from frontier_review.identity.views import TokenView, get_user_rows, token_view, user_ref
from frontier_review.kernel.errors import NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, Principal
from frontier_review.policies import authorize
from frontier_review.security import tokens

TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)


def principal_for_token(uow: UnitOfWork, plaintext: str) -> Principal | None:
    """The principal of a bearer token, or None when it is unknown, expired or revoked."""
    if not tokens.looks_like_token(plaintext):
        return None
    token = uow.session.scalar(select(ApiToken).where(ApiToken.token_digest == tokens.digest_token(plaintext)))
    now = uow.clock.now()
    if token is None or token.revoked_at is not None or now >= token.expires_at:
        return None
    user = uow.session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    # Recording every use would turn each API read into a write; minute resolution is enough.
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_RESOLUTION:
        token.last_used_at = now
    org = uow.session.get(Organization, user.organization_id) if user.organization_id else None
    return principal_for(user, org, AuthMethod.TOKEN, token.id)


def issue_token(
    uow: UnitOfWork, principal: Principal, *, user_id: uuid.UUID, name: str, expires_in_days: int | None = None
) -> tuple[TokenView, str]:
    """Mint a token for ``user_id``; the plaintext is returned once and never stored."""
    user, _org = get_user_rows(uow, user_id)
    authorize(uow, principal, Permission.TOKEN_ISSUE, user_ref(user))
    if not user.is_active:
        raise ValidationFailed("the user is deactivated", field="user_id")
    clean_name = normalise_name(name, field="name", max_length=100)
    days = uow.settings.token_default_days if expires_in_days is None else expires_in_days
    if not 1 <= days <= 366:
        raise ValidationFailed("expires_in_days must be between 1 and 366", field="expires_in_days")
    minted = tokens.mint_token()
    now = uow.clock.now()
    token = ApiToken(
        id=new_id(),
        user_id=user.id,
        name=clean_name,
        lookup=minted.lookup,
        token_digest=minted.digest,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    uow.session.add(token)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        IdentityTag.TOKEN_ISSUED,
        target_type="api_token",
        target_id=token.id,
        details={"owner": str(user.id), "name": clean_name, "expires_at": token.expires_at.isoformat()},
    )
    return token_view(token), minted.plaintext


def list_tokens(uow: UnitOfWork, principal: Principal, *, user_id: uuid.UUID) -> list[TokenView]:
    """A user's tokens, newest first (metadata only)."""
    user, _org = get_user_rows(uow, user_id)
    authorize(uow, principal, Permission.TOKEN_READ, user_ref(user))
    rows = uow.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc()))
    return [token_view(t) for t in rows]


def revoke_token(uow: UnitOfWork, principal: Principal, token_id: uuid.UUID) -> TokenView:
    """Revoke a token at once; revoking twice is harmless."""
    token = uow.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} not found")
    owner = uow.session.get(User, token.user_id)
    authorize(
        uow, principal, Permission.TOKEN_REVOKE, TokenRef(token.id, token.user_id, owner.organization_id if owner else None)
    )
    if token.revoked_at is None:
        token.revoked_at = uow.clock.now()
        audit.record(uow, principal, IdentityTag.TOKEN_REVOKED, target_type="api_token", target_id=token.id)
    return token_view(token)
