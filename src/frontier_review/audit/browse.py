"""Reading the audit log: browsing with filters (scoped to what the reader may see) and exporting."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
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
    "EntryPage",
    "ExportScope",
    "count_entries_with_actions",
    "iter_export",
    "list_entries",
    "list_entries_with_actions",
    "list_target_types",
    "page_entries",
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
    target_type: str | None = None
    target_id: str | None = None  # an id, or the start of one (the browser shows the first 8 characters)

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
    if flt.target_type:
        stmt = stmt.where(AuditEntry.target_type == flt.target_type)
    if flt.target_id:
        stmt = stmt.where(AuditEntry.target_id.startswith(flt.target_id, autoescape=True))
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


@dataclass(frozen=True)
class EntryPage:
    """A page of the log, newest first, and where it stands in the filtered log.

    Attributes:
        entries: The page's entries as exported JSON objects (with their hash), newest first.
        total: Entries matching the filter (the reader's scope included).
        newer: Matching entries newer than the first one shown (0 on the newest page).
    """

    entries: list[dict[str, Any]]
    total: int
    newer: int

    @property
    def first(self) -> int:
        """1-based position of the newest entry shown (0 when none is)."""
        return self.newer + 1 if self.entries else 0

    @property
    def last(self) -> int:
        """1-based position of the oldest entry shown (0 when none is)."""
        return self.newer + len(self.entries)

    @property
    def has_newer(self) -> bool:
        """Whether newer matching entries exist."""
        return bool(self.entries) and self.newer > 0

    @property
    def has_older(self) -> bool:
        """Whether older matching entries exist."""
        return bool(self.entries) and self.last < self.total


def page_entries(
    uow: UnitOfWork,
    principal: Principal,
    flt: EntryFilter,
    *,
    limit: int = 50,
    before_seq: int | None = None,
    after_seq: int | None = None,
) -> EntryPage:
    """A page of the entries the reader may see that match ``flt``, newest first, with the total.

    Paging is by position in the chain (keyset), so a page is as quick deep in a long log as at its
    head, and entries appended meanwhile never shift the page being read.

    Args:
        uow: The unit of work.
        principal: The reader: the whole log, or the entries of its own organization's people.
        flt: The filters (its own ``before_seq``/``after_seq`` narrow the log like any filter).
        limit: Entries per page.
        before_seq: Show the page just older than this entry (the "Older" link).
        after_seq: Show the page just newer than this entry (the "Newer" link; 0 gives the oldest page).

    Returns:
        The page, the filtered total, and how many matching entries are newer than it.
    """
    if not 1 <= limit <= 500:
        raise ValidationFailed("limit must be between 1 and 500", field="limit")
    scope = _scope(principal, uow)
    matching = _filtered(select(AuditEntry), flt, scope)
    if after_seq is not None:
        rows = list(uow.session.scalars(matching.where(AuditEntry.seq > after_seq).order_by(AuditEntry.seq).limit(limit)))
        rows.reverse()
        if len(rows) < limit:  # near the head (or the log moved): show the newest full page instead
            rows = list(uow.session.scalars(matching.order_by(AuditEntry.seq.desc()).limit(limit)))
    else:
        older = matching.where(AuditEntry.seq < before_seq) if before_seq is not None else matching
        rows = list(uow.session.scalars(older.order_by(AuditEntry.seq.desc()).limit(limit)))
    # One pass for both counts: the whole filtered log, and the part newer than this page.
    counted = matching.with_only_columns(AuditEntry.seq).subquery()
    newer = case((counted.c.seq > rows[0].seq, 1), else_=0) if rows else case((counted.c.seq < 0, 1), else_=0)
    total, above = uow.session.execute(select(func.count(), func.coalesce(func.sum(newer), 0)).select_from(counted)).one()
    return EntryPage([export_object(row) for row in rows], int(total or 0), int(above or 0))


def list_target_types(uow: UnitOfWork, principal: Principal) -> list[str]:
    """The kinds of target recorded in the entries the reader may see, for the browser's filter."""
    scope = _scope(principal, uow)
    stmt = select(AuditEntry.target_type).distinct().where(AuditEntry.target_type.is_not(None))
    if scope is not None:
        stmt = stmt.where(AuditEntry.actor_org_id == scope)
    return sorted(t for t in uow.session.scalars(stmt) if t)


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
