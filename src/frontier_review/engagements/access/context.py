"""The one access-context loader: what decides a gateway call, an artifact download or a filing.

Every caller gets the same typed record (:class:`~.domain.AccessContext`) from the same columns,
in one query: the gateway by token digest on every call (:class:`ContextLoader`, a prepared
statement; on PostgreSQL the calls of one turn of the event loop share one), services for a
signed-in principal (:func:`get_access_context`). This loader caches nothing, so a revocation, a
release or a terms change holds on the very next read in every process. (The gateway on
PostgreSQL reuses what it read between calls only while nothing in :data:`ACCESS_TABLES` has
changed since, checked on every call: ``gateway.recent``.)

Deliberate exception: this module's query joins the identity area's ``users`` and
``organizations`` and the registry's ``models`` and ``model_versions`` tables directly. The
gateway runs it on every call, and one round trip per call (or per batch) is what keeps its overhead in
budget (docs/performance.md); going through each area's service would cost four.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ARRAY, Select, String, Table, and_, any_, bindparam, exists, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.sql.util import find_tables

from frontier_review.db.async_reads import AsyncReads
from frontier_review.db.prepared import PreparedSelect
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.access.domain import AccessContext, CallContext
from frontier_review.engagements.access.orm import GatewayToken
from frontier_review.engagements.lifecycle.domain import (
    ClosedReason,
    Cohort,
    EngagementState,
    Materials,
    Quotas,
    Recipients,
    Window,
    public_model_id,
)
from frontier_review.engagements.lifecycle.orm import Engagement, Participant, PartnerDesignation, RevokedUser, TermsVersion
from frontier_review.identity.orm import Organization, User  # deliberate exception: see the module docstring
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.registry.orm import Model, ModelVersion  # deliberate exception: see the module docstring

__all__ = ["ACCESS_TABLES", "BATCH_QUERY", "QUERY", "ContextLoader", "get_access_context"]

_revoked_user = exists().where(and_(RevokedUser.engagement_id == Engagement.id, RevokedUser.user_id == User.id))
_designation = (
    select(func.max(PartnerDesignation.expires_at))
    .where(PartnerDesignation.organization_id == User.organization_id, PartnerDesignation.revoked_at.is_(None))
    .scalar_subquery()
)
# The columns of one context, by name: rows are read by these names, never by position.
_FIELDS: dict[str, Any] = {
    "user_id": User.id,
    "email": User.email,
    "user_active": User.is_active,
    "organization_id": User.organization_id,
    "engagement_id": Engagement.id,
    "state": Engagement.state,
    "closed_reason": Engagement.closed_reason,
    "window_start": Engagement.window_start,
    "window_end": Engagement.window_end,
    "recipients": Engagement.recipients,
    "partners_from": Engagement.partners_from,
    "current_terms": Engagement.current_terms,
    "access_epoch": Engagement.access_epoch,
    "version_status": ModelVersion.status,
    "version_label": ModelVersion.label,
    "model_name": Model.name,
    "participant_id": Participant.id,
    "cohort": Participant.cohort,
    "accepted_terms": Participant.accepted_terms,
    "participant_revoked_at": Participant.revoked_at,
    "requests_per_day": Participant.requests_per_day,
    "tokens_per_day": Participant.tokens_per_day,
    "requests_per_minute": Participant.requests_per_minute,
    "user_revoked": _revoked_user,
    "designation_until": _designation,
    "protections": TermsVersion.protections,
    "materials": TermsVersion.materials,
    "org_kind": Organization.kind,
}
_TOKEN_FIELDS: dict[str, Any] = {"token_id": GatewayToken.id, "token_revoked_at": GatewayToken.revoked_at}
_COLUMNS = tuple(column.label(name) for name, column in _FIELDS.items())
_NAMES = tuple(_FIELDS)
_CALL_NAMES = (*_TOKEN_FIELDS, *_FIELDS)
_TERMS = and_(TermsVersion.engagement_id == Engagement.id, TermsVersion.number == Engagement.current_terms)
_PARTICIPANT = and_(Participant.engagement_id == Engagement.id, Participant.organization_id == User.organization_id)


def _engagement_joins(query: Select[Any]) -> Select[Any]:
    return (
        query.join(ModelVersion, ModelVersion.id == Engagement.model_version_id)
        .join(Model, Model.id == ModelVersion.model_id)
        .join(TermsVersion, _TERMS)
        .outerjoin(Participant, _PARTICIPANT)
    )


def _by_token(*extra: Any) -> Select[Any]:
    """The gateway's columns (then ``extra``) for tokens, before the WHERE that picks them."""
    return _engagement_joins(
        select(*(column.label(name) for name, column in _TOKEN_FIELDS.items()), *_COLUMNS, *extra)
        .join(User, User.id == GatewayToken.user_id)
        .join(Organization, Organization.id == User.organization_id)
        .join(Engagement, Engagement.id == GatewayToken.engagement_id)
    )


# The gateway's query, by token digest: one round trip per call.
QUERY = _by_token().where(GatewayToken.token_digest == bindparam("digest"))

# The gateway's query on PostgreSQL: the calls that arrived in one turn of the event loop, read
# together (``ContextLoader.fetch``); each row names its digest last.
BATCH_QUERY = _by_token(GatewayToken.token_digest.label("digest")).where(
    GatewayToken.token_digest == any_(bindparam("digests", type_=ARRAY(String)))
)
BATCH = 256  # digests per statement at most

# Every table the gateway's query reads: a committed write to one of them is announced to the
# gateways (``db.changes``), which then stop reusing the contexts they read before it.
ACCESS_TABLES = frozenset(t.name for t in find_tables(QUERY, check_columns=True) if isinstance(t, Table))

# The same facts for a signed-in person on one engagement (artifact downloads, filings).
PRINCIPAL_QUERY = _engagement_joins(
    select(*_COLUMNS)
    .select_from(Engagement)
    .outerjoin(User, User.id == bindparam("user_id"))
    .outerjoin(Organization, Organization.id == User.organization_id)
).where(Engagement.id == bindparam("engagement_id"))


class ContextLoader:
    """Runs :data:`QUERY` (or :data:`BATCH_QUERY`), compiled once for the engine: it runs on every gateway call."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._query = PreparedSelect(engine, QUERY)
        self._own: Any = None
        self._inline = engine.dialect.name == "sqlite"
        self._batch = None if self._inline else PreparedSelect(engine, BATCH_QUERY)
        self._reads: AsyncReads | None = None
        self._pending: dict[str, list[asyncio.Future[CallContext | None]]] = {}
        self._reading: set[asyncio.Task[None]] = set()  # held so a batch is never collected half-way
        self._closed = False

    def load(self, digest: str) -> CallContext | None:
        """The context for a token digest; None when no such token exists (a revoked one says so)."""
        return self._context(self._query.first({"digest": digest}), digest)

    async def fetch(self, digest: str) -> CallContext | None:
        """:meth:`load`, for the event loop: without leaving it, and without the pool's checkout.

        On SQLite the query runs right here on a connection of this loader's own: SQLite answers
        from this process's memory in a fraction of a millisecond, so a thread hop would only add
        latency and queueing. Each SELECT runs outside any transaction (the driver begins one only
        before a write), so it sees every commit made before it.

        On PostgreSQL it goes to the server from the event loop on an autocommit connection
        (``db.async_reads``), which serves other calls meanwhile. The calls that ask in the same
        turn of the event loop are read by one statement at the end of that turn
        (:data:`BATCH_QUERY`): under load that is one round trip, one write and one wait for
        many calls instead of one each, and on a 2-core machine the system calls and the
        driver's per-query work were about a third of the gateway's time (docs/performance.md).
        The statement still starts after every call in it arrived, so a revocation committed
        before a call holds for that call, as it does on SQLite.
        """
        if self._inline:
            if self._own is None:
                self._own = self._engine.raw_connection()
            return self._context(self._query.first({"digest": digest}, self._own), digest)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[CallContext | None] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._read_pending)
        self._pending.setdefault(digest, []).append(waiter)
        return await waiter

    def _read_pending(self) -> None:
        pending, self._pending = self._pending, {}
        if self._closed:  # asked just as the server shut down: those calls end unanswered
            for futures in pending.values():
                for future in futures:
                    future.cancel()
            return
        digests = list(pending)
        for start in range(0, len(digests), BATCH):
            chunk = {digest: pending[digest] for digest in digests[start : start + BATCH]}
            task = asyncio.get_running_loop().create_task(self._read(chunk))
            self._reading.add(task)
            task.add_done_callback(self._reading.discard)

    async def _read(self, waiters: dict[str, list[asyncio.Future[CallContext | None]]]) -> None:
        assert self._batch is not None
        try:
            if self._reads is None:
                self._reads = AsyncReads(self._engine)
            rows = await self._reads.rows(self._batch, {"digests": list(waiters)})
        except Exception as exc:  # every call of the batch fails as its own read would have
            for future in _waiting(waiters):
                future.set_exception(exc)
            return
        except BaseException:  # the loader is closing
            for future in _waiting(waiters):
                future.cancel()
            raise
        found = {row[-1]: row[:-1] for row in rows}
        for digest, futures in waiters.items():
            context = self._context(found.get(digest), digest)
            for future in futures:
                if not future.done():  # a call that was cut meanwhile no longer waits
                    future.set_result(context)

    @staticmethod
    def _context(values: tuple[Any, ...] | None, digest: str) -> CallContext | None:
        return None if values is None else _call_context(dict(zip(_CALL_NAMES, values, strict=True)), digest)

    async def aclose(self) -> None:
        """Close the loader's own connections, if it opened any."""
        self._closed = True
        for task in list(self._reading):
            task.cancel()
        if self._reading:
            await asyncio.wait(self._reading)
        if self._own is not None:
            self._own.close()
            self._own = None
        if self._reads is not None:
            await self._reads.aclose()
            self._reads = None


def _waiting(waiters: dict[str, list[asyncio.Future[CallContext | None]]]) -> list[asyncio.Future[CallContext | None]]:
    """The calls of a batch still waiting for their context (one that was cut meanwhile is not)."""
    return [future for futures in waiters.values() for future in futures if not future.done()]


def get_access_context(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> AccessContext:
    """The same facts the gateway loads for a call, for ``principal`` on the engagement right now.

    A principal that is no person, or whose organization does not take part, gets a context that
    admission refuses (inactive, or its participant revoked).
    """
    values = uow.session.execute(PRINCIPAL_QUERY, {"user_id": principal.user_id, "engagement_id": engagement_id}).one()
    return _access(dict(zip(_NAMES, values, strict=True)))


def _access(row: dict[str, Any]) -> AccessContext:
    part_id = row["participant_id"]
    return AccessContext(
        engagement_id=row["engagement_id"],
        participant_id=part_id or uuid.UUID(int=0),
        user_id=row["user_id"] or uuid.UUID(int=0),
        state=EngagementState(row["state"]),
        closed_reason=ClosedReason(row["closed_reason"]) if row["closed_reason"] else None,
        version_status=row["version_status"],
        window=Window(_utc(row["window_start"]), _utc(row["window_end"])),
        cohort=Cohort(row["cohort"]) if row["cohort"] else Cohort.GOVERNMENT,
        recipients=Recipients(row["recipients"]),
        partners_from=_utc(row["partners_from"]) if row["partners_from"] else None,
        current_terms=row["current_terms"],
        accepted_terms=row["accepted_terms"],
        participant_revoked=part_id is None or row["participant_revoked_at"] is not None,
        user_revoked=bool(row["user_revoked"]),
        user_active=bool(row["user_active"]),
        partner_designation_until=_utc(row["designation_until"]) if row["designation_until"] else None,
        materials=_materials(row["materials"]),
    )


def _call_context(row: dict[str, Any], digest: str) -> CallContext:
    program_office = row["org_kind"] == OrgKind.PROGRAM_OFFICE.value
    return CallContext(
        access=_access(row),
        token_id=row["token_id"],
        user_label=row["email"],
        organization_id=row["organization_id"],
        quotas=Quotas(row["requests_per_day"], row["tokens_per_day"], row["requests_per_minute"])
        if row["participant_id"]
        else None,
        access_epoch=row["access_epoch"],
        model_id=public_model_id(row["model_name"], row["version_label"]),
        # Program-office calls are classified benchmark samples: never kept, whatever the terms say (E1).
        transcripts=bool((row["protections"] or {}).get("transcript_retention")) and not program_office,
        token_digest=digest,
        token_revoked=row["token_revoked_at"] is not None,
        program_office=program_office,
    )


def _materials(stored: Any) -> Materials:
    """The terms' materials as stored (JSON); unknown keys are ignored, missing ones take the defaults."""
    if not isinstance(stored, dict):
        return Materials()
    known = Materials.__dataclass_fields__
    return Materials(**{k: bool(v) for k, v in stored.items() if k in known})


def _utc(value: Any) -> Any:
    """SQLite hands back naive datetimes (stored as UTC); make them aware."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
