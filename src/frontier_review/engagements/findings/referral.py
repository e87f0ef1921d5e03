"""Referring a finding to the Treasury clearinghouse (issue 14 item 8; DESIGN §3.5).

A finding about third-party software (category ``third_party_vulnerability``) may be referred
by its finder's organization: it becomes a clearinghouse vulnerability report linked to the
finding, whose source is the finder's organization and whose label is the finding's. Only that
category is referred: the other categories are about the model under review, covered by the
engagement's confidentiality terms, and belong to its developer, not to the clearinghouse.

Recipients are inherited as far as the report's rules allow. A TLP:RED finding's named people
(and its filer) become the report's named people when they are active members of an
organization; others are left out and the confirmation says so. The referrer may add people of
the clearinghouse under TLP:RED, since a RED report nobody there is named on cannot be triaged.
Under the other labels a report names no people (AMBER names organizations, CLEAR and GREEN
nobody), so the finding's named people are not carried over; the report reaches its source, the
clearinghouse and the validator it names (after validation, its label's audience).

The reports slice is used through its public face only (``frontier_review.clearinghouse.reports``).
Both sides are audited: the report's ``clearinghouse:report:referred`` and the finding's
``engagements:finding:referred``. A finding is referred once; the second time is a ``Conflict``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from frontier_review.audit import service as audit
from frontier_review.clearinghouse import reports
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.findings.domain import Category, Tlp
from frontier_review.engagements.findings.orm import Finding
from frontier_review.engagements.findings.policy import FindingRef
from frontier_review.engagements.findings.views import get_readable
from frontier_review.engagements.tags import EngagementTag
from frontier_review.identity import directory
from frontier_review.identity.directory import Person
from frontier_review.kernel.errors import Conflict, FieldProblem, ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import authorize, decide, refuse
from frontier_review.security import service as security

__all__ = [
    "REFERABLE",
    "ReferralInput",
    "ReferralPlan",
    "Referred",
    "check_referral",
    "find_referral",
    "may_refer",
    "plan_referral",
    "refer_finding",
]

REFERABLE = frozenset({Category.THIRD_PARTY_VULNERABILITY})
"""The categories a finder may refer: only vulnerabilities in third-party software."""


@dataclass(frozen=True)
class ReferralInput:
    """What a report needs beyond the finding (title and description default to the finding's)."""

    title: str = ""
    description: str = ""
    products: Sequence[reports.ProductInput] = ()
    cve_id: str = ""
    cwe_ids: Sequence[str] = ()
    cvss31: str = ""
    cvss40: str = ""
    sectors: Sequence[str] = ()
    references: Sequence[str] = ()
    exploited: bool = False
    clearinghouse_people: Sequence[uuid.UUID | str] = ()
    """People of the clearinghouse to name as well (TLP:RED only)."""


@dataclass(frozen=True)
class ReferralPlan:
    """Who the report will reach, in the words the confirmation shows, before anything is written."""

    finding_id: uuid.UUID
    engagement_id: uuid.UUID
    title: str
    description: str
    tlp: Tlp
    named: tuple[Person, ...] = ()
    left_out: tuple[str, ...] = ()
    """Why each of the finding's recipients is not carried over (one sentence each)."""
    clearinghouse_choices: tuple[Person, ...] = ()
    may_refer: bool = False
    refusal: str | None = None
    audience: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Referred:
    """The report a finding became."""

    finding_id: uuid.UUID
    report: reports.ReportView
    named: tuple[Person, ...]
    left_out: tuple[str, ...]


def _description(uow: UnitOfWork, finding: Finding) -> str:
    return security.open_field(
        uow.session, uow.keyring, finding.description_sealed, table="findings", row_id=str(finding.id), field="description_sealed"
    ).decode()


def _audience(label: Tlp, org: str) -> tuple[str, ...]:
    before = f"Until the clearinghouse validates it, the report reaches {org}, the clearinghouse and the validator it names."
    after = {
        Tlp.CLEAR: "Once validated: anyone, the unauthenticated public included.",
        Tlp.GREEN: "Once validated: every member organization of the platform.",
        Tlp.AMBER: f"Once validated: {org}, the organizations the clearinghouse addresses it to, and the validator.",
        Tlp.AMBER_STRICT: f"Once validated: {org}, the organizations it is addressed to and the validator, never their clients.",
        Tlp.RED: (
            "Only the people named below; until the clearinghouse validates it, only those of them at "
            f"{org} and at the clearinghouse."
        ),
    }[label]
    return (before if label is not Tlp.RED else "", after)


def _inherited(uow: UnitOfWork, finding: Finding, fref: FindingRef) -> tuple[list[Person], list[str]]:
    """The finding's named people the report accepts (RED only), and why the others are left out."""
    wanted = set(fref.recipients) | ({finding.filed_by_user_id} if finding.filed_by_user_id else set())
    people = directory.list_people(uow, wanted)
    if Tlp(finding.tlp) is not Tlp.RED:
        why = f"a {finding.tlp} report names no people"
        return [], [f"{p.email} is named on the finding; {why}." for p in people if p.id in fref.recipients]
    kept = [p for p in people if p.is_active and p.organization_id is not None]
    left = [f"{p.email} is no longer an active member of an organization and is not named." for p in people if p not in kept]
    return kept, left


def _clearinghouse_people(uow: UnitOfWork) -> list[Person]:
    return directory.list_members(uow, directory.list_organization_ids(uow, OrgKind.CLEARINGHOUSE))


def _load(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> tuple[Finding, FindingRef]:
    finding, _, fref = get_readable(uow, principal, finding_id)
    return finding, fref


def _refusal(uow: UnitOfWork, principal: Principal, finding: Finding, fref: FindingRef) -> str | None:
    decision = decide(uow, principal, Permission.FINDING_REFER, fref, uow.clock.now())
    if not decision.allowed:
        return decision.reason
    if Category(finding.category) not in REFERABLE:
        return "only a finding about third-party software is referred to the clearinghouse"
    return None


def find_referral(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> reports.ReportSummary | None:
    """The report this finding was referred as, when the reader may read that report (else None)."""
    return reports.referred_from(uow, principal, finding_id)


def may_refer(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> bool:
    """Whether the reader may refer this finding (for the finding page's link; the service checks again)."""
    finding, fref = _load(uow, principal, finding_id)
    return _refusal(uow, principal, finding, fref) is None


def plan_referral(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID) -> ReferralPlan:
    """What referring this finding would do, for the form (prefilled) and its confirmation.

    Raises:
        NotFound: outside the finding's audience.
    """
    finding, fref = _load(uow, principal, finding_id)
    refusal = _refusal(uow, principal, finding, fref)
    named, left = _inherited(uow, finding, fref)
    label = Tlp(finding.tlp)
    org = directory.organization_names(uow, {finding.organization_id}).get(finding.organization_id, "your organization")
    return ReferralPlan(
        finding_id=finding.id,
        engagement_id=finding.engagement_id,
        title=finding.title,
        description=_description(uow, finding) if refusal is None else "",
        tlp=label,
        named=tuple(named),
        left_out=tuple(left),
        clearinghouse_choices=tuple(_clearinghouse_people(uow)) if refusal is None and label is Tlp.RED else (),
        may_refer=refusal is None,
        refusal=refusal,
        audience=tuple(a for a in _audience(label, org) if a),
    )


def _report_input(finding: Finding, description: str, given: ReferralInput) -> reports.ReportInput:
    return reports.ReportInput(
        title=given.title.strip() or finding.title,
        description=given.description.strip() or description,
        tlp=finding.tlp,
        products=given.products,
        cve_id=given.cve_id,
        cwe_ids=given.cwe_ids,
        cvss31=given.cvss31,
        cvss40=given.cvss40,
        sectors=given.sectors,
        references=given.references,
        exploited=given.exploited,
    )


def _named(uow: UnitOfWork, finding: Finding, fref: FindingRef, given: ReferralInput) -> tuple[list[Person], list[str]]:
    named, left = _inherited(uow, finding, fref)
    if not given.clearinghouse_people:
        return named, left
    if Tlp(finding.tlp) is not Tlp.RED:
        raise ValidationFailed("only a TLP:RED referral names people of the clearinghouse", field="clearinghouse_people")
    allowed = {p.id: p for p in _clearinghouse_people(uow)}
    problems: list[FieldProblem] = []
    for raw in given.clearinghouse_people:
        try:
            user_id = raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw).strip())
        except ValueError:
            problems.append(FieldProblem("clearinghouse_people", f"{str(raw)[:40]!r} is not a user id"))
            continue
        if user_id not in allowed:
            problems.append(FieldProblem("clearinghouse_people", f"{user_id} is not an active member of the clearinghouse"))
        elif all(p.id != user_id for p in named):
            named.append(allowed[user_id])
    if problems:
        raise ValidationFailed(problems[0].message, problems=problems)
    return named, left


def check_referral(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID, given: ReferralInput) -> ReferralPlan:
    """Check a referral without writing anything (before its confirmation page).

    Raises:
        NotFound: outside the finding's audience.
        PermissionDenied: not the finder's organization, or a category that is not referred.
        ValidationFailed: naming every bad field of the report.
    """
    finding, fref = _load(uow, principal, finding_id)
    _authorize(uow, principal, finding, fref)
    description = _description(uow, finding)
    _report_input(finding, description, given).check()
    named, left = _named(uow, finding, fref, given)
    plan = plan_referral(uow, principal, finding_id)
    return ReferralPlan(**{**plan.__dict__, "named": tuple(named), "left_out": tuple(left)})


def _authorize(uow: UnitOfWork, principal: Principal, finding: Finding, fref: FindingRef) -> None:
    authorize(uow, principal, Permission.FINDING_REFER, fref)
    if Category(finding.category) not in REFERABLE:
        refuse(
            uow,
            principal,
            Permission.FINDING_REFER,
            "only a finding about third-party software is referred to the clearinghouse",
            fref.audit_target(),
        )


def refer_finding(uow: UnitOfWork, principal: Principal, finding_id: uuid.UUID, given: ReferralInput) -> Referred:
    """Refer the finding to the clearinghouse: a report linked to it, source = the finder's organization.

    Args:
        uow: the unit of work.
        principal: a member of the finder's organization while it takes part.
        finding_id: a finding of category ``third_party_vulnerability``.
        given: the report's fields beyond the finding; the label is the finding's.

    Returns:
        The report as the referrer sees it, who was named, and who was left out and why.

    Raises:
        NotFound: outside the finding's audience.
        PermissionDenied: not the finder's organization, or a category that is not referred.
        ValidationFailed: a bad field (nothing is written).
        Conflict: the finding was already referred.
    """
    finding, fref = _load(uow, principal, finding_id)
    _authorize(uow, principal, finding, fref)
    description = _description(uow, finding)
    checked = _report_input(finding, description, given)
    checked.check()  # every bad field named before the recipients are looked at
    named, left = _named(uow, finding, fref, given)
    if Tlp(finding.tlp) is Tlp.RED and not named:
        raise ValidationFailed(
            "nobody on this TLP:RED finding can still be named: name someone at the clearinghouse", field="clearinghouse_people"
        )
    try:
        view = reports.submit(
            uow,
            principal,
            checked,
            recipient_people=[p.id for p in named],
            referral=reports.Referral(finding_id=finding.id, engagement_id=finding.engagement_id),
        )
    except Conflict:
        raise Conflict("this finding was already referred to the clearinghouse", field="finding") from None
    audit.record(
        uow,
        principal,
        EngagementTag.FINDING_REFERRED,
        target_type="finding",
        target_id=finding.id,
        details={
            "engagement": str(finding.engagement_id),
            "report": str(view.id),
            "tlp": finding.tlp,
            "named": sorted(str(p.id) for p in named),
            "left_out": len(left),
        },
    )
    return Referred(finding.id, view, tuple(named), tuple(left))
