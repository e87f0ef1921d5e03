"""Loading what one gateway call needs, in one query, every call.

Nothing that decides access is cached across requests, so a revocation, a release or a terms
change holds on the very next request in every process. Only the decrypted upstream is cached,
keyed by the engagement's ``access_epoch``, which every change to it bumps.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.engine import Engine

from frontier_review.db.prepared import PreparedSelect
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements import access
from frontier_review.engagements.domain import (
    AccessContext,
    ClosedReason,
    Cohort,
    EngagementState,
    Materials,
    Quotas,
    Recipients,
    Window,
)
from frontier_review.engagements.orm import (
    Engagement,
    GatewayToken,
    Participant,
    PartnerDesignation,
    RevokedUser,
    TermsVersion,
    Upstream,
)
from frontier_review.engagements.service import public_model_id
from frontier_review.identity.domain import OrgKind
from frontier_review.identity.orm import Organization, User
from frontier_review.registry.orm import Model, ModelVersion


@dataclass(frozen=True)
class CallContext:
    """The caller and the engagement, as of this request."""

    access: AccessContext
    token_id: uuid.UUID
    user_label: str
    organization_id: uuid.UUID | None
    quotas: Quotas | None
    access_epoch: int
    model_id: str
    transcripts: bool
    token_digest: str = ""
    token_revoked: bool = False
    program_office: bool = False  # its calls carry classified benchmark items (E1)

    @property
    def participant_id(self) -> uuid.UUID | None:
        return self.access.participant_id if self.quotas is not None else None


_revoked_user = exists().where(and_(RevokedUser.engagement_id == Engagement.id, RevokedUser.user_id == User.id))
_designation = (
    select(func.max(PartnerDesignation.expires_at))
    .where(PartnerDesignation.organization_id == User.organization_id, PartnerDesignation.revoked_at.is_(None))
    .scalar_subquery()
)

QUERY = (
    select(
        GatewayToken.id,
        GatewayToken.revoked_at,
        User.id,
        User.email,
        User.is_active,
        User.organization_id,
        Engagement.id,
        Engagement.state,
        Engagement.closed_reason,
        Engagement.window_start,
        Engagement.window_end,
        Engagement.recipients,
        Engagement.partners_from,
        Engagement.current_terms,
        Engagement.access_epoch,
        ModelVersion.status,
        ModelVersion.label,
        Model.name,
        Participant.id,
        Participant.cohort,
        Participant.accepted_terms,
        Participant.revoked_at,
        Participant.requests_per_day,
        Participant.tokens_per_day,
        Participant.requests_per_minute,
        _revoked_user,
        _designation,
        TermsVersion.protections,
        TermsVersion.materials,
        Organization.kind,
    )
    .join(User, User.id == GatewayToken.user_id)
    .join(Organization, Organization.id == User.organization_id)
    .join(Engagement, Engagement.id == GatewayToken.engagement_id)
    .join(ModelVersion, ModelVersion.id == Engagement.model_version_id)
    .join(Model, Model.id == ModelVersion.model_id)
    .join(TermsVersion, and_(TermsVersion.engagement_id == Engagement.id, TermsVersion.number == Engagement.current_terms))
    .outerjoin(Participant, and_(Participant.engagement_id == Engagement.id, Participant.organization_id == User.organization_id))
    .where(GatewayToken.token_digest == bindparam("digest"))
)


class ContextLoader:
    """Runs :data:`QUERY`, compiled once for the engine (it runs on every gateway call)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._query = PreparedSelect(engine, QUERY)
        self._own: Any = None

    def load(self, digest: str) -> CallContext | None:
        """The context for a token digest; None when no such token exists (a revoked one says so)."""
        values = self._query.first({"digest": digest})
        return None if values is None else _context(values, digest)

    def load_inline(self, digest: str) -> CallContext | None:
        """:meth:`load` on a connection of this loader's own, for the serving thread on SQLite.

        The pool's checkout and reset cost more than the query. Each SELECT runs outside any
        transaction (the driver begins one only before a write), so it sees every commit made
        before it: a revocation holds on the next call, as with a pooled connection.
        """
        if self._own is None:
            self._own = self._engine.raw_connection()
        values = self._query.first({"digest": digest}, self._own)
        return None if values is None else _context(values, digest)

    def close(self) -> None:
        if self._own is not None:
            self._own.close()
            self._own = None


def _context(values: tuple[Any, ...], digest: str) -> CallContext:
    (token_id, token_revoked, user_id, email, active, org_id, eng_id, state, reason, start, end, recipients, partners_from) = (
        values[:13]
    )
    (current, epoch, v_status, v_label, m_name, part_id, cohort, accepted, part_revoked) = values[13:22]
    (rpd, tpd, rpm, user_revoked, designation_until, protections, materials, org_kind) = values[22:30]
    ctx = AccessContext(
        engagement_id=eng_id,
        participant_id=part_id or uuid.UUID(int=0),
        user_id=user_id,
        state=EngagementState(state),
        closed_reason=ClosedReason(reason) if reason else None,
        version_status=v_status,
        window=Window(_utc(start), _utc(end)),
        cohort=Cohort(cohort) if cohort else Cohort.GOVERNMENT,
        recipients=Recipients(recipients),
        partners_from=_utc(partners_from) if partners_from else None,
        current_terms=current,
        accepted_terms=accepted,
        participant_revoked=part_id is None or part_revoked is not None,
        user_revoked=bool(user_revoked),
        user_active=bool(active),
        partner_designation_until=_utc(designation_until) if designation_until else None,
        materials=_materials(materials),
    )
    return CallContext(
        access=ctx,
        token_id=token_id,
        user_label=email,
        organization_id=org_id,
        quotas=Quotas(rpd, tpd, rpm) if part_id else None,
        access_epoch=epoch,
        model_id=public_model_id(m_name, v_label),
        # Program-office calls are classified benchmark samples: never kept, whatever the terms say (E1).
        transcripts=bool((protections or {}).get("transcript_retention")) and org_kind != OrgKind.PROGRAM_OFFICE.value,
        token_digest=digest,
        token_revoked=token_revoked is not None,
        program_office=org_kind == OrgKind.PROGRAM_OFFICE.value,
    )


def _materials(stored: Any) -> Materials:
    """The terms' materials as stored (JSON); unknown keys are ignored, missing ones take the defaults."""
    if not isinstance(stored, dict):
        return Materials()
    known = Materials.__dataclass_fields__
    return Materials(**{k: bool(v) for k, v in stored.items() if k in known})


def _utc(value: Any) -> Any:
    """SQLite hands back naive datetimes (stored as UTC); make them aware."""
    from datetime import UTC

    if value is not None and getattr(value, "tzinfo", None) is None:
        return value.replace(tzinfo=UTC)
    return value


@dataclass(frozen=True)
class UpstreamTarget:
    variant: str
    base_url: str
    api_key: str | None
    upstream_model: str


class UpstreamCache:
    """Decrypted upstreams per engagement, valid for one ``access_epoch``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[uuid.UUID, tuple[int, dict[str, UpstreamTarget]]] = {}

    def peek(self, engagement_id: uuid.UUID, epoch: int) -> dict[str, UpstreamTarget] | None:
        """The cached upstreams if still current (no I/O: safe on the event loop)."""
        hit = self._entries.get(engagement_id)
        return hit[1] if hit is not None and hit[0] == epoch else None

    def get(self, engagement_id: uuid.UUID, epoch: int, load_all: Any) -> dict[str, UpstreamTarget]:
        with self._lock:
            hit = self._entries.get(engagement_id)
        if hit is not None and hit[0] == epoch:
            return hit[1]
        targets: dict[str, UpstreamTarget] = load_all(engagement_id)
        with self._lock:
            self._entries[engagement_id] = (epoch, targets)
        return targets


def load_upstreams(uow_factory: Any, engagement_id: uuid.UUID) -> dict[str, UpstreamTarget]:
    uow: UnitOfWork
    with uow_factory() as uow:
        out = {}
        for row in uow.session.scalars(select(Upstream).where(Upstream.engagement_id == engagement_id)):
            url, key = access.open_upstream(uow, row)
            out[row.variant] = UpstreamTarget(row.variant, url, key, row.upstream_model)
        return out
