"""Gateway access set-up: reviewers' personal tokens, the developer's upstreams (G4), and usage."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access.orm import AccessLog, GatewayToken, Upstream
from frontier_review.engagements.access.upstreams import TABLE
from frontier_review.engagements.lifecycle import closing
from frontier_review.engagements.lifecycle.domain import VARIANT_REDUCED, VARIANTS
from frontier_review.engagements.lifecycle.views import EngagementView, engagement_view, get_ref, get_row_for, org_name
from frontier_review.engagements.tags import EngagementTag
from frontier_review.kernel.errors import NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import decide
from frontier_review.security import addresses
from frontier_review.security import service as security
from frontier_review.security.tokens import mint_token

GATEWAY_TOKEN_PREFIX = "frg"  # noqa: S105 - a public prefix
# The name of the playground's one session token per person and engagement (see ``playground``);
# a token minted with the form may not take it.
PLAYGROUND_TOKEN_NAME = "playground session"  # noqa: S105 - a name, not a secret


@dataclass(frozen=True)
class GatewayTokenView:
    """A gateway token as its owner sees it (never the token itself)."""

    id: uuid.UUID
    engagement_id: uuid.UUID
    name: str
    lookup: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class IssuedGatewayToken:
    """A token just minted: the only time its plaintext exists outside the client."""

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
) -> EngagementView:
    """Register (or replace) the upstream of one variant; URL and key are sealed, never shown again."""
    row = get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_MANAGE)
    if variant not in VARIANTS:
        raise ValidationFailed(f"variant must be one of: {', '.join(VARIANTS)}", field="variant")
    current = engagement_view(uow, row, principal).current
    if variant == VARIANT_REDUCED and not current.materials.reduced_safeguard_variant:
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
    upstream.url_sealed = security.seal_field(uow, url.encode(), table=TABLE, row_id=str(upstream.id), field="url_sealed")
    upstream.api_key_sealed = (
        security.seal_field(uow, api_key.encode(), table=TABLE, row_id=str(upstream.id), field="api_key_sealed")
        if api_key
        else None
    )
    upstream.set_by, upstream.set_at = principal.label, uow.clock.now()
    if existing is None:
        uow.session.add(upstream)
    closing.bump(row)
    uow.session.flush()
    audit.record(
        uow, principal, EngagementTag.UPSTREAM_SET, target_type="engagement", target_id=row.id, details={"variant": variant}
    )
    return engagement_view(uow, row, principal)


def remove_upstream(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, variant: str) -> EngagementView:
    """Disconnect one variant's upstream: its sealed URL and key are deleted.

    The gateway stops forwarding to it on the next call in every process (the access epoch moves on).

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
    row = get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_MANAGE)
    if variant not in VARIANTS:
        raise ValidationFailed(f"variant must be one of: {', '.join(VARIANTS)}", field="variant")
    existing = uow.session.scalar(select(Upstream).where(Upstream.engagement_id == row.id, Upstream.variant == variant))
    if existing is None:  # already disconnected: nothing to do (a repeated DELETE is not an error)
        return engagement_view(uow, row, principal)
    uow.session.delete(existing)
    closing.bump(row)
    uow.session.flush()
    audit.record(
        uow, principal, EngagementTag.UPSTREAM_REMOVED, target_type="engagement", target_id=row.id, details={"variant": variant}
    )
    return engagement_view(uow, row, principal)


def token_view(t: GatewayToken) -> GatewayTokenView:
    """The owner's view of a token row."""
    return GatewayTokenView(t.id, t.engagement_id, t.name, t.lookup, t.created_at, t.revoked_at)


def issue_token(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, name: str) -> IssuedGatewayToken:
    """A personal gateway token for one engagement, shown once.

    Only people (not API tokens) mint them, and only once their organization has accepted the
    engagement's current terms (before that, every call the token made would be refused).

    Args:
        uow: The unit of work.
        principal: The signed-in participant minting the token.
        engagement_id: The engagement the token opens on the gateway.
        name: What the token is for (1 to 100 characters; not the playground's own name).

    Returns:
        The token's metadata and, this once, its plaintext.

    Raises:
        NotFound: The engagement does not exist, or the principal may not see it.
        PermissionDenied: The principal takes no part, calls with an API token, or its
            organization has not accepted the current terms (audited like every refusal).
        ValidationFailed: The name is empty, too long, or the playground's own.
    """
    row = get_row_for(uow, principal, engagement_id, Permission.GATEWAY_TOKEN_ISSUE)
    clean = name.strip()
    if not 1 <= len(clean) <= 100:
        raise ValidationFailed("name must have 1 to 100 characters", field="name")
    if clean.casefold() == PLAYGROUND_TOKEN_NAME:
        raise ValidationFailed(f"the name {PLAYGROUND_TOKEN_NAME!r} is kept for the playground's own token", field="name")
    return mint(uow, principal, row.id, name=clean)


def mint(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, name: str, details: dict[str, Any] | None = None
) -> IssuedGatewayToken:
    """Mint and audit a gateway token for a principal already authorized to have one.

    Only the token's digest is stored; the audit entry names its public ``lookup`` part.
    """
    minted = mint_token(GATEWAY_TOKEN_PREFIX)
    assert principal.user_id is not None
    token = GatewayToken(
        id=new_id(),
        engagement_id=engagement_id,
        user_id=principal.user_id,
        name=name,
        lookup=minted.lookup,
        token_digest=minted.digest,
        created_at=uow.clock.now(),
    )
    uow.session.add(token)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        EngagementTag.GATEWAY_TOKEN_ISSUED,
        target_type="engagement",
        target_id=engagement_id,
        details={"lookup": minted.lookup, **(details or {})},
    )
    return IssuedGatewayToken(token_view(token), minted.plaintext)


def list_my_tokens(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID | None = None) -> list[GatewayTokenView]:
    """The principal's own gateway tokens (nobody lists another person's)."""
    if principal.user_id is None:
        return []
    stmt = select(GatewayToken).where(GatewayToken.user_id == principal.user_id).order_by(GatewayToken.created_at.desc())
    if engagement_id is not None:
        stmt = stmt.where(GatewayToken.engagement_id == engagement_id)
    return [token_view(t) for t in uow.session.scalars(stmt)]


def revoke_token(uow: UnitOfWork, principal: Principal, token_id: uuid.UUID) -> GatewayTokenView:
    """Revoke one of the principal's own tokens (another person's is ``NotFound``)."""
    token = uow.session.get(GatewayToken, token_id)
    if token is None or token.user_id != principal.user_id:
        raise NotFound(f"gateway token {token_id} not found")
    revoke(uow, principal, token)
    return token_view(token)


def revoke(uow: UnitOfWork, principal: Principal, token: GatewayToken, *, reason: str | None = None) -> None:
    """Revoke ``token`` now and audit it; a revoked token stays as it is."""
    if token.revoked_at is not None:
        return
    token.revoked_at = uow.clock.now()
    audit.record(
        uow,
        principal,
        EngagementTag.GATEWAY_TOKEN_REVOKED,
        target_type="engagement",
        target_id=token.engagement_id,
        details={"lookup": token.lookup},
        reason=reason,
    )


@dataclass(frozen=True)
class UsageRow:
    """Calls and tokens of one participant on one UTC day."""

    organization_name: str
    participant_id: uuid.UUID
    day: date
    requests: int
    refused: int
    prompt_tokens: int
    completion_tokens: int


def list_usage(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[UsageRow]:
    """Calls and tokens per participant per day, latest first (a participant sees its own)."""
    row = get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_USAGE_READ)
    stmt = (
        select(
            AccessLog.participant_id,
            AccessLog.organization_id,
            AccessLog.day,
            func.count().filter(AccessLog.status < 400),
            func.count().filter(AccessLog.status >= 400),
            func.coalesce(func.sum(AccessLog.prompt_tokens), 0),
            func.coalesce(func.sum(AccessLog.completion_tokens), 0),
        )
        .where(AccessLog.engagement_id == row.id, AccessLog.kind == "gateway", AccessLog.participant_id.is_not(None))
        .group_by(AccessLog.participant_id, AccessLog.organization_id, AccessLog.day)
        .order_by(AccessLog.day.desc())
    )
    sees_all = decide(uow, principal, Permission.ENGAGEMENT_MANAGE, get_ref(uow, row), uow.clock.now()).allowed
    sees_all = sees_all or principal.org_kind is OrgKind.PROGRAM_OFFICE or principal.is_system
    if not sees_all:
        stmt = stmt.where(AccessLog.organization_id == principal.org_id)
    found: list[tuple[Any, ...]] = [tuple(r) for r in uow.session.execute(stmt)]
    names = {org: org_name(uow, org) for org in {r[1] for r in found if r[1] is not None}}
    return [
        UsageRow(names.get(org, "?") if org else "?", pid, day, int(ok), int(bad), int(pt), int(ct))
        for pid, org, day, ok, bad, pt, ct in found
        if pid is not None
    ]
