"""The clearinghouse's part of each home page, read from its slices' own summaries.

Who sees what is each slice's rule: reports through their TLP audience (``reports.queue_counts``
and ``reports.page_reports``, which count only reports the reader may read), incidents through
theirs, scans through theirs; the delivery log is the clearinghouse's only. So a second bank's
home page holds no title and no count of an AMBER report addressed to the first.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontier_review.clearinghouse import reports
from frontier_review.clearinghouse import subscriptions as subscriptions_slice
from frontier_review.clearinghouse.incidents import summary as incidents_summary
from frontier_review.clearinghouse.reports.browse import QueueCounts
from frontier_review.clearinghouse.scans import summary as scans_summary
from frontier_review.clearinghouse.subscriptions import browse as subscriptions_browse
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.listing import ListQuery, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import decide

__all__ = ["ClearinghouseHome", "clearinghouse_home"]

TOP = 5


@dataclass(frozen=True)
class ClearinghouseHome:
    """Counts and the highest-priority reports for one reader; every number is over the reader's own audience."""

    counts: QueueCounts
    top: tuple[reports.ReportSummary, ...]
    incidents: incidents_summary.OpenIncidents | None
    scans: scans_summary.ScanAttention
    failing_webhooks: int | None
    subscriptions: int
    works_queue: bool
    law_enforcement: bool


def clearinghouse_home(uow: UnitOfWork, principal: Principal) -> ClearinghouseHome:
    """The reader's clearinghouse section (a handful of bounded queries; the report counts read the reader's audience)."""
    now = uow.clock.now()
    works_queue = decide(uow, principal, Permission.REPORT_QUEUE, None, now).allowed
    query = ListQuery(per_page=TOP, sort=Sort("priority", descending=True), filters={"status": "open"})
    top = reports.page_reports(uow, principal, query).items
    card = directory.find_organization(uow, principal.org_id) if principal.org_id is not None else None
    law = card is not None and card.law_enforcement
    incidents: incidents_summary.OpenIncidents | None = None
    if works_queue:
        incidents = incidents_summary.open_incidents(uow, principal)
    elif law:
        incidents = incidents_summary.open_incidents(uow, principal, referred_to_me=True)
    failing: int | None = None
    if decide(uow, principal, Permission.SUBSCRIPTION_LIST_ALL, None, now).allowed:
        failing = subscriptions_browse.page_subscribers(uow, principal, ListQuery(per_page=1, filters={"state": "failing"})).total
    member = card is not None and card.kind is not OrgKind.CLEARINGHOUSE
    mine = len(subscriptions_slice.list_subscriptions(uow, principal)) if member else 0
    return ClearinghouseHome(
        counts=reports.queue_counts(uow, principal),
        top=tuple(top),
        incidents=incidents,
        scans=scans_summary.attention(uow, principal),
        failing_webhooks=failing,
        subscriptions=mine,
        works_queue=works_queue,
        law_enforcement=law,
    )
