"""What closes engagements besides the developer: a release or withdrawal (G2) and the clock.

:func:`on_version_status_changed` reacts to the registry's ``VersionStatusChanged`` in the same
transaction as the release, so a release never commits without its engagements closing.
:func:`sweep` records the transitions the clock has made; access never waits for it (the
gateway computes it from the clock on every call).
"""

from __future__ import annotations

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.lifecycle import notices, versions
from frontier_review.engagements.lifecycle.domain import ClosedReason, EngagementState, Window, effective_state
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.engagements.tags import EngagementTag, closed_tag
from frontier_review.kernel.principal import Principal
from frontier_review.registry.domain import VersionStatus
from frontier_review.registry.events import VersionStatusChanged

_SWEEPER = Principal.system("engagements-sweep")
_CLOSED_TEXT = {
    ClosedReason.RELEASED: "the developer released the model; access has ended",
    ClosedReason.WITHDRAWN: "the developer ended the engagement; access has ended",
    ClosedReason.WINDOW_ELAPSED: "the window has ended; access has ended",
}


def bump(row: Engagement) -> None:
    """Mark a change that affects access: the gateway's upstream cache is never trusted past it."""
    row.access_epoch += 1


def close_row(uow: UnitOfWork, row: Engagement, reason: ClosedReason) -> None:
    """Close the engagement for ``reason`` and tell its participants (not for a draft)."""
    was_draft = row.state == EngagementState.DRAFT.value
    row.state, row.closed_reason, row.closed_at = EngagementState.CLOSED.value, reason.value, uow.clock.now()
    bump(row)
    uow.session.flush()
    if not was_draft:
        notices.to_participants(uow, row, f"engagement_{reason.value}", f"{row.title}: {_CLOSED_TEXT[reason]}")


def on_version_status_changed(uow: UnitOfWork, event: VersionStatusChanged) -> None:
    """Close every engagement of a version released or withdrawn (G2), in the same transaction.

    Nothing here can delay a release; findings are advisory.
    """
    reason = ClosedReason.RELEASED if event.status is VersionStatus.RELEASED else ClosedReason.WITHDRAWN
    for row in uow.session.scalars(
        select(Engagement).where(
            Engagement.model_version_id == event.version_id, Engagement.state != EngagementState.CLOSED.value
        )
    ):
        close_row(uow, row, reason)
        audit.record(uow, event.principal, closed_tag(reason.value), target_type="engagement", target_id=row.id)


def sweep(uow: UnitOfWork) -> int:
    """Record the transitions the clock has made (window start, window end) and send their notices.

    Access never waits for this: the gateway computes it from the clock.

    Returns:
        How many engagements changed state.
    """
    changed = 0
    now = uow.clock.now()
    # Two sweeps may overlap (one per worker when a run outlasts its minute): each takes the rows
    # it reads, and skips the rows the other holds, so a transition is recorded (and told) once.
    # PostgreSQL only; SQLite has one writer at a time anyway.
    for row in uow.session.scalars(
        select(Engagement)
        .where(Engagement.state.in_([EngagementState.OFFERED.value, EngagementState.ACTIVE.value]))
        .with_for_update(skip_locked=True)
    ):
        state, reason = effective_state(
            EngagementState(row.state),
            None,
            Window(row.window_start, row.window_end),
            versions.version_status(uow, row.model_version_id),
            now,
        )
        if state is EngagementState.CLOSED and reason is not None:
            close_row(uow, row, reason)
            audit.record(uow, _SWEEPER, closed_tag(reason.value), target_type="engagement", target_id=row.id)
            changed += 1
        elif state is EngagementState.ACTIVE and row.state != EngagementState.ACTIVE.value:
            row.state = EngagementState.ACTIVE.value
            audit.record(uow, _SWEEPER, EngagementTag.ENGAGEMENT_ACTIVE, target_type="engagement", target_id=row.id)
            notices.to_participants(uow, row, "window_started", f"{row.title}: the review window is open")
            notices.to_developer(uow, row, "window_started", f"{row.title}: the review window is open")
            changed += 1
    return changed
