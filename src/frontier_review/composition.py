"""The composition root: the one place that lists what every area contributes.

Areas depend downwards only (on ``kernel``, ``db``, ``jobs``, ``policies``, ``web``'s adapter
kit and on one another's public faces); nothing below this module names every area. Here the
authorization rules, domain-event handlers and job tasks are put together into a
:class:`~frontier_review.bootstrap.Wiring`, and :func:`build_container` builds a process with it.
The list of ORM modules is here too: importing this module completes ``Base.metadata`` for
Alembic's environment and the tests. The routers are listed in ``frontier_review.asgi``. So are
the namers of audit targets: the audit browser asks (``audit.targets.NameTargets``) and each
area answers for its own targets, for the reader, without the audit area knowing any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

from frontier_review.audit import orm as audit_orm
from frontier_review.audit.policy import RULES as AUDIT_RULES
from frontier_review.audit.service import write_denials
from frontier_review.audit.targets import Namer, NameTargets, answering
from frontier_review.audit.tasks import register as audit_tasks
from frontier_review.bootstrap import Container, Wiring
from frontier_review.clearinghouse.incidents import browse as incident_browse
from frontier_review.clearinghouse.incidents import orm as incidents_orm
from frontier_review.clearinghouse.incidents.policy import RULES as INCIDENT_RULES
from frontier_review.clearinghouse.patches import orm as patches_orm  # clearinghouse — patches
from frontier_review.clearinghouse.patches.on_reports import on_report_disseminated as distribute_patches
from frontier_review.clearinghouse.patches.policy import RULES as PATCH_RULES  # clearinghouse — patches
from frontier_review.clearinghouse.reports import browse as report_browse
from frontier_review.clearinghouse.reports import orm as reports_orm
from frontier_review.clearinghouse.reports.events import ReportDisseminated
from frontier_review.clearinghouse.reports.policy import RULES as REPORT_RULES
from frontier_review.clearinghouse.scans import browse as scan_browse
from frontier_review.clearinghouse.scans import orm as scans_orm
from frontier_review.clearinghouse.scans.policy import RULES as SCAN_RULES
from frontier_review.clearinghouse.subscriptions import orm as subscriptions_orm
from frontier_review.clearinghouse.subscriptions.on_reports import on_report_disseminated
from frontier_review.clearinghouse.subscriptions.policy import RULES as SUBSCRIPTION_RULES
from frontier_review.clearinghouse.subscriptions.tasks import register as subscriptions_tasks
from frontier_review.config import Settings, load_settings
from frontier_review.coverage import browse as coverage_browse
from frontier_review.coverage import orm as coverage_orm
from frontier_review.coverage.policy import RULES as COVERAGE_RULES
from frontier_review.db.base import Base
from frontier_review.engagements import orm as engagements_orm
from frontier_review.engagements.access.context import ACCESS_TABLES
from frontier_review.engagements.findings import browse as finding_browse
from frontier_review.engagements.lifecycle import browse as engagement_browse
from frontier_review.engagements.lifecycle.closing import on_version_status_changed
from frontier_review.engagements.policy import RULES as ENGAGEMENT_RULES
from frontier_review.engagements.tasks import register as engagements_tasks
from frontier_review.evals import browse as evals_browse
from frontier_review.evals import orm as evals_orm
from frontier_review.evals.policy import RULES as EVALS_RULES
from frontier_review.evals.tasks import register as evals_tasks
from frontier_review.identity import browse as identity_browse
from frontier_review.identity import orm as identity_orm
from frontier_review.identity.policy import RULES as IDENTITY_RULES
from frontier_review.kernel import authz
from frontier_review.kernel.clock import Clock, SystemClock
from frontier_review.kernel.permissions import Permission
from frontier_review.notifications import orm as notifications_orm
from frontier_review.registry import browse as registry_browse
from frontier_review.registry import orm as registry_orm
from frontier_review.registry.events import VersionStatusChanged
from frontier_review.registry.policy import RULES as REGISTRY_RULES
from frontier_review.security import orm as security_orm
from frontier_review.security.policy import RULES as SECURITY_RULES

__all__ = ["ORM_MODULES", "RULES", "TARGET_NAMERS", "WIRING", "Base", "build_container"]

ORM_MODULES: tuple[ModuleType, ...] = (
    identity_orm,
    audit_orm,
    security_orm,
    notifications_orm,
    registry_orm,
    coverage_orm,
    evals_orm,
    engagements_orm,
    subscriptions_orm,
    incidents_orm,
    reports_orm,  # clearinghouse: reports
    scans_orm,
    patches_orm,  # clearinghouse — patches
)
"""Every area's tables. ``Base.metadata`` is complete once this module is imported."""

RULES: Mapping[Permission, authz.Rule] = {
    **IDENTITY_RULES,
    **AUDIT_RULES,
    **SECURITY_RULES,
    **REGISTRY_RULES,
    **COVERAGE_RULES,
    **EVALS_RULES,
    **ENGAGEMENT_RULES,
    **SUBSCRIPTION_RULES,
    **INCIDENT_RULES,
    **REPORT_RULES,  # clearinghouse: reports
    **SCAN_RULES,
    **PATCH_RULES,  # clearinghouse — patches
}


TARGET_NAMERS: Mapping[str, Namer] = {
    "organization": identity_browse.name_organizations,
    "user": identity_browse.name_users,
    "model": registry_browse.name_models,
    "model_version": registry_browse.name_versions,
    "coverage_inquiry": coverage_browse.name_inquiries,
    "determination": coverage_browse.name_determinations,
    "coverage_policy": coverage_browse.name_policies,
    "benchmark": coverage_browse.name_benchmarks,
    "benchmark_run": evals_browse.name_runs,
    "engagement": engagement_browse.name_engagements,
    "finding": finding_browse.name_findings,
    "incident": incident_browse.name_incidents,
    "report": report_browse.name_reports,  # clearinghouse: reports
    "scan": scan_browse.name_scans,
}
"""Who names each kind of audit target, for one reader (a kind nobody names stays a bare id)."""

WIRING = Wiring(
    rules=RULES,
    denial_writer=write_denials,
    handlers={
        VersionStatusChanged: (on_version_status_changed,),
        NameTargets: (answering(TARGET_NAMERS),),
        ReportDisseminated: (on_report_disseminated, distribute_patches),  # clearinghouse — patches: distribute_patches
    },
    task_registrars=(audit_tasks, evals_tasks, engagements_tasks, subscriptions_tasks),
    access_tables=ACCESS_TABLES,
)


def build_container(settings: Settings | None = None, *, clock: Clock | None = None) -> Container:
    """Build the process's container from the environment (or the given settings)."""
    return Container(settings=settings or load_settings(), wiring=WIRING, clock=clock or SystemClock())
