"""What patch reads return (frozen views, never rows), and the one builder of a report's distribution.

:func:`distribution_view` decides what of a report's distribution this reader sees, by the rules in
``policy``: the clearinghouse every record, the source counts, an operator its own record, anyone
else in the report's audience the fixes only — never a sign that a record exists.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from frontier_review.clearinghouse.patches.domain import EXPOSED, TRANSITIONS, DistributionState
from frontier_review.clearinghouse.patches.orm import PatchDistribution, PatchDistributionEvent, ReportFix
from frontier_review.clearinghouse.patches.policy import RecordRef
from frontier_review.clearinghouse.reports import ReportRef, ReportSummary
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.listing import Page
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide

__all__ = [
    "DistributionView",
    "ExposureBoard",
    "ExposureRow",
    "FixView",
    "RecordView",
    "StepView",
    "distribution_view",
    "fix_view",
    "record_views",
]


@dataclass(frozen=True)
class FixView:
    """A fix of a report, as every reader of the report sees it."""

    id: uuid.UUID
    report_id: uuid.UUID
    fixed_version: str
    released_on: date
    link: str
    notes: str
    added_by: str
    added_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class StepView:
    """One transition of a record: to what, who, when, with the operator's note."""

    from_state: DistributionState | None
    to_state: DistributionState
    actor: str
    note: str
    at: datetime


@dataclass(frozen=True)
class RecordView:
    """One operator's distribution record, with the date of the latest move into each state."""

    id: uuid.UUID
    report_id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    state: DistributionState
    note: str
    notified_at: datetime
    acknowledged_at: datetime | None
    applied_at: datetime | None
    not_affected_at: datetime | None
    updated_at: datetime
    updated_by: str
    version: int
    steps: tuple[StepView, ...]

    @property
    def exposed(self) -> bool:
        """Still running the vulnerable version (notified or acknowledged)."""
        return self.state in EXPOSED

    @property
    def next_states(self) -> tuple[DistributionState, ...]:
        """Where the operator may move it next, in the workflow's order."""
        return tuple(s for s in DistributionState if s in TRANSITIONS[self.state])


@dataclass(frozen=True)
class DistributionView:
    """A report's patch distribution as one reader may see it.

    ``records`` is set for the clearinghouse only, ``counts`` for the clearinghouse and the source,
    ``own`` for an operator that has a record; each is ``None`` (not empty) when the reader may not see it.
    """

    report_id: uuid.UUID
    fixes: tuple[FixView, ...]
    records: tuple[RecordView, ...] | None
    counts: dict[DistributionState, int] | None
    own: RecordView | None
    may_manage_fixes: bool
    may_update_own: bool

    @property
    def exposed(self) -> int | None:
        """How many operators are still exposed, for readers who see counts."""
        return None if self.counts is None else sum(n for s, n in self.counts.items() if s in EXPOSED)


@dataclass(frozen=True)
class ExposureRow:
    """One operator's record of one report on the exposure board, with the report, its fixes and why it is there.

    ``reasons`` are given for the reader's own organization's records only (``addressed to you``,
    ``sector``, ``product``, else ``patch distribution``): another operator's subscriptions are
    its own business, the clearinghouse included.
    """

    report: ReportSummary
    record: RecordView
    reasons: tuple[str, ...]
    fixes: int

    @property
    def exposed(self) -> bool:
        """Still exposed: notified or acknowledged (not applied, not "not affected")."""
        return self.record.exposed


@dataclass(frozen=True)
class ExposureBoard:
    """A page of the exposure board and what its count line says.

    Attributes:
        rows: The page of records (report × operator), highest priority first by default.
        exposed: How many records of the whole list are still exposed (the search applied, the
            "still exposed only" filter not), for "12 reports, 3 still exposed".
        every_operator: The reader sees every operator's records (the clearinghouse), not only its own.
    """

    rows: Page[ExposureRow]
    exposed: int
    every_operator: bool


def fix_view(row: ReportFix) -> FixView:
    """The fix as readers see it."""
    return FixView(
        row.id,
        row.report_id,
        row.fixed_version,
        row.released_on,
        row.link,
        row.notes,
        row.added_by,
        row.added_at,
        row.updated_at,
        row.version,
    )


def record_views(uow: UnitOfWork, rows: Sequence[PatchDistribution]) -> list[RecordView]:
    """The records with their steps and organization names (three queries whatever their number)."""
    if not rows:
        return []
    steps: dict[uuid.UUID, list[PatchDistributionEvent]] = defaultdict(list)
    for e in uow.session.scalars(
        select(PatchDistributionEvent)
        .where(PatchDistributionEvent.record_id.in_([r.id for r in rows]))
        .order_by(PatchDistributionEvent.seq)
    ):
        steps[e.record_id].append(e)
    names = directory.organization_names(uow, {r.organization_id for r in rows})
    out = []
    for r in rows:
        latest: dict[str, datetime] = {}
        for e in steps[r.id]:
            latest[e.to_state] = e.at
        out.append(
            RecordView(
                id=r.id,
                report_id=r.report_id,
                organization_id=r.organization_id,
                organization_name=names.get(r.organization_id, "?"),
                state=DistributionState(r.state),
                note=r.note,
                notified_at=latest.get(DistributionState.NOTIFIED.value, r.created_at),
                acknowledged_at=latest.get(DistributionState.ACKNOWLEDGED.value),
                applied_at=latest.get(DistributionState.APPLIED.value),
                not_affected_at=latest.get(DistributionState.NOT_AFFECTED.value),
                updated_at=r.updated_at,
                updated_by=r.updated_by,
                version=r.version,
                steps=tuple(
                    StepView(
                        DistributionState(e.from_state) if e.from_state else None,
                        DistributionState(e.to_state),
                        e.actor,
                        e.note,
                        e.at,
                    )
                    for e in steps[r.id]
                ),
            )
        )
    return out


def list_fix_views(uow: UnitOfWork, report_id: uuid.UUID) -> tuple[FixView, ...]:
    """The report's fixes, oldest release first."""
    rows = uow.session.scalars(
        select(ReportFix).where(ReportFix.report_id == report_id).order_by(ReportFix.released_on, ReportFix.added_at)
    )
    return tuple(fix_view(r) for r in rows)


def distribution_view(uow: UnitOfWork, principal: Principal, ref: ReportRef) -> DistributionView:
    """The report's distribution for a reader already in its audience (the caller checked; nothing recorded)."""
    now = uow.clock.now()

    def may(permission: Permission, resource: object = ref) -> bool:
        return decide(uow, principal, permission, resource, now).allowed

    records: tuple[RecordView, ...] | None = None
    counts: dict[DistributionState, int] | None = None
    own: RecordView | None = None
    all_rows = list(uow.session.scalars(select(PatchDistribution).where(PatchDistribution.report_id == ref.id)))
    if may(Permission.DISTRIBUTION_READ_ALL):
        records = tuple(sorted(record_views(uow, all_rows), key=lambda v: (not v.exposed, v.organization_name.lower())))
    if may(Permission.DISTRIBUTION_READ_COUNTS):
        counts = dict.fromkeys(DistributionState, 0)
        for r in all_rows:
            counts[DistributionState(r.state)] += 1
    mine = [r for r in all_rows if principal.org_id is not None and r.organization_id == principal.org_id]
    may_update = False
    if mine and may(Permission.DISTRIBUTION_UPDATE, RecordRef(ref, mine[0].organization_id, mine[0].id)):
        own = record_views(uow, mine)[0]
        may_update = True
    return DistributionView(
        report_id=ref.id,
        fixes=list_fix_views(uow, ref.id),
        records=records,
        counts=counts,
        own=own,
        may_manage_fixes=may(Permission.FIX_MANAGE),
        may_update_own=may_update,
    )
