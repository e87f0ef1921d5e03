"""Patch distribution use cases: fixes, distribution records, an operator's own update.

Every use case first finds the report in the caller's TLP audience (``reports.readable_ref``:
outside it the report does not exist, and the refusal is audited), then asks ``policy``. Records
are created by :func:`distribute`, a system step run when a report is disseminated (the reports'
``ReportDisseminated``, heard in ``on_reports``) and when a fix is added — whichever comes later
finds both conditions true; it is idempotent (one record per report and organization).
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from frontier_review.audit import service as audit
from frontier_review.clearinghouse import reports, subscriptions
from frontier_review.clearinghouse.patches.domain import DistributionState, FixInput, check_fix, check_note, check_transition
from frontier_review.clearinghouse.patches.orm import PatchDistribution, PatchDistributionEvent, ReportFix
from frontier_review.clearinghouse.patches.policy import RecordRef
from frontier_review.clearinghouse.patches.tags import PatchTag
from frontier_review.clearinghouse.patches.views import (
    DistributionView,
    FixView,
    RecordView,
    distribution_view,
    fix_view,
    list_fix_views,
    record_views,
)
from frontier_review.clearinghouse.subscriptions.on_reports import notice_of
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.errors import Conflict, NotFound
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.notifications.service import notify
from frontier_review.policies import authorize, refuse

__all__ = ["add_fix", "distribute", "edit_fix", "get_distribution", "list_fixes", "update_own"]

SYSTEM = Principal.system("patch distribution")
FIX_NOT_FOUND = "fix {} not found"
NO_RECORD = "your organization has no patch distribution record for this report"


def _event(uow: UnitOfWork, row: PatchDistribution, actor: str, from_state: str | None, to_state: str, note: str = "") -> None:
    last = uow.session.scalar(select(func.max(PatchDistributionEvent.seq)).where(PatchDistributionEvent.record_id == row.id)) or 0
    uow.session.add(
        PatchDistributionEvent(
            id=new_id(),
            record_id=row.id,
            seq=last + 1,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            note=note,
            at=uow.clock.now(),
        )
    )


def _has_fix(uow: UnitOfWork, report_id: uuid.UUID) -> bool:
    return uow.session.scalar(select(ReportFix.id).where(ReportFix.report_id == report_id).limit(1)) is not None


def distribute(uow: UnitOfWork, report_id: uuid.UUID) -> tuple[uuid.UUID, ...]:
    """Create the missing distribution records of a disseminated report with a fix; tell each operator.

    An operator is affected when it has an active subscription matching the report (a sector or a
    product in common, whatever its minimum priority) or the report is addressed to it, and it is
    in the report's audience as a whole organization (``whole_organization_reads``: never under
    TLP:RED, never an AMBER report addressed to someone else). The source and the clearinghouse are
    not operators of a report. Nothing happens before validation or without a fix, or for a
    rejected or merged report.

    Returns:
        The records created now (none when every affected operator already has one).
    """
    facts = reports.disseminated(uow, report_id)
    if not facts.validated or not reports.report_is_open(uow, report_id) or not _has_fix(uow, report_id):
        return ()
    notice = notice_of(facts)
    candidates = subscriptions.matching_organizations(uow, notice) | facts.ref.recipient_orgs
    if not candidates:
        return ()
    existing = set(uow.session.scalars(select(PatchDistribution.organization_id).where(PatchDistribution.report_id == report_id)))
    now = uow.clock.now()
    created: list[uuid.UUID] = []
    for card in sorted(directory.list_organizations(uow, ids=candidates), key=lambda c: c.name.lower()):
        if card.id in existing or card.id == facts.ref.source_org_id or card.kind is OrgKind.CLEARINGHOUSE:
            continue
        if not facts.whole_organization_reads(card.id, card.kind):
            continue
        row = PatchDistribution(
            id=new_id(),
            report_id=report_id,
            organization_id=card.id,
            state=DistributionState.NOTIFIED.value,
            note="",
            created_at=now,
            updated_at=now,
            updated_by=SYSTEM.label,
            version=1,
        )
        uow.session.add(row)
        try:
            with uow.session.begin_nested():
                uow.session.flush()
        except IntegrityError:
            continue  # a concurrent distribution created it first
        _event(uow, row, SYSTEM.label, None, DistributionState.NOTIFIED.value)
        audit.record(
            uow,
            SYSTEM,
            PatchTag.DISTRIBUTION_CREATED,
            target_type="patch_distribution",
            target_id=row.id,
            details={"report": str(report_id), "organization": str(card.id)},
        )
        # The organization reads the report as a whole (checked above), so its members may see the title.
        notify(
            uow,
            directory.list_members(uow, card.id),
            kind="clearinghouse_patch",
            title=f"A fix is available for a report affecting {card.name}: {facts.title}",
            link=facts.url_path,
        )
        created.append(row.id)
    uow.session.flush()
    return tuple(created)


def list_fixes(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID) -> tuple[FixView, ...]:
    """The report's fixes, for anyone in its audience.

    Raises:
        NotFound: No such report, or outside the caller's audience (the same answer).
    """
    reports.readable_ref(uow, principal, report_id)
    return list_fix_views(uow, report_id)


def add_fix(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID, fix: FixInput) -> FixView:
    """Record a fix of a report (the clearinghouse or its source).

    The first fix makes the report's ``fix_available`` true and recomputes its priority (history and
    audit in the reports slice); then the affected operators of a disseminated report get their
    distribution records (:func:`distribute`).

    Raises:
        NotFound: outside the report's audience.
        PermissionDenied: neither the clearinghouse nor the source, or a rejected or merged report.
        ValidationFailed: naming each bad field (nothing is stored).
    """
    ref = reports.readable_ref(uow, principal, report_id)
    authorize(uow, principal, Permission.FIX_MANAGE, ref)
    if not reports.report_is_open(uow, report_id):
        refuse(uow, principal, Permission.FIX_MANAGE, "a rejected or merged report takes no fixes", ref.audit_target())
    checked = check_fix(fix)
    now = uow.clock.now()
    row = ReportFix(
        id=new_id(),
        report_id=report_id,
        fixed_version=checked.fixed_version,
        released_on=checked.released_on,
        link=checked.link,
        notes=checked.notes,
        added_by=principal.label,
        added_by_org_id=principal.org_id,
        added_at=now,
        updated_at=now,
        version=1,
    )
    uow.session.add(row)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        PatchTag.FIX_ADDED,
        target_type="report",
        target_id=report_id,
        details={"fix": str(row.id), "fixed_version": checked.fixed_version, "released_on": checked.released_on.isoformat()},
    )
    reports.set_fix_available(uow, principal, report_id, available=True)
    distribute(uow, report_id)
    return fix_view(row)


def edit_fix(
    uow: UnitOfWork, principal: Principal, report_id: uuid.UUID, fix_id: uuid.UUID, fix: FixInput, *, version: int | None = None
) -> FixView:
    """Correct a fix (the clearinghouse or the source).

    Raises:
        NotFound: outside the report's audience, or no such fix of this report.
        PermissionDenied: neither the clearinghouse nor the source.
        ValidationFailed: naming each bad field.
        Conflict: ``version`` is given and the fix changed since.
    """
    ref = reports.readable_ref(uow, principal, report_id)
    authorize(uow, principal, Permission.FIX_MANAGE, ref)
    row = uow.session.get(ReportFix, fix_id)
    if row is None or row.report_id != report_id:
        raise NotFound(FIX_NOT_FOUND.format(fix_id))
    if version is not None and version != row.version:
        raise Conflict("the fix changed since you loaded it; reload and try again", field="version")
    checked = check_fix(fix)
    changed = [
        name
        for name, old, new in (
            ("fixed_version", row.fixed_version, checked.fixed_version),
            ("released_on", row.released_on, checked.released_on),
            ("link", row.link, checked.link),
            ("notes", row.notes, checked.notes),
        )
        if old != new
    ]
    row.fixed_version, row.released_on, row.link, row.notes = (
        checked.fixed_version,
        checked.released_on,
        checked.link,
        checked.notes,
    )
    row.updated_at = uow.clock.now()
    row.version += 1
    uow.session.flush()
    audit.record(
        uow,
        principal,
        PatchTag.FIX_EDITED,
        target_type="report",
        target_id=report_id,
        details={"fix": str(fix_id), "changed": changed},
    )
    return fix_view(row)


def get_distribution(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID) -> DistributionView:
    """The report's fixes and what of its distribution the caller may see; reading every record is audited.

    Raises:
        NotFound: No such report, or outside the caller's audience (the same answer).
    """
    ref = reports.readable_ref(uow, principal, report_id)
    view = distribution_view(uow, principal, ref)
    if view.records is not None:
        audit.record(
            uow,
            principal,
            PatchTag.DISTRIBUTION_READ,
            target_type="report",
            target_id=report_id,
            details={"records": len(view.records)},
        )
    return view


def update_own(
    uow: UnitOfWork,
    principal: Principal,
    report_id: uuid.UUID,
    *,
    state: str,
    note: str | None = None,
    version: int | None = None,
) -> RecordView:
    """Move the caller's organization's record (acknowledged, applied, not_affected), with an optional note.

    Raises:
        NotFound: outside the report's audience, or the caller's organization has no record of it.
        PermissionDenied: the caller may not update it.
        ValidationFailed: an unknown state or a note too long.
        InvalidTransition: not an allowed move from the record's state.
        Conflict: ``version`` is given and the record changed since.
    """
    ref = reports.readable_ref(uow, principal, report_id)
    row = (
        uow.session.scalar(
            select(PatchDistribution).where(
                PatchDistribution.report_id == report_id, PatchDistribution.organization_id == principal.org_id
            )
        )
        if principal.org_id is not None
        else None
    )
    if row is None:
        raise NotFound(NO_RECORD)
    authorize(uow, principal, Permission.DISTRIBUTION_UPDATE, RecordRef(ref, row.organization_id, row.id))
    current = DistributionState(row.state)
    target = check_transition(current, state)
    text = check_note(note)
    if version is not None and version != row.version:
        raise Conflict("the record changed since you loaded it; reload and try again", field="version")
    row.state = target.value
    row.note = text
    row.updated_at = uow.clock.now()
    row.updated_by = principal.label
    row.version += 1
    _event(uow, row, principal.label, current.value, target.value, text)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        PatchTag.DISTRIBUTION_UPDATED,
        target_type="patch_distribution",
        target_id=row.id,
        details={"report": str(report_id), "from": current.value, "to": target.value},
    )
    return record_views(uow, [row])[0]
