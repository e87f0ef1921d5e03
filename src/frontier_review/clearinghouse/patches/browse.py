"""Reads for pages: the exposure board, the board's "still exposed" counts, the report page's section.

Nothing here widens what a reader sees: the exposure board starts from the reports the reader
may read (``reports.facts_for``, the reports' own audience in SQL, checked again by the rule), and
counts and records are shown only where ``policy`` allows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select

from frontier_review.clearinghouse import reports, subscriptions
from frontier_review.clearinghouse.patches.domain import EXPOSED
from frontier_review.clearinghouse.patches.orm import PatchDistribution, ReportFix
from frontier_review.clearinghouse.patches.views import DistributionView, ExposureRow, distribution_view, record_views
from frontier_review.clearinghouse.subscriptions.domain import product_matches
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide

__all__ = ["exposure", "section", "still_exposed"]


def _reasons(
    org_id: uuid.UUID, facts: reports.ReportFacts, criteria: list[subscriptions.Criteria], has_record: bool
) -> tuple[str, ...]:
    out = []
    if org_id in facts.recipient_orgs:
        out.append("addressed to you")
    sectors = set(facts.summary.sectors)
    products = (*facts.purls, *facts.cpes)
    if any(c.sectors & sectors for c in criteria):
        out.append("sector")
    if any(product_matches(prefix, p) for c in criteria for prefix in c.products for p in products):
        out.append("product")
    if not out and has_record:
        out.append("patch distribution")
    return tuple(out)


def exposure(uow: UnitOfWork, principal: Principal) -> list[ExposureRow]:
    """The reports affecting the reader's organization, highest priority first, with its own patch status.

    A report affects the organization when the reader may read it and it is addressed to the
    organization, or its sectors or products match one of the organization's active subscriptions
    (whatever the subscription's minimum priority), or the organization has a distribution record.

    Raises:
        PermissionDenied: not a member of an organization.
    """
    authorize(uow, principal, Permission.EXPOSURE_READ, None)
    org = principal.org_id
    assert org is not None  # the rule admits members of an organization only
    criteria = subscriptions.organization_criteria(uow, org)
    facts = reports.facts_for(uow, principal)
    ids = [f.summary.id for f in facts]
    if not ids:
        return []
    mine = list(
        uow.session.scalars(
            select(PatchDistribution).where(PatchDistribution.organization_id == org, PatchDistribution.report_id.in_(ids))
        )
    )
    fixes = dict(
        uow.session.execute(
            select(ReportFix.report_id, func.count()).where(ReportFix.report_id.in_(ids)).group_by(ReportFix.report_id)
        ).all()
    )
    own = {v.report_id: v for v in record_views(uow, mine)}
    rows = []
    for f in facts:
        reasons = _reasons(org, f, criteria, f.summary.id in own)
        if reasons:
            rows.append(ExposureRow(f.summary, reasons, int(fixes.get(f.summary.id, 0)), own.get(f.summary.id)))
    rows.sort(key=lambda r: (-r.report.priority, -r.report.received_at.timestamp(), str(r.report.id)))
    return rows


def still_exposed(uow: UnitOfWork, principal: Principal, report_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """How many operators are still exposed (notified or acknowledged), per report, where the reader sees every record.

    Reports the reader may not read, or whose records it may not see, are left out (not zero).
    """
    allowed = []
    for report_id in report_ids:
        ref = reports.find_readable_ref(uow, principal, report_id)
        if ref is not None and decide(uow, principal, Permission.DISTRIBUTION_READ_ALL, ref).allowed:
            allowed.append(report_id)
    if not allowed:
        return {}
    counts = dict.fromkeys(allowed, 0)
    for report_id, n in uow.session.execute(
        select(PatchDistribution.report_id, func.count())
        .where(PatchDistribution.report_id.in_(allowed), PatchDistribution.state.in_([s.value for s in EXPOSED]))
        .group_by(PatchDistribution.report_id)
    ):
        counts[report_id] = int(n)
    return counts


def section(uow: UnitOfWork, principal: Principal, report_id: uuid.UUID) -> DistributionView | None:
    """The report page's "Patch distribution" section for a reader of the report (None otherwise).

    Records nothing: the page around it already audited the read of the report.
    """
    ref = reports.find_readable_ref(uow, principal, report_id)
    return None if ref is None else distribution_view(uow, principal, ref)
