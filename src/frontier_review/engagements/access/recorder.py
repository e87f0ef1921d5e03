"""The access log: one row per gateway call or artifact download, durable before the response completes.

A background writer chains the rows into the audit log within a bounded delay (DESIGN §3.7).

Rows are written by one thread per process in group commits: concurrent calls share one
transaction, and each call waits only for the commit that holds its row.

A call forwarded to a model is written ahead: its row (who, engagement, variant, when) goes in
*in flight* while the upstream works, and the call awaits that commit before its first
response byte. Since the row has the upstream's time to land, it waits up to ``GATHER`` for
other calls' rows to share its transaction, unless a call already waits for it (``hurry``).
The outcome (status, tokens, latency, transcript) is written just after the response, off
every caller's path, within ``OUTCOME_DELAY`` (in the next row's transaction when calls keep
coming). A row is chained once its outcome is in; a row still in flight after the longest
possible call (the process died in between) is chained as *unfinished*, so no call is lost or
left unchained.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Engine

from frontier_review.audit import service as audit
from frontier_review.audit.domain import Outcome
from frontier_review.config import Settings
from frontier_review.db.prepared import PreparedWrite, SharedWrite
from frontier_review.db.uow import UnitOfWork, UnitOfWorkFactory
from frontier_review.engagements.access import upstreams
from frontier_review.engagements.access.orm import AccessLog
from frontier_review.engagements.access.refusals import REFUSAL_INTERVAL, RefusalTally, write_refusals
from frontier_review.engagements.tags import EngagementTag, GatewayTag
from frontier_review.security import service as security

log = logging.getLogger(__name__)
BATCH = 256
# Small chaining transactions: the chain holds the database's write lock (SQLite has one), and
# the recorder's commits on the request path must not wait long behind it.
CHAIN_BATCH = 200
GATEWAY_KIND = "gateway"  # the access-log kind of a gateway call
DOWNLOAD_KIND = "artifact_download"  # the access-log kind of an artifact download
# The audit action each access-log kind is chained as.
KIND_ACTIONS = {GATEWAY_KIND: GatewayTag.CALL, DOWNLOAD_KIND: EngagementTag.ARTIFACT_DOWNLOAD}
ACCESS_ACTIONS = tuple(KIND_ACTIONS.values())
IN_FLIGHT = "in_flight"
# How long an outcome may wait for the next row's transaction before it is written alone.
OUTCOME_DELAY = 0.1
# How long a row written ahead waits for others to share its transaction. A model takes tens of
# milliseconds at the least, and a call whose answer came first hurries the write, so no call
# waits for this; fewer, larger transactions cost PostgreSQL, this thread and the event loop's
# wake-ups less per call (docs/performance.md, "Session 14").
GATHER = 0.008
UNFINISHED = "unfinished"
# Access-log detail never copied into the audit chain.
LOG_ONLY = frozenset({"upstream_error"})
# The columns an outcome sets on a row written ahead.
OUTCOME_COLUMNS = ("status", "outcome", "prompt_tokens", "completion_tokens", "latency_ms", "detail", "transcript_sealed")


@dataclass
class AccessRecord:
    """One access-log row to write (a call, its outcome, or a download)."""

    kind: str
    at: datetime
    engagement_id: uuid.UUID
    actor_label: str
    status: int
    outcome: str
    participant_id: uuid.UUID | None = None
    organization_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    token_id: uuid.UUID | None = None
    variant: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency_ms: float = 0.0
    detail: dict[str, Any] = field(default_factory=dict)
    transcript: dict[str, Any] | None = None
    ref: uuid.UUID = field(default_factory=uuid.uuid4)


def write(uow: UnitOfWork, records: list[AccessRecord]) -> None:
    """Insert records in the caller's transaction, sealing transcripts."""
    if records:
        uow.session.execute(insert(AccessLog), _rows(records, _seal(uow, records)))


def _seal(uow: UnitOfWork, records: list[AccessRecord]) -> dict[uuid.UUID, bytes]:
    return {
        r.ref: security.seal_field(
            uow, json.dumps(r.transcript).encode(), table="access_log", row_id=str(r.ref), field="transcript_sealed"
        )
        for r in records
        if r.transcript is not None
    }


# An outcome never changes a row already chained: its audit entry is final.
_OUTCOME_UPDATE = update(AccessLog).where(AccessLog.ref == bindparam("row_ref"), AccessLog.audit_entry_id.is_(None))


def _outcome_rows(records: list[AccessRecord], sealed: dict[uuid.UUID, bytes]) -> list[dict[str, Any]]:
    return [{"row_ref": row["ref"], **{name: row[name] for name in OUTCOME_COLUMNS}} for row in _rows(records, sealed)]


COLUMNS = (
    "ref",
    "at",
    "kind",
    "engagement_id",
    "participant_id",
    "organization_id",
    "user_id",
    "actor_label",
    "token_id",
    "variant",
    "status",
    "outcome",
    "prompt_tokens",
    "completion_tokens",
    "latency_ms",
    "day",
    "detail",
    "transcript_sealed",
    "audit_entry_id",
)


def _rows(records: list[AccessRecord], sealed: dict[uuid.UUID, bytes]) -> list[dict[str, Any]]:
    """Rows for one bulk INSERT without RETURNING (nothing needs the new ids back)."""
    return [
        {
            "ref": r.ref,
            "at": r.at,
            "kind": r.kind,
            "engagement_id": r.engagement_id,
            "participant_id": r.participant_id,
            "organization_id": r.organization_id,
            "user_id": r.user_id,
            "actor_label": r.actor_label,
            "token_id": r.token_id,
            "variant": r.variant,
            "status": r.status,
            "outcome": r.outcome,
            "prompt_tokens": r.prompt_tokens,
            "completion_tokens": r.completion_tokens,
            "latency_ms": round(r.latency_ms, 3),
            "day": r.at.date(),
            "detail": r.detail,
            "transcript_sealed": sealed.get(r.ref),
            "audit_entry_id": None,
        }
        for r in records
    ]


Item = tuple[AccessRecord, "asyncio.Future[None] | None", "asyncio.AbstractEventLoop | None"]
_FLUSH: Item = cast(Item, ())  # stands for "the outcomes' delay is over"


class AccessRecorder:
    """Group-commit writer thread.

    ``await record(r)`` returns once ``r`` is committed; ``begin(r)`` writes a call's row ahead
    (the caller awaits the returned future before responding) and ``finish(r)`` writes its
    outcome without waiting.
    """

    def __init__(self, uow_factory: UnitOfWorkFactory, engine: Engine) -> None:
        self._uow = uow_factory
        self._engine = engine
        self._insert = PreparedWrite(engine, insert(AccessLog), COLUMNS)
        self._outcome = PreparedWrite(engine, _OUTCOME_UPDATE, OUTCOME_COLUMNS)
        self._queue: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self._hurry = threading.Event()
        # The writer thread's own connection, held between batches: the pool's checkout (with
        # PostgreSQL's pre-ping round trip) and reset cost more than a small batch's INSERT.
        self._raw: Any = None
        self._thread = threading.Thread(target=self._run, name="access-recorder", daemon=True)
        self._thread.start()

    async def record(self, record: AccessRecord) -> None:
        done = self.begin(record)
        self.hurry(done)
        await done

    def begin(self, record: AccessRecord) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((record, done, loop))
        return done

    def hurry(self, done: asyncio.Future[None]) -> None:
        """Somebody waits for the row begun with :meth:`begin` (``done``): stop gathering, write it."""
        if not done.done():
            self._hurry.set()

    def finish(self, record: AccessRecord) -> None:
        """The outcome of a call begun with :meth:`begin` (same ``ref``); failures are logged."""
        self._queue.put((record, None, None))

    def close(self) -> None:
        self._queue.put(None)
        self._hurry.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        outcomes: list[AccessRecord] = []
        flush_at = 0.0
        while True:
            # Outcomes wait for the next row (they share its transaction) or for OUTCOME_DELAY:
            # a write right after a response would compete with the next call for the CPU.
            timeout = max(0.0, flush_at - time.monotonic()) if outcomes else None
            try:
                first = self._queue.get(timeout=timeout)
            except queue.Empty:
                first = _FLUSH
            if first is None:
                self._write_safely([], outcomes)
                self._release_connection()
                return
            batch = [] if first is _FLUSH else [first]
            if first is not _FLUSH and first[1] is not None:  # a row written ahead: wait for company
                self._hurry.wait(GATHER)
            # Cleared before the queue is drained: a hurry for a row still queued after the
            # drain stays set, so the next batch does not wait.
            self._hurry.clear()
            while len(batch) < BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            rows = [r for r, done, _ in batch if done is not None]
            if not outcomes:
                flush_at = time.monotonic() + OUTCOME_DELAY
            outcomes += [r for r, done, _ in batch if done is None]
            if not rows and time.monotonic() < flush_at:
                continue
            error = self._write_safely(rows, outcomes)
            outcomes = []
            waiting: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
            for _, done, loop in batch:
                if done is not None and loop is not None:
                    waiting.setdefault(loop, []).append(done)
            for loop, futures in waiting.items():  # one wake-up of each loop, not one per row
                with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                    loop.call_soon_threadsafe(_settle, futures, error)

    def _write_safely(self, rows: list[AccessRecord], outcomes: list[AccessRecord]) -> BaseException | None:
        if not rows and not outcomes:
            return None
        try:
            self._write(rows, outcomes)
        except Exception as exc:  # callers answer 503; nothing is served unrecorded
            log.exception("access log write failed")
            return exc
        return None

    def _write(self, rows: list[AccessRecord], outcomes: list[AccessRecord]) -> None:
        """New rows first, then outcomes (a row and its outcome may share a batch)."""
        if any(r.transcript is not None for r in rows + outcomes):
            with self._uow() as uow:  # sealing transcripts needs data keys in the same transaction
                sealed = _seal(uow, rows + outcomes)
                if rows:
                    uow.session.execute(insert(AccessLog), _rows(rows, sealed))
                if outcomes:
                    uow.session.connection().execute(_OUTCOME_UPDATE, _outcome_rows(outcomes, sealed))
            return
        # The common case, on the calls' path: prepared statements on the writer's own connection.
        for attempt in (1, 2):
            fresh = self._raw is None
            raw = self._raw = self._raw or self._engine.raw_connection()
            try:
                cursor = raw.cursor()
                try:
                    if rows:
                        self._insert.execute(cursor, _rows(rows, {}))
                    if outcomes:
                        self._outcome.execute(cursor, _outcome_rows(outcomes, {}))
                finally:
                    cursor.close()
                raw.commit()
                return
            except Exception as exc:
                self._raw = None
                raw.invalidate()  # closed, never handed to anyone else
                # A connection held since the last batch may have died meanwhile (the server
                # restarted): one more try on a new one. A fresh connection's failure is real.
                if fresh or attempt == 2 or not isinstance(exc, self._engine.dialect.loaded_dbapi.OperationalError):
                    raise

    def _release_connection(self) -> None:
        if self._raw is not None:
            self._raw.close()
            self._raw = None


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for done in futures:
        if done.done():
            continue
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)


def in_flight_grace(settings: Settings) -> timedelta:
    """How long a row may stay in flight: the longest call the gateway allows, and a margin."""
    return timedelta(seconds=settings.gateway_upstream_timeout_seconds + 60)


@dataclass(frozen=True)
class Backlog:
    """Access-log rows not yet folded into the audit chain (for monitoring)."""

    rows: int
    oldest_at: datetime | None


def unchained_backlog(uow: UnitOfWork) -> Backlog:
    """How many access-log rows wait for the chainer, and since when.

    One query, on the ``ix_access_log_unchained`` index.
    """
    rows, oldest = uow.session.execute(
        select(func.count(), func.min(AccessLog.at)).where(AccessLog.audit_entry_id.is_(None))
    ).one()
    return Backlog(rows=int(rows), oldest_at=oldest)


# What the chainer reads of each ready row: plain rows, no ORM objects (it runs hundreds a second).
_CHAIN_COLUMNS = (
    AccessLog.id,
    AccessLog.ref,
    AccessLog.kind,
    AccessLog.at,
    AccessLog.engagement_id,
    AccessLog.organization_id,
    AccessLog.user_id,
    AccessLog.actor_label,
    AccessLog.token_id,
    AccessLog.variant,
    AccessLog.status,
    AccessLog.outcome,
    AccessLog.prompt_tokens,
    AccessLog.completion_tokens,
    AccessLog.latency_ms,
    AccessLog.detail,
)
# Each chained row gets its entry (and, if it never got an outcome, ``unfinished``), by primary key.
_CHAINED = SharedWrite(
    update(AccessLog.__table__).where(AccessLog.__table__.c.id == bindparam("row_id")),  # type: ignore[arg-type]
    ("audit_entry_id", "outcome"),
)


def chain_pending(uow_factory: UnitOfWorkFactory, *, grace: timedelta, limit: int = CHAIN_BATCH) -> int:
    """Append an audit entry for each unchained access-log row that is ready; returns how many.

    A row is ready once its outcome is in, or once it stayed in flight longer than ``grace``.
    Rows are chained oldest first.
    """
    with uow_factory() as uow:
        head = audit.lock_chain(uow)  # before reading: two chainers never append the same row
        ready = or_(AccessLog.outcome != IN_FLIGHT, AccessLog.at < uow.clock.now() - grace)
        rows = uow.session.execute(
            select(*_CHAIN_COLUMNS).where(AccessLog.audit_entry_id.is_(None), ready).order_by(AccessLog.id).limit(limit)
        ).all()
        if not rows:
            return 0
        # The process ended before the call's outcome was written: chained as unfinished.
        outcomes = [UNFINISHED if row.outcome == IN_FLIGHT else row.outcome for row in rows]
        entries = [
            {
                "actor_label": row.actor_label,
                "actor_user_id": row.user_id,
                "actor_org_id": row.organization_id,
                "action": KIND_ACTIONS[row.kind],
                "outcome": _audit_outcome(row.status, outcome),
                "target_type": "engagement",
                "target_id": str(row.engagement_id),
                "reason": None if 0 < row.status < 400 else outcome,
                "occurred_at": row.at,
                "details": {
                    "access_log": str(row.ref),
                    "status": row.status,
                    "variant": row.variant,
                    "prompt_tokens": row.prompt_tokens,
                    "completion_tokens": row.completion_tokens,
                    "latency_ms": row.latency_ms,
                    "token": str(row.token_id) if row.token_id else None,
                    # An upstream's own error text stays in the access log: it may quote the prompt.
                    **{k: v for k, v in row.detail.items() if k not in LOG_ONLY},
                },
            }
            for row, outcome in zip(rows, outcomes, strict=True)
        ]
        chained = audit.append_many(uow, entries, head=head)
        _CHAINED.run(
            uow.session.connection(),
            [
                {"row_id": row.id, "audit_entry_id": entry_id, "outcome": outcome}
                for row, entry_id, outcome in zip(rows, chained, outcomes, strict=True)
            ],
        )
        # "Last used" of each upstream, set here in batches rather than on every call's path.
        last_used: dict[tuple[uuid.UUID, str], datetime] = {}
        for row in rows:
            if row.kind == GATEWAY_KIND and row.variant and row.status < 400:
                key = (row.engagement_id, row.variant)
                last_used[key] = max(row.at, last_used.get(key, row.at))
        upstreams.mark_used(uow, last_used)
        return len(rows)


def _audit_outcome(status: int, outcome: str) -> Outcome:
    if outcome == UNFINISHED:
        return Outcome.FAILURE
    return Outcome.SUCCESS if status < 400 else Outcome.DENIED


class Chainer:
    """Chains the access log every ``interval`` seconds in a background thread.

    It also chains the tally of unattributed refusals every ``REFUSAL_INTERVAL``.
    """

    def __init__(
        self, uow_factory: UnitOfWorkFactory, grace: timedelta, interval: float = 1.0, tally: RefusalTally | None = None
    ) -> None:
        self._uow = uow_factory
        self._grace = grace
        self._interval = interval
        self._tally = tally
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="access-chainer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        next_tally = time.monotonic() + REFUSAL_INTERVAL
        while not self._stop.wait(self._interval):
            try:
                while chain_pending(self._uow, grace=self._grace) >= CHAIN_BATCH:
                    pass
                if self._tally is not None and time.monotonic() >= next_tally:
                    next_tally = time.monotonic() + REFUSAL_INTERVAL
                    write_refusals(self._uow, self._tally)
            except Exception:
                log.exception("chaining the access log failed; will retry")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        try:
            chain_pending(self._uow, grace=self._grace)
            if self._tally is not None:
                write_refusals(self._uow, self._tally)
        except Exception:
            log.exception("final chaining of the access log failed")
