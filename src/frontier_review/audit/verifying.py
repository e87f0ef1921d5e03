"""Verifying the stored log: entries, the head row, checkpoint signatures and outside anchors.

A full check reads every entry from genesis, so it streams plain column values (no ORM
objects, no identity map) in large batches, from a server-side cursor on PostgreSQL, and hashes
them with the fast path in :mod:`frontier_review.audit.rows`. An entry the fast path does not
accept is read again as an ORM object and judged the exact way, so the report is the one the
exact path gives.
"""

from __future__ import annotations

import contextlib
import functools
import queue
import threading
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import ColumnElement, Select, Text, and_, case, cast, func, literal_column, select, type_coerce
from sqlalchemy.orm import Session

from frontier_review.audit.domain import (
    GENESIS_HASH,
    AnchorPoint,
    AnchorRecord,
    ChainWalk,
    CheckpointRecord,
    EntryFields,
    StoredEntry,
    VerifyReport,
    checkpoint_message,
    entry_hash,
    finish_report,
    wanted_seqs,
)
from frontier_review.audit.orm import HEAD_ID, AuditChainHead, AuditCheckpoint, AuditEntry
from frontier_review.audit.rows import Row, walk_rows
from frontier_review.kernel.keys import KeySource
from frontier_review.security import service as security

__all__ = ["BATCH", "iter_entries", "stored_entry", "verify_log"]

#: Rows fetched at a time by a full check: enough that a fetch costs little per row, few enough
#: (about 1.5 MB) to stay in the processor's caches while they are hashed; 5,000 was 10–20% slower.
BATCH = 1000


def stored_entry(row: AuditEntry) -> StoredEntry:
    """An entry as verification and export read it."""
    return StoredEntry(
        fields=EntryFields(
            seq=row.seq,
            id=row.id,
            occurred_at=row.occurred_at,
            actor_label=row.actor_label,
            actor_user_id=row.actor_user_id,
            actor_org_id=row.actor_org_id,
            action=row.action,
            outcome=row.outcome,
            target_type=row.target_type,
            target_id=row.target_id,
            reason=row.reason,
            details=row.details,
            prev_hash=row.prev_hash,
        ),
        hash=row.hash,
    )


def iter_entries(session: Session, stmt: Select[AuditEntry]) -> Iterator[AuditEntry]:
    """Entries in batches of a thousand, so a long log never sits in memory at once."""
    yield from session.scalars(stmt.execution_options(yield_per=1000))


def _signed(keys: Mapping[str, Ed25519PublicKey], key_id: str, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` over ``message`` verifies under the trusted key ``key_id`` (False for an unknown key)."""
    public = keys.get(key_id)
    if public is None:
        return False
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _checkpoint_record(cp: AuditCheckpoint, keys: Mapping[str, Ed25519PublicKey]) -> CheckpointRecord:
    message = checkpoint_message(cp.seq, cp.entry_hash, cp.created_at, cp.key_id)
    valid = _signed(keys, cp.key_id, message, cp.signature)
    return CheckpointRecord(id=cp.id, seq=cp.seq, entry_hash=cp.entry_hash, signature_valid=valid)


def _checkpoint_records(session: Session, keys: Mapping[str, Ed25519PublicKey]) -> list[CheckpointRecord]:
    return [_checkpoint_record(cp, keys) for cp in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))]


def _latest_checkpoints_to_anchor(session: Session, keys: Mapping[str, Ed25519PublicKey]) -> list[CheckpointRecord]:
    """Newest checkpoints back to (and including) the first whose signature verifies, in seq order."""
    found: list[CheckpointRecord] = []
    for cp in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).execution_options(yield_per=100)):
        found.append(_checkpoint_record(cp, keys))
        if found[-1].signature_valid:
            break
    return found[::-1]


def _anchor_record(anchor: AnchorPoint, keys: Mapping[str, Ed25519PublicKey]) -> AnchorRecord:
    valid: bool | None = None  # an anchor kept without its signature: nothing to check
    if anchor.signature is not None and anchor.key_id is not None and anchor.created_at is not None:
        message = checkpoint_message(anchor.seq, anchor.entry_hash, anchor.created_at, anchor.key_id)
        valid = _signed(keys, anchor.key_id, message, anchor.signature)
    return AnchorRecord(anchor.seq, anchor.entry_hash, anchor.origin, valid)


def _row_columns(dialect: str) -> list[ColumnElement[Any]] | None:
    """The SELECT list producing rows in :data:`rows.ROW_COLUMNS`' forms, or None for another database.

    UUIDs as text (SQLite stores 32 hexadecimal digits; PostgreSQL writes the dashed form) and
    the time already in the canonical text form (SQLite stores ``YYYY-MM-DD HH:MM:SS.ffffff`` in
    UTC, which needs a ``T`` and a ``Z``; PostgreSQL formats it with ``to_char``). Anything else
    comes back as ``NULL``, which the fast path hands to the exact path: SQLite values that are
    not 26 characters of text, years before 1000.
    """
    c = AuditEntry.__table__.c
    if dialect == "sqlite":

        def uuid_text(col: ColumnElement[Any]) -> ColumnElement[Any]:
            return type_coerce(col, Text)

        stored_at = type_coerce(c.occurred_at, Text)
        at = case(
            (and_(func.typeof(c.occurred_at) == "text", func.length(stored_at) == 26), func.replace(stored_at, " ", "T") + "Z")
        )
        details: ColumnElement[str] = type_coerce(c.details, Text)
    elif dialect == "postgresql":

        def uuid_text(col: ColumnElement[Any]) -> ColumnElement[Any]:
            return cast(col, Text)

        year_1000: ColumnElement[Any] = literal_column("TIMESTAMPTZ '1000-01-01 00:00:00+00'")
        in_utc = func.to_char(func.timezone("UTC", c.occurred_at), 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        at = case((c.occurred_at >= year_1000, in_utc))
        details = cast(c.details, Text)
    else:  # pragma: no cover - the platform runs on SQLite and PostgreSQL
        return None
    return [
        c.seq,
        uuid_text(c.id),
        at,
        c.actor_label,
        uuid_text(c.actor_user_id),
        uuid_text(c.actor_org_id),
        c.action,
        c.outcome,
        c.target_type,
        c.target_id,
        c.reason,
        details,
        c.prev_hash,
        c.hash,
    ]


def _walk(session: Session, walk: ChainWalk) -> None:
    """Walk every entry after ``walk``'s start, in ``seq`` order."""
    after = walk.next_seq - 1
    columns = _row_columns(session.get_bind().dialect.name)
    if columns is None:  # pragma: no cover - no fast form for this database: the exact path throughout
        stmt = select(AuditEntry).where(AuditEntry.seq > after).order_by(AuditEntry.seq)
        for row in iter_entries(session, stmt):
            if not walk.step(stored_entry(row)):
                return
        return

    def exact(row: Row) -> StoredEntry:
        return stored_entry(session.scalars(select(AuditEntry).where(AuditEntry.seq == row[0])).one())

    with _rows(session, select(*columns).where(AuditEntry.seq > after).order_by(AuditEntry.seq)) as batches:
        walk_rows(walk, batches, exact)


@contextmanager
def _rows(session: Session, stmt: Select[Any]) -> Iterator[Iterator[Sequence[Row]]]:
    """``stmt``'s rows in batches of plain tuples, read in the session's transaction.

    Straight from the driver's cursor: SQLAlchemy's ``Row`` objects cost 2–3 µs an entry, as
    much as the rest of the check. ``stmt`` carries no parameters that need converting (a
    sequence number and fixed text), so its values are written into the SQL.
    """
    if session.autoflush:  # as the ORM query this replaces would: pending entries are read too
        session.flush()
    connection = session.connection()
    sql = str(stmt.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    driver = connection.connection.driver_connection
    assert driver is not None
    on_postgresql = connection.dialect.name == "postgresql"
    # PostgreSQL: a server-side cursor, so only a batch at a time crosses the wire.
    cursor = driver.cursor(name="frontier_review_audit_verify") if on_postgresql else driver.cursor()
    batches: Iterator[Sequence[Row]] | None = None
    try:
        cursor.execute(sql)
        fetch = functools.partial(cursor.fetchmany, BATCH)
        # PostgreSQL formats rows in its own process: fetching ahead on a thread lets it work on
        # the next batch while this one is hashed. SQLite reads in this process, under the GIL
        # for the most part, so a thread there only adds switching (measured slower).
        batches = _fetched_ahead(fetch) if on_postgresql else iter(fetch, [])
        yield batches
    finally:
        if isinstance(batches, Generator):
            batches.close()  # stops the fetching thread before its cursor closes
        cursor.close()


def _fetched_ahead(fetch: Callable[[], Sequence[Row]]) -> Generator[Sequence[Row]]:
    """The batches ``fetch`` returns until an empty one, each fetched on a thread while the previous is used."""
    ready: queue.Queue[Sequence[Row] | BaseException] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def run() -> None:
        try:
            while not stop.is_set():
                batch = fetch()
                ready.put(batch)
                if not batch:
                    return
        except BaseException as exc:  # handed to the consumer, which raises it
            ready.put(exc)

    thread = threading.Thread(target=run, name="audit-verify-fetch", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # a put waiting for room returns once the queue is drained
            with contextlib.suppress(queue.Empty):
                ready.get_nowait()
            thread.join(0.05)


def verify_log(
    session: Session,
    keyring: KeySource,
    *,
    trusted_keys: Mapping[str, Ed25519PublicKey] | None = None,
    tail_only: bool = False,
    anchors: Sequence[AnchorPoint] = (),
) -> VerifyReport:
    """Verify the chain, the head row and every checkpoint signature, and optionally ``anchors``.

    Anchors are checkpoints the verifier kept outside the database. Signatures count only under
    ``trusted_keys`` (public keys kept outside the database), or by default under instance keys
    whose private half opens with our master key. With ``tail_only``, hashing starts at the
    latest checkpoint whose signature verifies: quick enough for a page view, and still anchored
    in a signature. Anchors always get the full check (an anchor may sit anywhere in the log).
    """
    if anchors:
        tail_only = False
    head = session.get(AuditChainHead, HEAD_ID)
    keys = trusted_keys if trusted_keys is not None else security.trusted_public_keys(session, keyring)
    anchor_records = [_anchor_record(a, keys) for a in anchors]
    checkpoints = _latest_checkpoints_to_anchor(session, keys) if tail_only else _checkpoint_records(session, keys)
    start_seq, start_hash = 0, GENESIS_HASH
    if tail_only:
        anchor = next((cp for cp in reversed(checkpoints) if cp.signature_valid), None)
        if anchor is None:  # nothing verifies: fall back to the full check, which reports everything
            checkpoints = _checkpoint_records(session, keys)
        else:
            start_seq, start_hash = anchor.seq, anchor.entry_hash
            anchored = session.get(AuditEntry, anchor.seq)
            if (
                anchored is None
                or stored_entry(anchored).hash != anchor.entry_hash
                or entry_hash(stored_entry(anchored).fields) != anchored.hash
            ):
                report = VerifyReport()
                report.fail(anchor.seq, f"entry #{anchor.seq} no longer matches its signed checkpoint — the log was rewritten")
                return report
    walk = ChainWalk(start_seq=start_seq, start_hash=start_hash, wanted=wanted_seqs(checkpoints, anchor_records))
    _walk(session, walk)
    report = finish_report(
        walk,
        head_seq=head.last_seq if head else 0,
        head_hash=head.last_hash if head else GENESIS_HASH,
        checkpoints=checkpoints,
        anchors=anchor_records,
    )
    report.from_seq = start_seq
    return report
