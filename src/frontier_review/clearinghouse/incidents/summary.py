"""What a home page could show of incidents: the reader's counts by status and the newest ones.

Every incident counted or listed passed the one audience condition (``browse.audience_clause``,
held equal to ``policy.reads_incident``): a TLP:RED incident that does not name the reader is
neither listed nor counted. Two queries, whatever the number of incidents; no sealed column is read.
"""

from __future__ import annotations

from dataclasses import dataclass

from frontier_review.clearinghouse.incidents.browse import page_incidents
from frontier_review.clearinghouse.incidents.domain import IncidentStatus
from frontier_review.clearinghouse.incidents.views import IncidentSummary
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.listing import ListQuery
from frontier_review.kernel.principal import Principal

__all__ = ["OpenIncidents", "open_incidents"]


@dataclass(frozen=True)
class OpenIncidents:
    """Incidents the reader may see, by status, and the newest few not yet closed."""

    counts: dict[IncidentStatus, int]
    newest: tuple[IncidentSummary, ...]

    @property
    def open(self) -> int:
        return sum(n for status, n in self.counts.items() if status is not IncidentStatus.CLOSED)


def open_incidents(uow: UnitOfWork, principal: Principal, *, limit: int = 5, referred_to_me: bool = False) -> OpenIncidents:
    """The reader's counts by status and its newest open incidents (referred to its organization, if asked)."""
    counts = page_incidents(uow, principal, ListQuery(per_page=1), referred_to_me=referred_to_me).counts
    newest: list[IncidentSummary] = []
    for status in (IncidentStatus.RECEIVED, IncidentStatus.UNDER_REVIEW, IncidentStatus.REFERRED):
        if counts[status]:
            query = ListQuery(per_page=limit, filters={"status": status.value})
            newest.extend(page_incidents(uow, principal, query, referred_to_me=referred_to_me).page.items)
    newest.sort(key=lambda i: i.reported_at, reverse=True)
    return OpenIncidents(counts, tuple(newest[:limit]))
