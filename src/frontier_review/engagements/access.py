"""Gateway access set-up: reviewers' personal tokens and the developer's upstreams (G4)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements import service
from frontier_review.engagements.orm import GatewayToken, Upstream
from frontier_review.kernel.errors import NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.security import addresses
from frontier_review.security import service as security
from frontier_review.security.tokens import mint_token

GATEWAY_TOKEN_PREFIX = "frg"  # noqa: S105 - a public prefix


@dataclass(frozen=True)
class GatewayTokenView:
    id: uuid.UUID
    engagement_id: uuid.UUID
    name: str
    lookup: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedGatewayToken:
    token: GatewayTokenView
    plaintext: str  # shown once


def set_upstream(
    uow: UnitOfWork,
    principal: Principal,
    engagement_id: uuid.UUID,
    *,
    variant: str,
    base_url: str,
    api_key: str | None,
    upstream_model: str,
    require_https: bool,
    allow_private: bool,
) -> service.EngagementView:
    """Register (or replace) the upstream of one variant; URL and key are sealed, never shown again."""
    row = service.load_for(uow, principal, engagement_id, Permission.ENGAGEMENT_MANAGE)
    if variant not in service.VARIANTS:
        raise ValidationFailed(f"variant must be one of: {', '.join(service.VARIANTS)}", field="variant")
    current = service.view(uow, row, principal).current
    if variant == "reduced-safeguard" and not current.materials.reduced_safeguard_variant:
        raise ValidationFailed("the terms do not share a reduced-safeguard variant", field="variant")
    if not current.materials.api_access:
        raise ValidationFailed("the terms do not include API access", field="variant")
    clean_model = upstream_model.strip()
    if not 1 <= len(clean_model) <= 200:
        raise ValidationFailed(
            "upstream_model names the model on the upstream server (1 to 200 characters)", field="upstream_model"
        )
    if api_key is not None and len(api_key) > 4096:
        raise ValidationFailed("api_key is too long", field="api_key")
    url = addresses.check_url(base_url, require_https=require_https, allow_private=allow_private)
    existing = uow.session.scalar(select(Upstream).where(Upstream.engagement_id == row.id, Upstream.variant == variant))
    upstream = existing or Upstream(id=new_id(), engagement_id=row.id, variant=variant)
    upstream.upstream_model = clean_model
    upstream.url_sealed = security.seal_field(
        uow, url.encode(), table="engagement_upstreams", row_id=str(upstream.id), field="url_sealed"
    )
    upstream.api_key_sealed = (
        security.seal_field(uow, api_key.encode(), table="engagement_upstreams", row_id=str(upstream.id), field="api_key_sealed")
        if api_key
        else None
    )
    upstream.set_by, upstream.set_at = principal.label, uow.clock.now()
    if existing is None:
        uow.session.add(upstream)
    row.access_epoch += 1
    uow.session.flush()
    audit.record(
        uow, principal, "engagements:upstream:set", target_type="engagement", target_id=row.id, details={"variant": variant}
    )
    return service.view(uow, row, principal)


def remove_upstream(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, variant: str) -> service.EngagementView:
    """Disconnect one variant's upstream: its sealed URL and key are deleted and the gateway stops
    forwarding to it on the next call in every process (the access epoch moves on).

    Args:
        uow: The unit of work.
        principal: The developer managing the engagement.
        engagement_id: The engagement.
        variant: ``standard`` or ``reduced-safeguard``.

    Returns:
        The engagement as the developer sees it.

    Raises:
        NotFound: The engagement does not exist, or the principal may not see it.
        PermissionDenied: The principal sees the engagement but does not manage it.
        ValidationFailed: ``variant`` names no variant.
    """
    row = service.load_for(uow, principal, engagement_id, Permission.ENGAGEMENT_MANAGE)
    if variant not in service.VARIANTS:
        raise ValidationFailed(f"variant must be one of: {', '.join(service.VARIANTS)}", field="variant")
    existing = uow.session.scalar(select(Upstream).where(Upstream.engagement_id == row.id, Upstream.variant == variant))
    if existing is None:  # already disconnected: nothing to do (a repeated DELETE is not an error)
        return service.view(uow, row, principal)
    uow.session.delete(existing)
    row.access_epoch += 1
    uow.session.flush()
    audit.record(
        uow, principal, "engagements:upstream:removed", target_type="engagement", target_id=row.id, details={"variant": variant}
    )
    return service.view(uow, row, principal)


def open_upstream(uow: UnitOfWork, upstream: Upstream) -> tuple[str, str | None]:
    """URL and key, for the gateway only (never returned by any interface, G4)."""
    url = security.open_field(
        uow.session, uow.keyring, upstream.url_sealed, table="engagement_upstreams", row_id=str(upstream.id), field="url_sealed"
    ).decode()
    key = None
    if upstream.api_key_sealed is not None:
        key = security.open_field(
            uow.session,
            uow.keyring,
            upstream.api_key_sealed,
            table="engagement_upstreams",
            row_id=str(upstream.id),
            field="api_key_sealed",
        ).decode()
    return url, key


def _token_view(t: GatewayToken) -> GatewayTokenView:
    return GatewayTokenView(t.id, t.engagement_id, t.name, t.lookup, t.created_at, t.revoked_at)


def issue_token(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, name: str) -> IssuedGatewayToken:
    """A personal gateway token for one engagement, shown once. Only people (not API tokens) mint them."""
    row = service.load_for(uow, principal, engagement_id, Permission.GATEWAY_TOKEN_ISSUE)
    clean = name.strip()
    if not 1 <= len(clean) <= 100:
        raise ValidationFailed("name must have 1 to 100 characters", field="name")
    minted = mint_token(GATEWAY_TOKEN_PREFIX)
    assert principal.user_id is not None
    token = GatewayToken(
        id=new_id(),
        engagement_id=row.id,
        user_id=principal.user_id,
        name=clean,
        lookup=minted.lookup,
        token_digest=minted.digest,
        created_at=uow.clock.now(),
    )
    uow.session.add(token)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        "engagements:gateway_token:issued",
        target_type="engagement",
        target_id=row.id,
        details={"lookup": minted.lookup},
    )
    return IssuedGatewayToken(_token_view(token), minted.plaintext)


def my_tokens(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID | None = None) -> list[GatewayTokenView]:
    """The principal's own gateway tokens (nobody lists another person's)."""
    if principal.user_id is None:
        return []
    stmt = select(GatewayToken).where(GatewayToken.user_id == principal.user_id).order_by(GatewayToken.created_at.desc())
    if engagement_id is not None:
        stmt = stmt.where(GatewayToken.engagement_id == engagement_id)
    return [_token_view(t) for t in uow.session.scalars(stmt)]


def revoke_token(uow: UnitOfWork, principal: Principal, token_id: uuid.UUID) -> GatewayTokenView:
    token = uow.session.get(GatewayToken, token_id)
    if token is None or token.user_id != principal.user_id:
        raise NotFound(f"gateway token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = uow.clock.now()
        audit.record(
            uow,
            principal,
            "engagements:gateway_token:revoked",
            target_type="engagement",
            target_id=token.engagement_id,
            details={"lookup": token.lookup},
        )
    return _token_view(token)
