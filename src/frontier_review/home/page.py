"""What each role's home page shows: what needs its attention, read through the areas' public faces.

Nothing here decides who sees what. Each area's ``summary`` module answers for the reader with
its own rules (engagements, findings through their TLP audience, coverage, runs of classified
suites, accounts); this module only asks the ones that matter to the reader's role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from frontier_review import engagements as engagements_area
from frontier_review.audit import service as audit
from frontier_review.audit.domain import VerifyReport
from frontier_review.coverage import summary as coverage_summary
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements import Severity
from frontier_review.evals import summary as evals_summary
from frontier_review.home.clearinghouse import ClearinghouseHome, clearinghouse_home
from frontier_review.identity import service as identity
from frontier_review.identity import summary as identity_summary
from frontier_review.identity.domain import ORG_KIND_LABELS, OrgKind
from frontier_review.identity.views import OrganizationView, UserView
from frontier_review.kernel.principal import Principal
from frontier_review.kernel.principal import Role as PrincipalRole
from frontier_review.security import envelope

__all__ = ["KIND_HELP", "HomePage", "QueueDepth", "Role", "home_page", "role_of"]


class Role(StrEnum):
    """Which home page a person gets."""

    DEVELOPER = "developer"
    PROGRAM_OFFICE = "program_office"
    REVIEWER = "reviewer"  # agencies and trusted partners
    CLEARINGHOUSE = "clearinghouse"
    OPERATOR = "operator"  # a superuser with no organization
    NONE = "none"


KIND_HELP = {
    OrgKind.DEVELOPER: (
        "Register models and release candidates, offer prerelease review on your terms, and release whenever you decide."
    ),
    OrgKind.PROGRAM_OFFICE: "Publish coverage policies, run the classified benchmark, decide coverage and vet trusted partners.",
    OrgKind.AGENCY: "Review release candidates during their window, file findings and share vulnerabilities.",
    OrgKind.PARTNER: (
        "Review release candidates where developers include trusted partners, and receive vulnerability notices for your sector."
    ),
    OrgKind.CLEARINGHOUSE: "Triage, validate and disseminate vulnerability reports under TLP 2.0.",
}


OPERATOR_HELP = "Run the platform: organizations, accounts, the job queue and the audit log."


@dataclass(frozen=True)
class QueueDepth:
    """Jobs waiting in the queue: ``pending`` to run now, ``scheduled`` for later (retries, delays)."""

    pending: int
    scheduled: int


@dataclass(frozen=True)
class HomePage:
    """Everything one home page shows; a section is None when the reader's role does not get it."""

    role: Role
    me: UserView
    org: OrganizationView | None
    active_tokens: int
    engagements: engagements_area.EngagementOverview | None = None
    findings: engagements_area.OpenFindings | None = None
    inquiries: coverage_summary.PendingInquiries | None = None
    runs: evals_summary.ActiveRuns | None = None
    locked: list[identity_summary.LockedAccount] | None = None
    chain: VerifyReport | None = None
    chain_error: str | None = None
    queue: QueueDepth | None = None
    queue_error: str | None = None
    clearinghouse: ClearinghouseHome | None = None
    is_operator: bool = False

    @property
    def kind_label(self) -> str:
        return ORG_KIND_LABELS[self.org.kind] if self.org is not None else "Platform operator"

    @property
    def kind_help(self) -> str:
        return KIND_HELP[self.org.kind] if self.org is not None else OPERATOR_HELP


def role_of(principal: Principal) -> Role:
    """The home page a principal gets: its organization's kind, or the operator's when it has none."""
    match principal.org_kind:
        case OrgKind.DEVELOPER:
            return Role.DEVELOPER
        case OrgKind.PROGRAM_OFFICE:
            return Role.PROGRAM_OFFICE
        case OrgKind.AGENCY | OrgKind.PARTNER:
            return Role.REVIEWER
        case OrgKind.CLEARINGHOUSE:
            return Role.CLEARINGHOUSE
    return Role.OPERATOR if principal.is_superuser else Role.NONE


def home_page(
    uow: UnitOfWork,
    principal: Principal,
    *,
    severity: Severity | None = None,
    queue_depth: Callable[[], QueueDepth] | None = None,
) -> HomePage:
    """The reader's home page.

    Args:
        uow: the unit of work.
        principal: the signed-in person.
        severity: narrow the developer's open findings to this severity.
        queue_depth: how to read the job queue's depth (operators only; the web layer owns the queue).
    """
    assert principal.user_id is not None
    role = role_of(principal)
    me = identity.get_user(uow, principal, principal.user_id)
    org = identity.get_organization(uow, principal, principal.org_id) if principal.org_id is not None else None
    now = uow.clock.now()
    tokens = identity.list_tokens(uow, principal, user_id=principal.user_id)
    chain: VerifyReport | None = None
    queue: QueueDepth | None = None
    chain_error = queue_error = None
    if principal.is_superuser:
        chain, chain_error = _chain(uow, principal)
        queue, queue_error = _queue(queue_depth)
    return HomePage(
        role=role,
        me=me,
        org=org,
        active_tokens=sum(1 for t in tokens if t.status(now) == "active"),
        engagements=engagements_area.engagement_overview(uow, principal) if role in _PARTIES else None,
        findings=engagements_area.open_findings(uow, principal, severity=severity) if role is Role.DEVELOPER else None,
        inquiries=coverage_summary.pending_inquiries(uow, principal) if role in _COVERAGE else None,
        runs=evals_summary.active_runs(uow, principal) if role is Role.PROGRAM_OFFICE else None,
        # Admins and operators are the ones who may unlock an account.
        locked=identity_summary.locked_accounts(uow, principal)
        if principal.is_superuser or principal.role is PrincipalRole.ADMIN
        else None,
        chain=chain,
        chain_error=chain_error,
        queue=queue,
        queue_error=queue_error,
        clearinghouse=clearinghouse_home(uow, principal) if role in _CLEARINGHOUSE else None,
        is_operator=principal.is_superuser,
    )


_PARTIES = frozenset({Role.DEVELOPER, Role.PROGRAM_OFFICE, Role.REVIEWER})
_COVERAGE = frozenset({Role.DEVELOPER, Role.PROGRAM_OFFICE})
_CLEARINGHOUSE = frozenset({Role.CLEARINGHOUSE, Role.REVIEWER})


def _chain(uow: UnitOfWork, principal: Principal) -> tuple[VerifyReport | None, str | None]:
    try:
        return audit.verify(uow, principal, tail_only=True), None
    except envelope.UnknownMasterKey:
        return None, "the server cannot open its signing key: check the master key configuration"


def _queue(queue_depth: Callable[[], QueueDepth] | None) -> tuple[QueueDepth | None, str | None]:
    if queue_depth is None:
        return None, None
    try:
        return queue_depth(), None
    except Exception as exc:  # the queue's storage (Redis, a file) may be down; the page still renders
        return None, f"the job queue does not answer ({type(exc).__name__})"
