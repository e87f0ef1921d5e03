"""Vulnerability reports: submission, reading, editing (DESIGN §3.5; issue 14 items 1–4).

Any member organization submits a report; it is ``received`` and, until validated, reaches only
its source, the clearinghouse and the validator the clearinghouse names. Its priority is computed
at once and again whenever an input changes (CVSS vectors, exploitation, sectors, a fix, AI
assistance, the KEV catalogue). Who sees a report anywhere is ``policy.reads_report``; anyone
else is told it does not exist. The workflow, labels, recipients and validation are in
:mod:`.workflow`. Every change is audited (``ClearinghouseTag``) without the title or the text,
and kept in the report's history.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.clearinghouse.reports import notify, records
from frontier_review.clearinghouse.reports.domain import ProductInput, ReportStatus, Submission, check_submission, raise_problems
from frontier_review.clearinghouse.reports.orm import Report
from frontier_review.clearinghouse.reports.policy import reads_report
from frontier_review.clearinghouse.reports.tags import ClearinghouseTag
from frontier_review.clearinghouse.reports.views import NOT_FOUND, ReportView, get_readable, report_ref, report_view
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel import tlp as tlp_rules
from frontier_review.kernel.errors import Conflict, FieldProblem, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, refuse
from frontier_review.security import service as security

__all__ = ["Referral", "ReportInput", "get_public_report", "get_report", "submit", "update_report"]


@dataclass(frozen=True)
class ReportInput:
    """A report's fields as typed (the API, the web form and the referral fill it; ``domain`` checks it)."""

    title: str
    description: str
    tlp: str
    products: Sequence[ProductInput] = ()
    cve_id: str = ""
    cwe_ids: Sequence[str] = ()
    cvss31: str = ""
    cvss40: str = ""
    sectors: Sequence[str] = ()
    references: Sequence[str] = ()
    embargo_until: str | date | None = None
    ai_model_version_id: str | uuid.UUID | None = None
    ai_notes: str = ""
    ai_assisted_exploitability: bool = False
    exploited: bool = False

    def check(self) -> Submission:
        """Every field checked at once (``ValidationFailed`` naming each bad one)."""
        return check_submission(
            title=self.title,
            description=self.description,
            tlp=self.tlp,
            products=self.products,
            cve_id=self.cve_id,
            cwe_ids=self.cwe_ids,
            cvss31=self.cvss31,
            cvss40=self.cvss40,
            sectors=self.sectors,
            references=self.references,
            embargo_until=self.embargo_until,
            ai_model_version_id=self.ai_model_version_id,
            ai_notes=self.ai_notes,
            ai_assisted_exploitability=self.ai_assisted_exploitability,
            exploited=self.exploited,
        )


@dataclass(frozen=True)
class Referral:
    """The engagement finding a report was referred from (engagements' ``refer_finding`` fills it)."""

    finding_id: uuid.UUID
    engagement_id: uuid.UUID


def _seal_description(uow: UnitOfWork, row: Report, text: str) -> None:
    row.description_sealed = security.seal_field(
        uow, text.encode(), table="reports", row_id=str(row.id), field="description_sealed"
    )


def submit(
    uow: UnitOfWork,
    principal: Principal,
    report: ReportInput,
    *,
    recipient_orgs: Iterable[uuid.UUID | str] = (),
    recipient_people: Iterable[uuid.UUID | str] = (),
    referral: Referral | None = None,
) -> ReportView:
    """Submit a vulnerability report for the principal's organization (its source).

    Args:
        uow: the unit of work.
        principal: an active member of any organization.
        report: the fields; CVSS scores are computed from the vectors.
        recipient_orgs: organizations to address it to (TLP:AMBER, TLP:AMBER+STRICT).
        recipient_people: people to name (TLP:RED needs one at least; name someone at the
            clearinghouse, or it cannot triage the report).
        referral: the engagement finding it comes from, if referred.

    Returns:
        The report as the submitter sees it (``received``, unvalidated, with its priority).

    Raises:
        ValidationFailed: naming every bad field (nothing is stored).
        PermissionDenied: not a member of an organization.
        Conflict: the finding was already referred.

    The clearinghouse's people in the audience are notified (without the title).
    """
    authorize(uow, principal, Permission.REPORT_SUBMIT, None)
    assert principal.org_id is not None  # the rule admits members of an organization only
    # Every bad field at once: the recipients are checked even when other fields are refused.
    problems: list[FieldProblem] = []
    try:
        checked: Submission | None = report.check()
    except ValidationFailed as exc:
        problems += exc.problems
        checked = None
    try:
        label = checked.tlp if checked else tlp_rules.parse(report.tlp)
    except ValueError:
        label = None
    if label is not None:
        try:
            orgs, people = records.clean_recipients(uow, label, recipient_orgs, recipient_people)
        except ValidationFailed as exc:
            problems += exc.problems
    raise_problems(problems)
    assert checked is not None
    records.check_model_version(uow, principal, checked)
    if referral is not None and uow.session.scalar(select(Report.id).where(Report.finding_id == referral.finding_id)):
        raise Conflict("this finding was already referred to the clearinghouse", field="finding")
    now = uow.clock.now()
    row = Report(
        id=new_id(),
        title=checked.title,
        priority_score=0.0,  # computed below, once the fields are stored
        priority_band="low",
        source_org_id=principal.org_id,
        submitted_by=principal.label,
        submitted_by_user_id=principal.user_id,
        tlp=checked.tlp.value,
        status=ReportStatus.RECEIVED.value,
        finding_id=referral.finding_id if referral else None,
        engagement_id=referral.engagement_id if referral else None,
        received_at=now,
        updated_at=now,
        version=1,
    )
    _seal_description(uow, row, checked.description)
    uow.session.add(row)
    uow.session.flush()
    records.apply_fields(uow, principal, row, checked)
    records.store_recipients(uow, principal, row, orgs, people)
    priority = records.recompute(uow, row)
    records.history(uow, principal, row, "referred" if referral else "submitted", None, checked.tlp.value)
    audit.record(
        uow,
        principal,
        ClearinghouseTag.REPORT_REFERRED if referral else ClearinghouseTag.REPORT_SUBMITTED,
        target_type="report",
        target_id=row.id,
        details={
            "tlp": checked.tlp.value,
            "priority": priority.score,
            "recipient_orgs": sorted(str(o.id) for o in orgs),
            "recipient_people": sorted(str(p.id) for p in people),
            **({"finding": str(referral.finding_id)} if referral else {}),
        },
    )
    ref = report_ref(uow, row)
    notify.to_clearinghouse(
        uow,
        ref,
        "report_received",
        f"New {checked.tlp.value} vulnerability report received (priority {priority.score:.1f}, {priority.band.value})",
        exclude=principal.user_id,
    )
    return report_view(uow, principal, row, ref)


def get_report(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID) -> ReportView:
    """The report with its description, history and validations; each read is audited.

    Raises:
        NotFound: No such report, or the caller is outside its TLP audience (the same answer).
    """
    row, ref = get_readable(uow, principal, report_id)
    audit.record(uow, principal, ClearinghouseTag.REPORT_READ, target_type="report", target_id=row.id)
    return report_view(uow, principal, row, ref)


_TRACKED = (
    ("title", "title"),
    ("cve_id", "CVE"),
    ("cwe_ids", "CWE"),
    ("cvss31_vector", "CVSS 3.1"),
    ("cvss40_vector", "CVSS 4.0"),
    ("sectors", "sectors"),
    ("references", "references"),
    ("embargo_until", "embargo"),
    ("ai_model_version_id", "AI model version"),
    ("ai_notes", "AI notes"),
    ("ai_assisted", "AI-assisted exploitability"),
    ("exploited", "reported exploited"),
    ("fix_available", "fix available"),
)


def _show(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "none"
    return "none" if value is None or value == "" else str(value)


def update_report(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID, report: ReportInput) -> ReportView:
    """Correct a report's fields (the source or the clearinghouse); the priority is recomputed.

    The label is not changed here (``workflow.relabel``): ``report.tlp`` must be the current one.
    Each changed field is kept in the history with its old and new value, except the description,
    whose change is noted without its text.

    Raises:
        NotFound: outside the report's audience.
        PermissionDenied: neither the source nor the clearinghouse, or a final report.
        ValidationFailed: naming every bad field.
    """
    row, ref = get_readable(uow, principal, report_id)
    authorize(uow, principal, Permission.REPORT_EDIT, ref)
    if ReportStatus(row.status) in {ReportStatus.DISCLOSED, ReportStatus.REJECTED, ReportStatus.DUPLICATE}:
        refuse(uow, principal, Permission.REPORT_EDIT, f"a {row.status} report is final", ref.audit_target())
    checked = ReportInput(**{**report.__dict__, "tlp": row.tlp}).check()
    records.check_model_version(uow, principal, checked)
    before = {attr: getattr(row, attr) for attr, _ in _TRACKED}
    old_priority = row.priority_score
    records.apply_fields(uow, principal, row, checked)
    description = security.open_field(
        uow.session, uow.keyring, row.description_sealed, table="reports", row_id=str(row.id), field="description_sealed"
    ).decode()
    changed = [label for attr, label in _TRACKED if getattr(row, attr) != before[attr]]
    for attr, label in _TRACKED:
        if getattr(row, attr) != before[attr]:
            records.history(uow, principal, row, f"{label} changed", _show(before[attr]), _show(getattr(row, attr)))
    if description != checked.description:
        _seal_description(uow, row, checked.description)
        records.history(uow, principal, row, "description changed")
        changed.append("description")
    priority = records.recompute(uow, row)
    if priority.score != old_priority:
        records.history(uow, principal, row, "priority recomputed", f"{old_priority:.1f}", f"{priority.score:.1f}")
    row.updated_at = uow.clock.now()
    row.version += 1
    audit.record(
        uow,
        principal,
        ClearinghouseTag.REPORT_EDITED,
        target_type="report",
        target_id=row.id,
        details={"changed": changed, "priority": priority.score},
    )
    return report_view(uow, principal, row, ref)


def get_public_report(uow: UnitOfWork, report_id: uuid.UUID) -> ReportView:
    """A validated TLP:CLEAR report for the unauthenticated public (not audited: it is public).

    Raises:
        NotFound: No such report, or any other (the same answer).
    """
    row = uow.session.get(Report, report_id)
    ref = report_ref(uow, row) if row is not None else None
    if row is None or ref is None or not reads_report(None, None, None, ref).allowed:
        raise NotFound(NOT_FOUND.format(report_id))
    return report_view(uow, Principal.system("public"), row, ref, public=True)
