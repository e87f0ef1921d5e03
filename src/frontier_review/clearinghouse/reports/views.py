"""Loading reports for the rules, and the views adapters show.

:func:`get_readable` is the one way a use case gets a report by id: outside its TLP audience a
report does not exist for the caller (the refusal is still audited), so neither its title nor its
existence leaks. :func:`report_view` builds the full view for a reader already admitted.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from frontier_review.clearinghouse.priority.domain import Band, Factor
from frontier_review.clearinghouse.reports.domain import OPEN_STATUSES, Product, ReportStatus, Tlp
from frontier_review.clearinghouse.reports.orm import (
    Report,
    ReportEvent,
    ReportProduct,
    ReportRecipientOrg,
    ReportRecipientPerson,
    ReportValidation,
)
from frontier_review.clearinghouse.reports.policy import Relabel, ReportRef
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.domain import Sector
from frontier_review.kernel.errors import NotFound, PermissionDenied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import authorize, decide
from frontier_review.security import service as security

__all__ = [
    "EventView",
    "ReportSummary",
    "ReportView",
    "ValidationView",
    "get_readable",
    "load_refs",
    "report_ref",
    "report_view",
    "summary_of",
]

NOT_FOUND = "report {} not found"


@dataclass(frozen=True)
class ReportSummary:
    """A report in a list: no description, no history."""

    id: uuid.UUID
    title: str
    tlp: Tlp
    status: ReportStatus
    validated: bool
    source_org_id: uuid.UUID
    source_org_name: str
    cve_id: str | None
    cvss_base: float | None
    priority: float
    band: Band
    factors: tuple[Factor, ...]
    sectors: tuple[Sector, ...]
    known_exploited: bool
    received_at: datetime
    updated_at: datetime

    @property
    def open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class EventView:
    """One line of a report's history. ``related_id`` is set only when the reader may read that report too."""

    what: str
    old: str | None
    new: str | None
    actor: str
    at: datetime
    related_id: uuid.UUID | None


@dataclass(frozen=True)
class ValidationView:
    """A validation: who, when, what was confirmed; notes and evidence only for the source, clearinghouse and validator."""

    organization_name: str
    validated_by: str
    reproduced: bool
    versions_confirmed: bool
    notes: str | None
    evidence: str | None
    at: datetime


@dataclass(frozen=True)
class Named:
    """A named recipient (organization or person) as the report page lists it."""

    id: uuid.UUID
    name: str
    organization_name: str = ""


@dataclass(frozen=True)
class ReportView(ReportSummary):
    """A report as one reader may see it, with what that reader may do next (the services check again)."""

    description: str
    products: tuple[Product, ...]
    cwe_ids: tuple[str, ...]
    cvss31: tuple[str, float, str] | None  # vector, base score, severity
    cvss40: tuple[str, float, str] | None
    references: tuple[str, ...]
    embargo_until: date | None
    ai_model_version_id: uuid.UUID | None
    ai_notes: str
    ai_assisted: bool
    exploited: bool
    fix_available: bool
    submitted_by: str
    validator_org_id: uuid.UUID | None
    validator_org_name: str | None
    recipient_orgs: tuple[Named, ...]
    recipient_people: tuple[Named, ...]
    canonical_id: uuid.UUID | None  # only when the reader may read the canonical report
    duplicates: tuple[uuid.UUID, ...]  # merged into this one, those the reader may read
    referred_finding: str | None  # the finding's page, for the finder's organization only
    history: tuple[EventView, ...]
    validations: tuple[ValidationView, ...]
    may_edit: bool
    may_triage: bool
    may_address: bool
    may_relabel: bool
    may_name_validator: bool
    may_validate: bool
    may_merge: bool
    may_disclose: bool
    may_reject: bool


def _ids(
    uow: UnitOfWork, model: type[ReportRecipientOrg] | type[ReportRecipientPerson], report_ids: list[uuid.UUID]
) -> dict[uuid.UUID, set[uuid.UUID]]:
    out: dict[uuid.UUID, set[uuid.UUID]] = {r: set() for r in report_ids}
    if not report_ids:
        return out
    column = model.organization_id if model is ReportRecipientOrg else model.user_id  # type: ignore[union-attr]
    for report_id, other in uow.session.execute(select(model.report_id, column).where(model.report_id.in_(report_ids))):
        out[report_id].add(other)
    return out


def load_refs(uow: UnitOfWork, rows: Iterable[Any]) -> dict[uuid.UUID, ReportRef]:
    """The rules' view of these report rows (``Report`` or rows with its columns), in two queries whatever their number."""
    rows = list(rows)
    ids = [r.id for r in rows]
    orgs = _ids(uow, ReportRecipientOrg, ids)
    people = _ids(uow, ReportRecipientPerson, ids)
    return {
        r.id: ReportRef(
            id=r.id,
            source_org_id=r.source_org_id,
            tlp=r.tlp,
            validated=r.validated_at is not None,
            validator_org_id=r.validator_org_id,
            recipient_orgs=frozenset(orgs[r.id]),
            named=frozenset(people[r.id]),
            submitter_user_id=r.submitted_by_user_id,
        )
        for r in rows
    }


def report_ref(uow: UnitOfWork, row: Report) -> ReportRef:
    """One report as the rules see it."""
    return load_refs(uow, [row])[row.id]


def get_readable(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID) -> tuple[Report, ReportRef]:
    """The report, if ``principal`` is in its TLP audience.

    Raises:
        NotFound: No such report, or one outside the caller's audience (the refusal is audited).
    """
    row = uow.session.get(Report, report_id)
    if row is None:
        raise NotFound(NOT_FOUND.format(report_id))
    ref = report_ref(uow, row)
    try:
        authorize(uow, principal, Permission.REPORT_READ, ref)
    except PermissionDenied:
        raise NotFound(NOT_FOUND.format(report_id)) from None
    return row, ref


def factors_of(row: Report) -> tuple[Factor, ...]:
    return tuple(Factor(f["name"], f["value"], float(f["points"]), float(f["maximum"])) for f in row.priority_factors)


def summary_of(row: Report, names: Mapping[uuid.UUID, str]) -> ReportSummary:
    """A report in a list (call only for a reader in its audience)."""
    scores = [s for s in (row.cvss31_score, row.cvss40_score) if s is not None]
    return ReportSummary(
        id=row.id,
        title=row.title,
        tlp=Tlp(row.tlp),
        status=ReportStatus(row.status),
        validated=row.validated_at is not None,
        source_org_id=row.source_org_id,
        source_org_name=names.get(row.source_org_id, "?"),
        cve_id=row.cve_id,
        cvss_base=max(scores) if scores else None,
        priority=row.priority_score,
        band=Band(row.priority_band),
        factors=factors_of(row),
        sectors=tuple(Sector(s) for s in row.sectors),
        known_exploited=row.known_exploited,
        received_at=row.received_at,
        updated_at=row.updated_at,
    )


def _readable_ids(uow: UnitOfWork, principal: Principal, ids: Iterable[uuid.UUID | None]) -> set[uuid.UUID]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return set()
    rows = list(uow.session.scalars(select(Report).where(Report.id.in_(wanted))))
    refs = load_refs(uow, rows)
    now = uow.clock.now()
    return {r.id for r in rows if decide(uow, principal, Permission.REPORT_READ, refs[r.id], now).allowed}


def _in_circle(principal: Principal, row: Report) -> bool:
    """The source, the clearinghouse and the validator see validation notes and evidence."""
    return (
        principal.is_system
        or principal.org_kind is OrgKind.CLEARINGHOUSE
        or principal.org_id
        in {
            row.source_org_id,
            row.validator_org_id,
        }
    )


def _validations(
    uow: UnitOfWork, principal: Principal, row: Report, names: Mapping[uuid.UUID, str]
) -> tuple[ValidationView, ...]:
    out = []
    circle = _in_circle(principal, row)
    for v in uow.session.scalars(
        select(ReportValidation).where(ReportValidation.report_id == row.id).order_by(ReportValidation.at)
    ):
        notes = evidence = None
        if circle:
            notes = security.open_field(
                uow.session, uow.keyring, v.notes_sealed, table="report_validations", row_id=str(v.id), field="notes_sealed"
            ).decode()
            if v.evidence_sealed is not None:
                evidence = security.open_field(
                    uow.session,
                    uow.keyring,
                    v.evidence_sealed,
                    table="report_validations",
                    row_id=str(v.id),
                    field="evidence_sealed",
                ).decode()
        out.append(
            ValidationView(
                names.get(v.organization_id, "?"), v.validated_by, v.reproduced, v.versions_confirmed, notes, evidence, v.at
            )
        )
    return tuple(out)


def report_view(uow: UnitOfWork, principal: Principal, row: Report, ref: ReportRef, *, public: bool = False) -> ReportView:
    """The full report; call only after the reader was admitted (``get_readable``).

    ``public``: for the unauthenticated public (``principal`` is then a stand-in): no recipients,
    no validation notes, no related reports, no actions.
    """
    description = security.open_field(
        uow.session, uow.keyring, row.description_sealed, table="reports", row_id=str(row.id), field="description_sealed"
    ).decode()
    products = tuple(
        Product(p.vendor, p.product, p.purl, p.cpe, p.versions)
        for p in uow.session.scalars(
            select(ReportProduct).where(ReportProduct.report_id == row.id).order_by(ReportProduct.position)
        )
    )
    events = list(uow.session.scalars(select(ReportEvent).where(ReportEvent.report_id == row.id).order_by(ReportEvent.seq)))
    duplicates = list(uow.session.scalars(select(Report.id).where(Report.canonical_id == row.id)))
    readable = _readable_ids(uow, principal, [row.canonical_id, *duplicates, *(e.related_report_id for e in events)])
    people = directory.list_people(uow, ref.named)
    org_ids = {row.source_org_id, *ref.recipient_orgs, *(p.organization_id for p in people if p.organization_id)}
    if row.validator_org_id:
        org_ids.add(row.validator_org_id)
    validations = list(uow.session.scalars(select(ReportValidation.organization_id).where(ReportValidation.report_id == row.id)))
    names = directory.organization_names(uow, [*org_ids, *validations])
    now = uow.clock.now()

    def may(permission: Permission, resource: object = ref) -> bool:
        return not public and decide(uow, principal, permission, resource, now).allowed

    base = summary_of(row, names)
    final = public or ReportStatus(row.status) not in OPEN_STATUSES
    if public:
        readable, people = set(), []
    return ReportView(
        **{name: getattr(base, name) for name in ReportSummary.__dataclass_fields__},
        description=description,
        products=products,
        cwe_ids=tuple(row.cwe_ids),
        cvss31=(row.cvss31_vector, row.cvss31_score, row.cvss31_severity or "")
        if row.cvss31_vector and row.cvss31_score is not None
        else None,
        cvss40=(row.cvss40_vector, row.cvss40_score, row.cvss40_severity or "")
        if row.cvss40_vector and row.cvss40_score is not None
        else None,
        references=tuple(row.references),
        embargo_until=row.embargo_until,
        ai_model_version_id=row.ai_model_version_id,
        ai_notes=row.ai_notes,
        ai_assisted=row.ai_assisted,
        exploited=row.exploited,
        fix_available=row.fix_available,
        submitted_by="" if public else row.submitted_by,
        validator_org_id=row.validator_org_id,
        validator_org_name=names.get(row.validator_org_id) if row.validator_org_id else None,
        recipient_orgs=()
        if public
        else tuple(sorted((Named(o, names.get(o, "?")) for o in ref.recipient_orgs), key=lambda n: n.name.lower())),
        recipient_people=tuple(
            Named(p.id, p.email, names.get(p.organization_id, "") if p.organization_id else "") for p in people
        ),
        canonical_id=row.canonical_id if row.canonical_id in readable else None,
        duplicates=tuple(d for d in duplicates if d in readable),
        referred_finding=(
            f"/engagements/{row.engagement_id}/findings/{row.finding_id}"
            if row.finding_id and row.engagement_id and principal.is_member_of(row.source_org_id)
            else None
        ),
        history=tuple(
            EventView(
                e.what,
                e.old,
                e.new,
                "" if public else e.actor,
                e.at,
                e.related_report_id if e.related_report_id in readable else None,
            )
            for e in events
            if not public or e.what in {"submitted", "validated", "status", "label"}
        ),
        validations=() if public else _validations(uow, principal, row, names),
        may_edit=not final and may(Permission.REPORT_EDIT),
        may_triage=not final and may(Permission.REPORT_TRIAGE),
        may_address=not final and may(Permission.REPORT_ADDRESS),
        may_relabel=not final and may(Permission.REPORT_RELABEL, Relabel(ref, Tlp.RED.value)),
        may_name_validator=not final and row.validated_at is None and may(Permission.REPORT_NAME_VALIDATOR),
        may_validate=not final and row.validated_at is None and may(Permission.REPORT_VALIDATE),
        may_merge=not final and may(Permission.REPORT_MERGE),
        may_disclose=row.status == ReportStatus.COORDINATING.value
        and row.validated_at is not None
        and may(Permission.REPORT_DISCLOSE),
        may_reject=not final and may(Permission.REPORT_REJECT),
    )
