"""What a developer's home page shows of findings: those still awaiting its answer, by severity.

Every finding counted or listed passed the one audience question, ``FINDING_READ``
(:func:`.policy.reads_finding` over ``kernel.tlp``), asked of a ``FindingRef`` built exactly as
:func:`.views.finding_ref` builds it: a TLP:RED finding that does not name the reader is neither
listed nor counted. The read is bounded: a fixed number of queries, never one per finding, and
no sealed column is loaded.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.findings.domain import SEVERITY_ORDER, FindingStatus, Severity, Tlp
from frontier_review.engagements.findings.orm import Finding, FindingRecipient
from frontier_review.engagements.findings.policy import FindingRef
from frontier_review.engagements.lifecycle import summary as engagements_summary
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.identity import directory
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import decide

__all__ = ["OpenFinding", "OpenFindings", "open_findings"]


@dataclass(frozen=True)
class OpenFinding:
    """A finding awaiting the developer's answer, as a list shows it (no description, no thread)."""

    id: uuid.UUID
    engagement_id: uuid.UUID
    engagement_title: str
    title: str
    severity: Severity
    tlp: Tlp
    finder_org_name: str
    filed_at: datetime


@dataclass(frozen=True)
class OpenFindings:
    """Open findings the reader may see.

    Attributes:
        counts: how many of each severity, most severe first (zeros included).
        items: the most severe and oldest first, of ``severity`` only when one was asked for, at most the limit.
        more: how many the limit left out.
        severity: the severity the list is filtered to, if any.
    """

    counts: dict[Severity, int]
    items: tuple[OpenFinding, ...]
    more: int
    severity: Severity | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def open_findings(uow: UnitOfWork, principal: Principal, *, severity: Severity | None = None, limit: int = 10) -> OpenFindings:
    """The open findings of the reader's own engagements (the developer's) in its TLP audience.

    Open means the developer has not answered yet (status ``open``). Other readers get none: the
    home page asks this of developers, whose answer the findings wait for.
    """
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    if principal.org_kind is not OrgKind.DEVELOPER or principal.org_id is None:
        return OpenFindings(counts, (), 0, severity)
    rows = list(
        uow.session.execute(
            select(
                Finding.id,
                Finding.engagement_id,
                Finding.organization_id,
                Finding.title,
                Finding.severity,
                Finding.tlp,
                Finding.filed_by_user_id,
                Finding.filed_at,
            )
            .join(Engagement, Engagement.id == Finding.engagement_id)
            .where(Engagement.developer_org_id == principal.org_id, Finding.status == FindingStatus.OPEN.value)
        )
    )
    if not rows:
        return OpenFindings(counts, (), 0, severity)
    engagement_ids = {r.engagement_id for r in rows}
    engagements = list(uow.session.scalars(select(Engagement).where(Engagement.id.in_(engagement_ids))))
    loaded = engagements_summary.load_refs(uow, engagements)
    titles = {e.id: e.title for e in engagements}
    recipients: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for finding_id, user_id in uow.session.execute(
        select(FindingRecipient.finding_id, FindingRecipient.user_id).where(FindingRecipient.finding_id.in_([r.id for r in rows]))
    ):
        recipients[finding_id].add(user_id)
    now = uow.clock.now()
    seen = [
        r
        for r in rows
        if decide(
            uow,
            principal,
            Permission.FINDING_READ,
            FindingRef(
                engagement=loaded.refs[r.engagement_id],
                id=r.id,
                finder_org_id=r.organization_id,
                tlp=r.tlp,
                recipients=frozenset(recipients.get(r.id, ())),
                filer_user_id=r.filed_by_user_id,
            ),
            now,
        ).allowed
    ]
    for r in seen:
        counts[Severity(r.severity)] += 1
    chosen = [r for r in seen if severity is None or r.severity == severity.value]
    chosen.sort(key=lambda r: (SEVERITY_ORDER.index(Severity(r.severity)), r.filed_at))
    shown = chosen[:limit]
    names = directory.organization_names(uow, {r.organization_id for r in shown})
    items = tuple(
        OpenFinding(
            id=r.id,
            engagement_id=r.engagement_id,
            engagement_title=titles.get(r.engagement_id, "?"),
            title=r.title,
            severity=Severity(r.severity),
            tlp=Tlp(r.tlp),
            finder_org_name=names.get(r.organization_id, "?"),
            filed_at=r.filed_at,
        )
        for r in shown
    )
    return OpenFindings(counts, items, len(chosen) - len(shown), severity)
