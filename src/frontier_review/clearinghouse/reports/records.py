"""Writing a report's parts: its checked fields, products, recipients, history and priority.

Shared by the use cases in :mod:`.service` and :mod:`.workflow`; nothing here authorizes (the
callers did) and nothing commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict

from sqlalchemy import delete as sa_delete
from sqlalchemy import func, select

from frontier_review.clearinghouse.priority.domain import Priority, PriorityInputs, compute
from frontier_review.clearinghouse.reports.domain import Submission, Tlp, check_recipient_shape, raise_problems
from frontier_review.clearinghouse.reports.orm import (
    KevEntry,
    Report,
    ReportEvent,
    ReportProduct,
    ReportRecipientOrg,
    ReportRecipientPerson,
)
from frontier_review.clearinghouse.reports.policy import ReportRef
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.directory import OrganizationCard, Person
from frontier_review.identity.domain import Sector
from frontier_review.kernel.errors import FieldProblem, NotFound
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.principal import Principal
from frontier_review.registry import service as registry


def history(
    uow: UnitOfWork,
    principal: Principal,
    row: Report,
    what: str,
    old: str | None = None,
    new: str | None = None,
    *,
    related: uuid.UUID | None = None,
) -> None:
    """Append one line to the report's history (old → new only where the value is not confidential)."""
    last = uow.session.scalar(select(func.max(ReportEvent.seq)).where(ReportEvent.report_id == row.id)) or 0
    uow.session.add(
        ReportEvent(
            id=new_id(),
            report_id=row.id,
            seq=last + 1,
            what=what,
            old=old,
            new=new,
            related_report_id=related,
            actor=principal.label,
            actor_org_id=principal.org_id,
            at=uow.clock.now(),
        )
    )
    uow.session.flush()


def in_kev(uow: UnitOfWork, cve_id: str | None) -> bool:
    """Whether the CVE is listed in the imported KEV catalogue."""
    return cve_id is not None and uow.session.get(KevEntry, cve_id) is not None


def _sectors(row: Report) -> frozenset[Sector]:
    return frozenset(Sector(s) for s in row.sectors)


def recompute(uow: UnitOfWork, row: Report) -> Priority:
    """Recompute and store the report's priority with its factors, from its stored inputs and the KEV catalogue."""
    scores = [s for s in (row.cvss31_score, row.cvss40_score) if s is not None]
    row.known_exploited = row.exploited or in_kev(uow, row.cve_id)
    priority = compute(
        PriorityInputs(
            cvss_base=max(scores) if scores else None,
            known_exploited=row.known_exploited,
            sectors=_sectors(row),
            fix_available=row.fix_available,
            ai_assisted=row.ai_assisted,
        )
    )
    row.priority_score = priority.score
    row.priority_band = priority.band.value
    row.priority_factors = [asdict(f) for f in priority.factors]
    return priority


def apply_fields(uow: UnitOfWork, principal: Principal, row: Report, s: Submission) -> None:
    """Copy a checked submission's technical fields onto the row (the description is sealed by the caller)."""
    row.title = s.title
    row.cve_id = s.cve_id
    row.cwe_ids = list(s.cwe_ids)
    row.cvss31_vector, row.cvss31_score, row.cvss31_severity = (
        (s.cvss31.vector, s.cvss31.base_score, s.cvss31.severity) if s.cvss31 else (None, None, None)
    )
    row.cvss40_vector, row.cvss40_score, row.cvss40_severity = (
        (s.cvss40.vector, s.cvss40.base_score, s.cvss40.severity) if s.cvss40 else (None, None, None)
    )
    row.sectors = sorted(x.value for x in s.sectors)
    row.references = list(s.references)
    row.embargo_until = s.embargo_until
    row.ai_model_version_id = s.ai.model_version_id
    row.ai_notes = s.ai.notes
    row.ai_assisted = s.ai.assisted_exploitability
    row.exploited = s.exploited
    # Whether a fix exists is decided by the fixes the patches slice records (``patching.set_fix_available``),
    # never typed in with the report: a new report has none (the column's default), an edit keeps it.
    uow.session.execute(sa_delete(ReportProduct).where(ReportProduct.report_id == row.id))
    for i, p in enumerate(s.products):
        uow.session.add(
            ReportProduct(
                id=new_id(),
                report_id=row.id,
                position=i,
                vendor=p.vendor,
                product=p.product,
                purl=p.purl,
                cpe=p.cpe,
                versions=p.versions,
            )
        )
    uow.session.flush()


def check_model_version(uow: UnitOfWork, principal: Principal, s: Submission) -> None:
    """The model version named as the discoverer must be registered and visible to the submitter.

    Raises:
        ValidationFailed: naming ``ai_model_version_id``.
    """
    if s.ai.model_version_id is None:
        return
    try:
        registry.get_visible_version(uow, principal, s.ai.model_version_id)
    except NotFound:
        raise_problems([FieldProblem("ai_model_version_id", "no registered model version you may see has this id")])


def _uuid(raw: uuid.UUID | str, field: str, problems: list[FieldProblem]) -> uuid.UUID | None:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw).strip())
    except ValueError:
        problems.append(FieldProblem(field, f"{str(raw)[:40]!r} is not an id"))
        return None


def clean_recipients(
    uow: UnitOfWork, label: Tlp, orgs: Iterable[uuid.UUID | str], people: Iterable[uuid.UUID | str]
) -> tuple[list[OrganizationCard], list[Person]]:
    """The named organizations and people, checked: they exist, people are active members of one.

    Raises:
        ValidationFailed: an unknown organization or person (the same words for both, no probing),
            or recipients that do not fit the label (``domain.check_recipient_shape``).
    """
    problems: list[FieldProblem] = []
    org_ids = {u for raw in orgs if (u := _uuid(raw, "recipient_orgs", problems)) is not None}
    person_ids = {u for raw in people if (u := _uuid(raw, "recipient_people", problems)) is not None}
    cards = directory.list_organizations(uow, ids=org_ids) if org_ids else []
    for missing in org_ids - {c.id for c in cards}:
        problems.append(FieldProblem("recipient_orgs", f"{missing} is not a member organization"))
    found = [p for p in directory.list_people(uow, person_ids) if p.is_active and p.organization_id is not None]
    for missing in person_ids - {p.id for p in found}:
        problems.append(FieldProblem("recipient_people", f"{missing} is not an active member of an organization"))
    problems += check_recipient_shape(label, organizations=len(org_ids), people=len(person_ids))
    raise_problems(problems)
    return cards, found


def store_recipients(
    uow: UnitOfWork, principal: Principal, row: Report, orgs: list[OrganizationCard], people: list[Person]
) -> None:
    """Replace the report's named organizations and people."""
    uow.session.execute(sa_delete(ReportRecipientOrg).where(ReportRecipientOrg.report_id == row.id))
    uow.session.execute(sa_delete(ReportRecipientPerson).where(ReportRecipientPerson.report_id == row.id))
    now = uow.clock.now()
    for org in orgs:
        uow.session.add(
            ReportRecipientOrg(id=new_id(), report_id=row.id, organization_id=org.id, added_by=principal.label, added_at=now)
        )
    for person in people:
        uow.session.add(
            ReportRecipientPerson(id=new_id(), report_id=row.id, user_id=person.id, added_by=principal.label, added_at=now)
        )
    uow.session.flush()


def describe_recipients(orgs: list[OrganizationCard], people: list[Person]) -> str:
    """The recipients as history shows them (names and addresses, visible to the report's audience only)."""
    parts = [o.name for o in sorted(orgs, key=lambda o: o.name.lower())] + [p.email for p in people]
    return ", ".join(parts) or "nobody"


def recipient_names(uow: UnitOfWork, ref: ReportRef) -> str:
    """The current recipients, described like :func:`describe_recipients`."""
    orgs = directory.list_organizations(uow, ids=ref.recipient_orgs) if ref.recipient_orgs else []
    return describe_recipients(orgs, directory.list_people(uow, ref.named))
