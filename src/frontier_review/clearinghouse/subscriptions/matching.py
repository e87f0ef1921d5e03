"""Which organizations' subscriptions match a report: the patches slice's question (system reads).

Patch distribution creates a record for each organization with an active subscription matching a
report (and in its audience, which the caller asks); the exposure board matches an
organization's own subscriptions against the reports it may see. Both use :func:`.domain.matches`.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy import select

from frontier_review.clearinghouse.subscriptions.domain import Criteria, ReportNotice, matches
from frontier_review.clearinghouse.subscriptions.orm import Subscription
from frontier_review.clearinghouse.subscriptions.views import criteria_of
from frontier_review.db.uow import UnitOfWork

__all__ = ["matching_organizations", "organization_criteria"]


def matching_organizations(uow: UnitOfWork, notice: ReportNotice, *, ignore_minimum: bool = True) -> frozenset[uuid.UUID]:
    """The organizations with an active subscription matching the report (a sector or a product in common).

    ``ignore_minimum``: an organization is affected by a report below its notification threshold
    too, so by default the subscription's minimum priority is not applied.
    """
    rows = uow.session.scalars(select(Subscription).where(Subscription.active.is_(True)))
    out: set[uuid.UUID] = set()
    for row in rows:
        criteria = criteria_of(row)
        if ignore_minimum:
            criteria = replace(criteria, min_score=0.0)
        if matches(criteria, notice):
            out.add(row.organization_id)
    return frozenset(out)


def organization_criteria(uow: UnitOfWork, org_id: uuid.UUID) -> list[Criteria]:
    """The organization's active subscriptions' criteria, minimum priority set aside (exposure, not notice)."""
    rows = uow.session.scalars(select(Subscription).where(Subscription.organization_id == org_id, Subscription.active.is_(True)))
    return [replace(criteria_of(r), min_score=0.0) for r in rows]
