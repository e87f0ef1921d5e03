"""Reading the audit log: browsing with filters (scoped to what the reader may see) and exporting."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from frontier_review.audit.domain import (
    Outcome,
)
from frontier_review.audit.orm import AuditEntry
from frontier_review.audit.service import iter_entries, record, stored_entry
from frontier_review.audit.tags import AuditLogTag
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.clock import utc
from frontier_review.kernel.errors import ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide

__all__ = [
    "EntryFilter",
    "ExportScope",
    "count_entries_with_actions",
    "iter_export",
    "list_entries",
    "list_entries_with_actions",
    "start_export",
]


@dataclass(frozen=True)
class EntryFilter:
    """Filters for browsing and exporting the log."""

    action: str | None = None
    actor: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_seq: int | None = None
    before_seq: int | None = None

    def __post_init__(self) -> None:
        # A time given without an offset means UTC, everywhere the filter is used or recorded.
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, utc(value))


def _scope(principal: Principal, uow: UnitOfWork) -> uuid.UUID | None:
    """None means the whole log; an org id limits entries to that org's own actors."""
    now = uow.clock.now()
    if decide(uow, principal, Permission.AUDIT_READ_ALL, None, now).allowed:
        return None
    authorize(uow, principal, Permission.AUDIT_READ_ORG, principal.org_id)
    return principal.org_id


def _filtered(stmt: Select[AuditEntry], flt: EntryFilter, org_scope: uuid.UUID | None) -> Select[AuditEntry]:
    if org_scope is not None:
        stmt = stmt.where(AuditEntry.actor_org_id == org_scope)
    if flt.action:
        stmt = stmt.where(AuditEntry.action.startswith(flt.action, autoescape=True))
    if flt.actor:
        stmt = stmt.where(AuditEntry.actor_label.contains(flt.actor, autoescape=True))
    if flt.outcome:
        if flt.outcome not in {o.value for o in Outcome}:
            raise ValidationFailed(f"outcome must be one of {', '.join(o.value for o in Outcome)}", field="outcome")
        stmt = stmt.where(AuditEntry.outcome == flt.outcome)
    if flt.since:
        stmt = stmt.where(AuditEntry.occurred_at >= flt.since)
    if flt.until:
        stmt = stmt.where(AuditEntry.occurred_at < flt.until)
    if flt.after_seq is not None:
        stmt = stmt.where(AuditEntry.seq > flt.after_seq)
    if flt.before_seq is not None:
        stmt = stmt.where(AuditEntry.seq < flt.before_seq)
    return stmt


def list_entries(uow: UnitOfWork, principal: Principal, flt: EntryFilter, *, limit: int = 50) -> list[dict[str, Any]]:
    """Newest first, as exported JSON objects (with their hash)."""
    if not 1 <= limit <= 500:
        raise ValidationFailed("limit must be between 1 and 500", field="limit")
    scope = _scope(principal, uow)
    stmt = _filtered(select(AuditEntry), flt, scope).order_by(AuditEntry.seq.desc()).limit(limit)
    return [export_object(row) for row in uow.session.scalars(stmt)]


def export_object(row: AuditEntry) -> dict[str, Any]:
    """One exported entry: its canonical fields plus its hash."""
    stored = stored_entry(row)
    return {**stored.fields.canonical(), "hash": stored.hash}


@dataclass(frozen=True)
class ExportScope:
    """What an authorized, audited export may read."""

    flt: EntryFilter
    org_scope: uuid.UUID | None


def start_export(uow: UnitOfWork, principal: Principal, flt: EntryFilter) -> ExportScope:
    """Authorize and audit an export; the adapter commits, then streams with :func:`iter_export`.

    Splitting the two keeps the chain's write lock (taken by the audit entry) for one short
    transaction instead of for as long as a large export takes to stream.
    """
    authorize(uow, principal, Permission.AUDIT_EXPORT, None)
    scope = _scope(principal, uow)
    _filtered(select(AuditEntry), flt, scope)  # validate the filter before recording anything
    record(uow, principal, AuditLogTag.LOG_EXPORTED, details={"filter": {k: v for k, v in vars(flt).items() if v is not None}})
    return ExportScope(flt=flt, org_scope=scope)


def iter_export(session: Session, scope: ExportScope) -> Iterator[dict[str, Any]]:
    """Stream the entries of an export started with :func:`start_export`, in chain order."""
    stmt = _filtered(select(AuditEntry), scope.flt, scope.org_scope).order_by(AuditEntry.seq)
    for row in iter_entries(session, stmt):
        yield export_object(row)


def count_entries_with_actions(session: Session, actions: Sequence[str]) -> int:
    """How many entries record one of ``actions`` (for operators' CLI reports; no principal)."""
    return session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.in_(list(actions)))) or 0


def list_entries_with_actions(session: Session, actions: Sequence[str], *, limit: int) -> list[AuditEntry]:
    """The newest ``limit`` entries recording one of ``actions``, newest first (operators' CLI reports)."""
    return list(
        session.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(list(actions))).order_by(AuditEntry.seq.desc()).limit(limit)
        )
    )
