"""Audit use cases: append in the caller's transaction, checkpoint, verify, export, browse."""

from __future__ import annotations

import base64
import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from frontier_review.audit import witness
from frontier_review.audit.domain import (
    CHECKPOINTS_DOCUMENT_TYPE,
    GENESIS_HASH,
    EntryFields,
    Outcome,
    VerifyReport,
    check_details,
    checkpoint_document,
    checkpoint_message,
    entry_hash,
)
from frontier_review.audit.orm import HEAD_ID, AuditChainHead, AuditCheckpoint, AuditEntry
from frontier_review.audit.tags import AuditLogTag
from frontier_review.audit.verifying import iter_entries, stored_entry, verify_log
from frontier_review.db.prepared import SharedWrite
from frontier_review.db.uow import PendingDenial, UnitOfWork
from frontier_review.kernel.errors import ValidationFailed
from frontier_review.kernel.ids import new_id, record_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.kernel.tags import AuditTag
from frontier_review.policies import authorize
from frontier_review.security import service as security

__all__ = [
    "PUBLISHED_LIMIT",
    "CheckpointInfo",
    "append",
    "append_many",
    "checkpoint_if_due",
    "create_checkpoint",
    "iter_entries",
    "last_checkpoint_at",
    "list_checkpoints",
    "lock_chain",
    "published_checkpoints",
    "record",
    "signing_public_keys",
    "stored_entry",
    "verify",
    "verify_log",
    "write_denials",
]


def _lock_head(session: Session) -> AuditChainHead:
    """Take the chain's write lock and return the head row.

    The no-op UPDATE is the lock: it takes PostgreSQL's row lock and SQLite's write lock,
    so the SELECT after it sees the latest committed tip and nobody else can append until
    this transaction ends.
    """
    result = session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(last_seq=AuditChainHead.last_seq))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(AuditChainHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH))
        session.flush()
    return session.execute(
        select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).execution_options(populate_existing=True)
    ).scalar_one()


def lock_chain(uow: UnitOfWork) -> AuditChainHead:
    """Take the chain's write lock now; returns the head, for :func:`append_many`.

    Taken before reading what to append, so two writers never append the same thing.
    """
    return _lock_head(uow.session)


def append(
    uow: UnitOfWork,
    *,
    actor_label: str,
    actor_user_id: uuid.UUID | None,
    actor_org_id: uuid.UUID | None,
    action: AuditTag | Permission,  # a Permission only for a refusal: what was refused
    outcome: Outcome = Outcome.SUCCESS,
    target_type: str | None = None,
    target_id: str | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits or rolls back with the change).

    ``occurred_at`` is for entries chained after the fact (gateway calls): when it happened.
    """
    head = _lock_head(uow.session)
    row = _append_locked(
        uow,
        head,
        actor_label=actor_label,
        actor_user_id=actor_user_id,
        actor_org_id=actor_org_id,
        action=action,
        outcome=outcome,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        details=details,
        occurred_at=occurred_at,
    )
    uow.session.flush()
    return row


_INSERT = SharedWrite(insert(AuditEntry), tuple(c.key for c in AuditEntry.__table__.columns))


def append_many(uow: UnitOfWork, entries: Sequence[Mapping[str, Any]], *, head: AuditChainHead | None = None) -> list[uuid.UUID]:
    """Append several entries under one lock with one INSERT; returns their ids, in order.

    For the access-log chainer's batches. Each mapping holds :func:`append`'s keyword
    arguments. ``head`` is what :func:`lock_chain` returned in this transaction, so the lock is
    not taken twice. The rows are plain values handed to the driver's ``executemany`` in the
    transaction's own connection, not ORM objects: the chainer appends one entry per gateway
    call, and building an ORM object and sending it through the ORM's bulk insert was half its
    time (docs/performance.md, "Session 13").
    """
    if not entries:
        return []
    if head is None:
        head = _lock_head(uow.session)
    rows = [_next_entry(uow, head, **entry) for entry in entries]
    _INSERT.run(uow.session.connection(), rows)
    uow.session.flush()  # the head's new tip
    return [row["id"] for row in rows]


def _append_locked(uow: UnitOfWork, head: AuditChainHead, **entry: Any) -> AuditEntry:
    """One entry after ``head`` (whose lock the caller holds), added to the session; the caller flushes."""
    row = AuditEntry(**_next_entry(uow, head, **entry))
    uow.session.add(row)
    return row


def _next_entry(
    uow: UnitOfWork,
    head: AuditChainHead,
    *,
    actor_label: str,
    actor_user_id: uuid.UUID | None,
    actor_org_id: uuid.UUID | None,
    action: AuditTag | Permission,  # a Permission only for a refusal: what was refused
    outcome: Outcome = Outcome.SUCCESS,
    target_type: str | None = None,
    target_id: str | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """The column values of the entry after ``head`` (whose lock the caller holds).

    ``head`` moves to the new entry.
    """
    action_text = str(action)  # the tag's value: the log stores (and hashes) plain text
    merged = dict(details or {})
    if uow.request_meta:
        merged.setdefault("request", dict(uow.request_meta))
    try:
        clean = check_details(merged)
    except ValueError as exc:  # a programming error, never user input
        raise RuntimeError(str(exc)) from exc
    fields = EntryFields(
        seq=head.last_seq + 1,
        id=record_id(),  # one per entry, many per second from the gateway: no secret
        occurred_at=occurred_at or uow.clock.now(),
        actor_label=actor_label,
        actor_user_id=actor_user_id,
        actor_org_id=actor_org_id,
        action=action_text,
        outcome=str(outcome),
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        details=clean,
        prev_hash=head.last_hash,
    )
    digest = entry_hash(fields)
    head.last_seq = fields.seq
    head.last_hash = digest
    return {
        "seq": fields.seq,
        "id": fields.id,
        "occurred_at": fields.occurred_at,
        "actor_label": actor_label,
        "actor_user_id": actor_user_id,
        "actor_org_id": actor_org_id,
        "action": action_text,
        "outcome": fields.outcome,
        "target_type": target_type,
        "target_id": target_id,
        "reason": reason,
        "details": clean,
        "prev_hash": fields.prev_hash,
        "hash": digest,
    }


def record(
    uow: UnitOfWork,
    principal: Principal,
    action: AuditTag,
    *,
    target_type: str | None = None,
    target_id: object = None,
    details: Mapping[str, Any] | None = None,
    outcome: Outcome = Outcome.SUCCESS,
    reason: str | None = None,
) -> AuditEntry:
    """Audit an action taken by ``principal`` (same transaction as the change)."""
    return append(
        uow,
        actor_label=principal.label,
        actor_user_id=principal.user_id,
        actor_org_id=principal.org_id,
        action=action,
        outcome=outcome,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        reason=reason,
        details={**(details or {}), **({"via": str(principal.method)} if not principal.is_system else {})},
    )


def write_denials(uow: UnitOfWork, denials: Sequence[PendingDenial]) -> None:
    """The unit of work's denial writer: one ``denied`` entry per refusal."""
    for denial in denials:
        append(
            uow,
            actor_label=denial.actor_label,
            actor_user_id=denial.actor_user_id,  # type: ignore[arg-type]
            actor_org_id=denial.actor_org_id,  # type: ignore[arg-type]
            action=denial.permission,
            outcome=Outcome.DENIED,
            target_type=denial.target_type,
            target_id=denial.target_id,
            reason=denial.reason,
        )


@dataclass(frozen=True)
class CheckpointInfo:
    """A checkpoint as shown to users."""

    id: uuid.UUID
    seq: int
    entry_hash: str
    created_at: datetime
    key_id: str
    signature: str


def _info(cp: AuditCheckpoint) -> CheckpointInfo:
    return CheckpointInfo(
        id=cp.id,
        seq=cp.seq,
        entry_hash=cp.entry_hash,
        created_at=cp.created_at,
        key_id=cp.key_id,
        signature=base64.b64encode(cp.signature).decode("ascii"),
    )


def signing_public_keys(uow: UnitOfWork, principal: Principal) -> dict[str, str]:
    """The instance's trusted signing public keys (base64, raw Ed25519), by key id.

    Public by nature: any authenticated principal may fetch them to check exports and
    checkpoints outside the platform. Only keys whose private half opens under the master
    key are listed, so a key planted in the database is never published.
    """
    del principal
    return {
        kid: base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode("ascii")
        for kid, key in security.trusted_public_keys(uow.session, uow.keyring).items()
    }


def create_checkpoint(uow: UnitOfWork, principal: Principal) -> CheckpointInfo | None:
    """Sign the chain's current tip; returns None when nothing new was appended since the last one."""
    authorize(uow, principal, Permission.AUDIT_CHECKPOINT, None)
    session = uow.session
    head = _lock_head(session)  # first: two processes signing at once then agree on one signing key
    key = security.ensure_signing_key(uow)
    if head.last_seq == 0:
        return None
    latest = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
    # The checkpoint's own audit entry is the only thing after the previous checkpoint.
    if latest is not None and latest.seq >= head.last_seq - 1:
        return None
    now = uow.clock.now()
    message = checkpoint_message(head.last_seq, head.last_hash, now, key.key_id)
    cp = AuditCheckpoint(
        id=new_id(),
        seq=head.last_seq,
        entry_hash=head.last_hash,
        created_at=now,
        key_id=key.key_id,
        signature=key.private.sign(message),
    )
    session.add(cp)
    session.flush()
    record(
        uow, principal, AuditLogTag.CHECKPOINT_CREATED, target_type="audit_checkpoint", target_id=cp.id, details={"seq": cp.seq}
    )
    # Witnessed outside the database only once committed: a rolled-back checkpoint never existed.
    uow.on_commit(functools.partial(witness.witness_after_commit, uow.settings.resolved_audit_witness_path, _document(cp)))
    return _info(cp)


def _document(cp: AuditCheckpoint) -> dict[str, Any]:
    return checkpoint_document(
        id=cp.id, seq=cp.seq, entry_hash_hex=cp.entry_hash, created_at=cp.created_at, key_id=cp.key_id, signature=cp.signature
    )


PUBLISHED_LIMIT = 1000


def published_checkpoints(uow: UnitOfWork, *, limit: int = 100) -> dict[str, Any]:
    """The newest signed checkpoints, for anyone: hashes and signatures only.

    Verifiers keep copies outside the instance (``/.well-known/frontier-review/audit-checkpoints``).
    Public by design: a checkpoint names a sequence number, a hash, a time and a key id,
    nothing about any entry's content.

    Args:
        uow: the unit of work.
        limit: how many checkpoints, newest first (1 to ``PUBLISHED_LIMIT``).
    """
    if not 1 <= limit <= PUBLISHED_LIMIT:
        raise ValidationFailed(f"limit must be between 1 and {PUBLISHED_LIMIT}", field="limit")
    rows = uow.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(limit))
    return {"type": CHECKPOINTS_DOCUMENT_TYPE, "checkpoints": [_document(cp) for cp in rows]}


def last_checkpoint_at(uow: UnitOfWork) -> datetime | None:
    """When the latest checkpoint was signed, or ``None`` before the first (monitoring; one indexed query)."""
    return uow.session.scalar(select(AuditCheckpoint.created_at).order_by(AuditCheckpoint.seq.desc()).limit(1))


def list_checkpoints(uow: UnitOfWork, principal: Principal, *, limit: int = 50) -> list[CheckpointInfo]:
    """Most recent checkpoints first."""
    authorize(uow, principal, Permission.AUDIT_VERIFY, None)
    rows = uow.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(limit))
    return [_info(cp) for cp in rows]


def checkpoint_if_due(uow: UnitOfWork, principal: Principal, *, every: timedelta) -> CheckpointInfo | None:
    """Sign a checkpoint when the latest one is older than ``every`` (the periodic job)."""
    authorize(uow, principal, Permission.AUDIT_CHECKPOINT, None)
    _lock_head(uow.session)  # before reading: of two runs at once (two workers), the second sees the first's
    latest = uow.session.scalar(select(func.max(AuditCheckpoint.created_at)))
    # The job wakes on whole minutes, a moment after the previous run stamped its checkpoint;
    # half a minute of slack keeps the cadence at N minutes rather than N + 1.
    if latest is not None and uow.clock.now() - latest < every - timedelta(seconds=30):
        return None
    return create_checkpoint(uow, principal)


def verify(uow: UnitOfWork, principal: Principal, *, tail_only: bool = False) -> VerifyReport:
    """Authorized chain verification (web and API)."""
    authorize(uow, principal, Permission.AUDIT_VERIFY, None)
    return verify_log(uow.session, uow.keyring, tail_only=tail_only)
