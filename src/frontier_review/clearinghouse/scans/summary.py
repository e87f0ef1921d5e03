"""What a home page shows of scan deconfliction: what needs the reader's organization's attention.

Bounded reads (a fixed number of queries) over the same visibility condition as every list
(``views.visible``), so nothing is counted that the reader may not see. The lead's home page may
show it; each figure links to the page that lists the scans.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from frontier_review.clearinghouse.scans.browse import open_overlap
from frontier_review.clearinghouse.scans.domain import ScanStatus
from frontier_review.clearinghouse.scans.orm import PlannedScan
from frontier_review.clearinghouse.scans.views import visible
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide

__all__ = ["ScanAttention", "attention"]


@dataclass(frozen=True)
class ScanAttention:
    """Counts for one reader's home page; all zero for someone who sees no scan.

    Attributes:
        our_overlapping: planned, not yet ended scans of the reader's organization with an unresolved overlap
            (link ``/clearinghouse/scans?overlap=open``).
        our_objected: planned, not yet ended scans of the reader's organization the target objects to.
        of_our_assets: planned, not yet ended scans of the reader's organization's assets by others
            (link ``/clearinghouse/scans/assets``).
        all_overlapping: for the clearinghouse, every planned, not yet ended scan with an unresolved
            overlap (link ``/clearinghouse/scans?all=1&overlap=open``); 0 for others.
    """

    our_overlapping: int
    our_objected: int
    of_our_assets: int
    all_overlapping: int

    @property
    def any(self) -> bool:
        return any((self.our_overlapping, self.our_objected, self.of_our_assets, self.all_overlapping))


def attention(uow: UnitOfWork, principal: Principal) -> ScanAttention:
    """The reader's counts, in four queries."""
    if principal.org_id is None:
        return ScanAttention(0, 0, 0, 0)
    now = uow.clock.now()
    live = (visible(principal), PlannedScan.status == ScanStatus.PLANNED.value, PlannedScan.ends_at > now)
    ours = PlannedScan.scanner_org_id == principal.org_id

    def count(*conditions: object) -> int:
        return int(uow.session.scalar(select(func.count()).select_from(PlannedScan).where(*live, *conditions)) or 0)  # type: ignore[arg-type]

    every = decide(uow, principal, Permission.SCAN_LIST_ALL, None, now).allowed
    return ScanAttention(
        our_overlapping=count(ours, open_overlap),
        our_objected=count(ours, PlannedScan.objection.is_not(None)),
        of_our_assets=count(PlannedScan.target_org_id == principal.org_id, PlannedScan.scanner_org_id != principal.org_id),
        all_overlapping=count(open_overlap) if every else 0,
    )
