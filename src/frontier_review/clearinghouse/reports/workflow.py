"""A report's workflow, label, recipients and validation (the clearinghouse's work; DESIGN §3.5).

``received → triaged → coordinating → disclosed``, or ``rejected`` / ``duplicate`` (merged into a
canonical report) from any open status (``domain.TRANSITIONS``). The clearinghouse names a
validator organization; it or the validator validates, and only then does the label decide who
sees the report beyond its source, the clearinghouse and the validator. Only the source relaxes
a label; the clearinghouse may tighten it. Whenever a report reaches a wider audience (validated,
relabelled, readdressed) :class:`~.events.ReportDisseminated` is published in the transaction.
Notices go only to people in the audience; audit details never carry the title, text or notes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.reports import notify, records
from frontier_review.clearinghouse.reports.domain import OPEN_STATUSES, ReportStatus, Tlp, check_transition
from frontier_review.clearinghouse.reports.events import ReportDisseminated
from frontier_review.clearinghouse.reports.orm import Report, ReportValidation
from frontier_review.clearinghouse.reports.policy import Relabel, ReportRef
from frontier_review.clearinghouse.reports.tags import ClearinghouseTag
from frontier_review.clearinghouse.reports.views import ReportView, get_readable, report_ref, report_view
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel import tlp as tlp_rules
from frontier_review.kernel.errors import FieldProblem, InvalidTransition, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide
from frontier_review.security import service as security

__all__ = ["address", "advance", "disclose", "merge", "name_validator", "reject", "relabel", "validate"]

MAX_NOTES = 20_000


def _status(
    uow: UnitOfWork, principal: Principal, row: Report, to: ReportStatus, tag: ClearinghouseTag, **details: object
) -> None:
    previous = row.status
    check_transition(ReportStatus(row.status), to)
    row.status = to.value
    row.updated_at = uow.clock.now()
    row.version += 1
    records.history(uow, principal, row, "status", previous, to.value)
    audit.record(
        uow, principal, tag, target_type="report", target_id=row.id, details={"from": previous, "to": to.value, **details}
    )


def advance(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID, *, to: ReportStatus | str) -> ReportView:
    """Move a report to ``triaged`` or ``coordinating`` (the clearinghouse).

    Raises:
        NotFound: outside the audience. PermissionDenied: not the clearinghouse.
        InvalidTransition: a move the workflow does not allow (disclose, reject and merge have their own use cases).
    """
    row, ref = get_readable(uow, principal, report_id)
    authorize(uow, principal, Permission.REPORT_TRIAGE, ref)
    try:
        target = ReportStatus(str(to))
    except ValueError:
        raise ValidationFailed(
            f"status must be one of: {ReportStatus.TRIAGED.value}, {ReportStatus.COORDINATING.value}", field="status"
        ) from None
    if target not in {ReportStatus.TRIAGED, ReportStatus.COORDINATING}:
        raise InvalidTransition(f"use disclose, reject or merge to make a report {target.value}")
    _status(uow, principal, row, target, ClearinghouseTag.REPORT_STATUS_SET)
    notify.to_orgs(
        uow,
        ref,
        [row.source_org_id],
        "report_status",
        f"Your {row.tlp} vulnerability report is now {target.value}",
        exclude=principal.user_id,
    )
    return report_view(uow, principal, row, ref)


def _disseminated(uow: UnitOfWork, row: Report) -> None:
    if row.validated_at is not None:
        uow.publish(ReportDisseminated(row.id))


def _newly_reached(uow: UnitOfWork, before: ReportRef, after: ReportRef, principal: Principal, kind: str, title: str) -> None:
    """Tell the people who can read the report now and could not before (and nobody else)."""
    orgs = set(after.recipient_orgs) | {after.source_org_id}
    candidates = directory.list_members(uow, orgs) + directory.list_people(uow, after.named)
    seen: set[uuid.UUID] = set()
    fresh = []
    for person in notify.in_audience(uow, after, candidates):
        if person.id in seen or person.id == principal.user_id:
            continue
        seen.add(person.id)
        if not notify.in_audience(uow, before, [person]):
            fresh.append(person)
    notify.to_people(uow, after, fresh, kind, title)


def address(
    uow: UnitOfWork,
    principal: Principal,
    report_id: uuid.UUID,
    *,
    recipient_orgs: Iterable[uuid.UUID | str] = (),
    recipient_people: Iterable[uuid.UUID | str] = (),
) -> ReportView:
    """Set the organizations (AMBER, AMBER+STRICT) or people (RED) a report is addressed to.

    The clearinghouse and the source address reports. Whoever addresses it must still read it
    afterwards. Newly reached people are notified once the report is validated.

    Raises:
        ValidationFailed: unknown organizations or people, or recipients that do not fit the label.
    """
    row, ref = get_readable(uow, principal, report_id)
    authorize(uow, principal, Permission.REPORT_ADDRESS, ref)
    return _readdress(uow, principal, row, ref, Tlp(row.tlp), recipient_orgs, recipient_people, ClearinghouseTag.REPORT_ADDRESSED)


def relabel(
    uow: UnitOfWork,
    principal: Principal,
    report_id: uuid.UUID,
    *,
    tlp: str,
    recipient_orgs: Iterable[uuid.UUID | str] = (),
    recipient_people: Iterable[uuid.UUID | str] = (),
) -> ReportView:
    """Change a report's TLP label with the recipients the new label needs.

    Only the source relaxes a label; the clearinghouse may tighten it (TLP 2.0).

    Raises:
        ValidationFailed: an unknown label, or recipients that do not fit it.
        PermissionDenied: relaxing without being the source, or neither source nor clearinghouse.
    """
    row, ref = get_readable(uow, principal, report_id)
    try:
        label = tlp_rules.parse(tlp)
    except ValueError:
        raise ValidationFailed(f"tlp must be one of: {', '.join(t.value for t in Tlp)}", field="tlp") from None
    authorize(uow, principal, Permission.REPORT_RELABEL, Relabel(ref, label.value))
    return _readdress(uow, principal, row, ref, label, recipient_orgs, recipient_people, ClearinghouseTag.REPORT_RELABELLED)


def _readdress(
    uow: UnitOfWork,
    principal: Principal,
    row: Report,
    ref: ReportRef,
    label: Tlp,
    orgs_in: Iterable[uuid.UUID | str],
    people_in: Iterable[uuid.UUID | str],
    tag: ClearinghouseTag,
) -> ReportView:
    if ReportStatus(row.status) not in OPEN_STATUSES:
        raise InvalidTransition(f"a {row.status} report's audience no longer changes")
    orgs, people = records.clean_recipients(uow, label, orgs_in, people_in)
    after = ReportRef(
        id=ref.id,
        source_org_id=ref.source_org_id,
        tlp=label.value,
        validated=ref.validated,
        validator_org_id=ref.validator_org_id,
        recipient_orgs=frozenset(o.id for o in orgs),
        named=frozenset(p.id for p in people),
        submitter_user_id=ref.submitter_user_id,
    )
    if not decide(uow, principal, Permission.REPORT_READ, after).allowed:
        # Checked before anything changes: whoever relabels keeps seeing what they relabelled.
        raise ValidationFailed("name yourself among the recipients to keep seeing this report", field="recipient_people")
    old_label, old_names = row.tlp, records.recipient_names(uow, ref)
    records.store_recipients(uow, principal, row, orgs, people)
    row.tlp = label.value
    row.updated_at = uow.clock.now()
    row.version += 1
    if old_label != label.value:
        records.history(uow, principal, row, "label", old_label, label.value)
    new_names = records.describe_recipients(orgs, people)
    if new_names != old_names:
        records.history(uow, principal, row, "recipients", old_names, new_names)
    audit.record(
        uow,
        principal,
        tag,
        target_type="report",
        target_id=row.id,
        details={
            "from": old_label,
            "to": label.value,
            "recipient_orgs": sorted(str(o.id) for o in orgs),
            "recipient_people": sorted(str(p.id) for p in people),
        },
    )
    if after.validated:
        _newly_reached(uow, ref, after, principal, "report_shared", f"A {label.value} vulnerability report was shared with you")
    _disseminated(uow, row)
    return report_view(uow, principal, row, after)


def name_validator(
    uow: UnitOfWork, principal: Principal, report_id: uuid.UUID, *, organization_id: uuid.UUID | str
) -> ReportView:
    """Name the organization that validates this report (the clearinghouse; before validation).

    The validator's people in the audience are notified: the report now reaches them.

    Raises:
        ValidationFailed: not an organization, or the report's own source (validation is independent).
    """
    row, ref = get_readable(uow, principal, report_id)
    authorize(uow, principal, Permission.REPORT_NAME_VALIDATOR, ref)
    if row.validated_at is not None:
        raise InvalidTransition("this report is already validated")
    try:
        org = directory.get_organization(
            uow, organization_id if isinstance(organization_id, uuid.UUID) else uuid.UUID(str(organization_id))
        )
    except (ValueError, NotFound):
        raise ValidationFailed(f"{str(organization_id)[:40]!r} is not a member organization", field="organization_id") from None
    if org.id == row.source_org_id:
        raise ValidationFailed("a report is validated by someone other than its source", field="organization_id")
    previous = directory.find_organization(uow, row.validator_org_id) if row.validator_org_id else None
    row.validator_org_id = org.id
    row.updated_at = uow.clock.now()
    row.version += 1
    records.history(uow, principal, row, "validator", previous.name if previous else None, org.name)
    audit.record(
        uow,
        principal,
        ClearinghouseTag.REPORT_VALIDATOR_NAMED,
        target_type="report",
        target_id=row.id,
        details={"organization": str(org.id)},
    )
    after = report_ref(uow, row)
    notify.to_orgs(uow, after, [org.id], "report_validate", f"You were asked to validate a {row.tlp} vulnerability report")
    return report_view(uow, principal, row, after)


def validate(
    uow: UnitOfWork,
    principal: Principal,
    report_id: uuid.UUID,
    *,
    reproduced: bool,
    versions_confirmed: bool,
    notes: str,
    evidence: str = "",
) -> ReportView:
    """Validate a report: reproduced, affected versions confirmed; notes and evidence sealed.

    From then on its label decides who sees it; the newly reached people are notified and
    :class:`ReportDisseminated` is published. Evidence is optional text (a proof of concept, a log
    excerpt, a link), sealed like the notes; files are not taken here.

    Raises:
        ValidationFailed: not reproduced, versions not confirmed, or no notes.
        PermissionDenied: neither the clearinghouse nor the named validator.
        InvalidTransition: already validated, or a final report.
    """
    row, ref = get_readable(uow, principal, report_id)
    authorize(uow, principal, Permission.REPORT_VALIDATE, ref)
    if row.validated_at is not None:
        raise InvalidTransition("this report is already validated")
    if ReportStatus(row.status) not in OPEN_STATUSES:
        raise InvalidTransition(f"a {row.status} report is not validated")
    problems = []
    if not reproduced:
        problems.append(FieldProblem("reproduced", "a report is validated once it was reproduced"))
    if not versions_confirmed:
        problems.append(FieldProblem("versions_confirmed", "confirm the affected versions"))
    text = notes.strip()
    if not text:
        problems.append(FieldProblem("notes", "say how it was reproduced"))
    if len(text) > MAX_NOTES or len(evidence) > MAX_NOTES:
        problems.append(FieldProblem("notes", f"notes and evidence have at most {MAX_NOTES} characters each"))
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)
    assert principal.org_id is not None
    now = uow.clock.now()
    v = ReportValidation(
        id=new_id(),
        report_id=row.id,
        organization_id=principal.org_id,
        validated_by=principal.label,
        reproduced=True,
        versions_confirmed=True,
        at=now,
    )
    v.notes_sealed = security.seal_field(uow, text.encode(), table="report_validations", row_id=str(v.id), field="notes_sealed")
    if evidence.strip():
        v.evidence_sealed = security.seal_field(
            uow, evidence.strip().encode(), table="report_validations", row_id=str(v.id), field="evidence_sealed"
        )
    uow.session.add(v)
    row.validated_at = now
    row.updated_at = now
    row.version += 1
    records.history(uow, principal, row, "validated", None, directory.get_organization(uow, principal.org_id).name)
    audit.record(
        uow,
        principal,
        ClearinghouseTag.REPORT_VALIDATED,
        target_type="report",
        target_id=row.id,
        details={"validation": str(v.id), "evidence": bool(evidence.strip())},
    )
    after = report_ref(uow, row)
    _newly_reached(uow, ref, after, principal, "report_shared", f"A validated {row.tlp} vulnerability report was shared with you")
    notify.to_orgs(
        uow,
        after,
        [row.source_org_id],
        "report_validated",
        f"Your {row.tlp} vulnerability report was validated",
        exclude=principal.user_id,
    )
    _disseminated(uow, row)
    return report_view(uow, principal, row, after)


def merge(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID, *, into: uuid.UUID) -> ReportView:
    """Merge a duplicate into its canonical report (the clearinghouse).

    The duplicate becomes ``duplicate`` and points at the canonical; the canonical's label and
    recipients do not change, so its audience is never widened. The duplicate's readers who cannot
    read the canonical see neither its id nor its title (``ReportView.canonical_id`` is withheld).

    Raises:
        NotFound: either report outside the caller's audience.
        ValidationFailed: merging a report into itself or into another duplicate.
    """
    row, ref = get_readable(uow, principal, report_id)
    authorize(uow, principal, Permission.REPORT_MERGE, ref)
    canonical, cref = get_readable(uow, principal, into)
    authorize(uow, principal, Permission.REPORT_MERGE, cref)
    if canonical.id == row.id:
        raise ValidationFailed("a report is not merged into itself", field="into")
    if canonical.status == ReportStatus.DUPLICATE.value:
        raise ValidationFailed("merge into the canonical report, not into another duplicate", field="into")
    _status(uow, principal, row, ReportStatus.DUPLICATE, ClearinghouseTag.REPORT_MERGED, canonical=str(canonical.id))
    row.canonical_id = canonical.id
    records.history(uow, principal, row, "merged into", None, None, related=canonical.id)
    records.history(uow, principal, canonical, "duplicate merged", None, None, related=row.id)
    canonical.updated_at = uow.clock.now()
    return report_view(uow, principal, row, ref)


def disclose(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID) -> ReportView:
    """Mark a coordinated, validated report disclosed (final; the clearinghouse).

    Disclosure changes the status, not the label: publishing it widely is the source relaxing
    the label to TLP:CLEAR.

    Raises:
        InvalidTransition: not coordinating, or not validated.
    """
    row, ref = get_readable(uow, principal, report_id)
    authorize(uow, principal, Permission.REPORT_DISCLOSE, ref)
    if row.validated_at is None:
        raise InvalidTransition("only a validated report is disclosed")
    _status(uow, principal, row, ReportStatus.DISCLOSED, ClearinghouseTag.REPORT_DISCLOSED)
    notify.to_orgs(
        uow,
        ref,
        [row.source_org_id, *ref.recipient_orgs],
        "report_disclosed",
        f"A {row.tlp} vulnerability report was disclosed",
        exclude=principal.user_id,
    )
    return report_view(uow, principal, row, ref)


def reject(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID, *, reason: str) -> ReportView:
    """Reject a report (final; the clearinghouse), saying why in its history (seen by its audience only).

    Raises:
        ValidationFailed: no reason.
    """
    row, ref = get_readable(uow, principal, report_id)
    authorize(uow, principal, Permission.REPORT_REJECT, ref)
    why = " ".join(reason.split())
    if not why:
        raise ValidationFailed("say why the report is rejected", field="reason")
    _status(uow, principal, row, ReportStatus.REJECTED, ClearinghouseTag.REPORT_REJECTED)
    records.history(uow, principal, row, "rejection reason", None, why[:2000])
    notify.to_orgs(
        uow,
        ref,
        [row.source_org_id],
        "report_rejected",
        f"Your {row.tlp} vulnerability report was rejected",
        exclude=principal.user_id,
    )
    return report_view(uow, principal, row, ref)
