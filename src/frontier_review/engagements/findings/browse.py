"""Findings in list tables, in counts and in the audit browser, for one reader.

Who sees a finding is its TLP 2.0 audience (``policy.reads_finding`` over ``kernel.tlp``), and
that one function stays the only judge: the audience depends on the label, the named people, the
reader's standing and whether its organization accepted the terms, which no SQL condition here
restates. So a list first asks the rule of every candidate row — light columns only, in a fixed
number of queries (the engagement's refs once, the named people in one query), never one query
per finding — and then sorts, filters and pages *among the readable ids* in SQL. Counts and pages
are therefore the reader's own; a TLP:RED finding that does not name the reader is neither listed,
counted nor named. An engagement holds tens to hundreds of findings, so deciding each is cheap.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select

from frontier_review.audit.targets import TargetLink, uuid_ids
from frontier_review.db.listing import AnyRow, SortColumns, by_position, fetch_page, search_any
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.findings.domain import (
    SEVERITY_ORDER,
    Category,
    FindingStatus,
    Severity,
    Tlp,
    finding_link,
)
from frontier_review.engagements.findings.orm import Finding, FindingComment, FindingRecipient
from frontier_review.engagements.findings.policy import FindingRef
from frontier_review.engagements.findings.views import FindingSummary
from frontier_review.engagements.lifecycle import summary as engagements_summary
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.engagements.lifecycle.policy import EngagementRef
from frontier_review.engagements.lifecycle.views import get_row_for
from frontier_review.engagements.materials.orm import FindingEvidence
from frontier_review.identity import directory
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide

__all__ = ["FindingsPage", "name_findings", "page_findings", "severity_by_engagement"]

_COLUMNS = (
    Finding.id,
    Finding.engagement_id,
    Finding.organization_id,
    Finding.title,
    Finding.severity,
    Finding.tlp,
    Finding.filed_by_user_id,
)


@dataclass(frozen=True)
class FindingsPage:
    """A page of an engagement's findings and the reader's counts by severity (of every finding it may see)."""

    page: Page[FindingSummary]
    counts: dict[Severity, int]
    total: int


def _readable(
    uow: UnitOfWork, principal: Principal, rows: Sequence[AnyRow], refs: Mapping[uuid.UUID, EngagementRef]
) -> list[AnyRow]:
    """The rows (light ``Finding`` columns) in the reader's TLP audience, asked of the rule itself."""
    ids = [r.id for r in rows]
    named: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    if ids:
        for finding_id, user_id in uow.session.execute(
            select(FindingRecipient.finding_id, FindingRecipient.user_id).where(FindingRecipient.finding_id.in_(ids))
        ):
            named[finding_id].add(user_id)
    now = uow.clock.now()
    return [
        r
        for r in rows
        if r.engagement_id in refs
        and decide(
            uow,
            principal,
            Permission.FINDING_READ,
            FindingRef(
                engagement=refs[r.engagement_id],
                id=r.id,
                finder_org_id=r.organization_id,
                tlp=r.tlp,
                recipients=frozenset(named.get(r.id, ())),
                filer_user_id=r.filed_by_user_id,
            ),
            now,
        ).allowed
    ]


def page_findings(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, query: ListQuery) -> FindingsPage:
    """A page of the engagement's findings in the reader's TLP audience, with its counts by severity.

    Args:
        uow: The unit of work.
        principal: The reader.
        engagement_id: The engagement.
        query: Sort keys ``filed`` (default, newest first), ``title``, ``severity`` (most severe
            first), ``category``, ``tlp`` (most restricted first), ``status``, ``finder``,
            ``thread`` (comments); filters ``severity``, ``status``, ``tlp`` and ``category``; the
            search matches part of the title.

    Returns:
        The page (the total is of the filtered list the reader may see) and the counts by severity
        of every finding the reader may see, whatever the filters.

    Raises:
        NotFound: No such engagement, or one the reader may not read (a revoked participant).
    """
    row = get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_READ)
    refs = engagements_summary.load_refs(uow, [row]).refs
    candidates = list(uow.session.execute(select(*_COLUMNS).where(Finding.engagement_id == row.id)))
    seen = _readable(uow, principal, candidates, refs)
    counts = dict.fromkeys(SEVERITY_ORDER, 0)
    for r in seen:
        counts[Severity(r.severity)] += 1
    comments = select(func.count()).where(FindingComment.finding_id == Finding.id).correlate(Finding).scalar_subquery()
    evidence = select(func.count()).where(FindingEvidence.finding_id == Finding.id).correlate(Finding).scalar_subquery()
    stmt = select(Finding, comments, evidence).where(Finding.id.in_([r.id for r in seen]))
    if query.search:
        stmt = stmt.where(search_any(query.search, Finding.title))
    choices: tuple[tuple[str, type[StrEnum]], ...] = (
        ("severity", Severity),
        ("status", FindingStatus),
        ("tlp", Tlp),
        ("category", Category),
    )
    for name, allowed in choices:
        value = query.filter(name)
        if value in {v.value for v in allowed}:
            stmt = stmt.where(getattr(Finding, name) == value)
    finders = sorted({r.organization_id for r in seen})
    names = directory.organization_names(uow, finders)
    sorts: SortColumns = {
        "filed": [Finding.filed_at],
        "title": [func.lower(Finding.title)],
        "severity": [by_position(Finding.severity, [s.value for s in SEVERITY_ORDER]), Finding.filed_at],
        "category": [Finding.category, Finding.filed_at],
        "tlp": [by_position(Finding.tlp, [t.value for t in reversed(Tlp)]), Finding.filed_at],
        "status": [Finding.status, Finding.filed_at],
        "finder": [by_position(Finding.organization_id, sorted(finders, key=lambda o: names.get(o, "").lower()))],
        "thread": [comments],
    }
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("filed", descending=True), unique=Finding.id)
    items = [_summary(f, int(n or 0), int(e or 0), names) for f, n, e in page.items]
    return FindingsPage(Page(items, page.total, page.page, page.per_page, page.sort), counts, len(seen))


def _summary(f: Finding, comments: int, evidence: int, names: Mapping[uuid.UUID, str]) -> FindingSummary:
    return FindingSummary(
        id=f.id,
        engagement_id=f.engagement_id,
        title=f.title,
        category=Category(f.category),
        severity=Severity(f.severity),
        tlp=Tlp(f.tlp),
        status=FindingStatus(f.status),
        finder_org_id=f.organization_id,
        finder_org_name=names.get(f.organization_id, "?"),
        filed_by=f.filed_by,
        filed_at=f.filed_at,
        updated_at=f.updated_at,
        comments=comments,
        evidence=evidence,
    )


def severity_by_engagement(
    uow: UnitOfWork, principal: Principal, engagement_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[Severity, int]]:
    """Per engagement, how many of its findings of each severity the reader may see (its TLP audience).

    For a page of the engagements list: a fixed number of queries whatever the number of
    engagements and findings. Call only with engagements the reader may read.
    """
    ids = list(set(engagement_ids))
    out = {e: dict.fromkeys(SEVERITY_ORDER, 0) for e in ids}
    if not ids:
        return out
    rows = list(uow.session.execute(select(*_COLUMNS).where(Finding.engagement_id.in_(ids))))
    if not rows:
        return out
    engagements = list(uow.session.scalars(select(Engagement).where(Engagement.id.in_(ids))))
    refs = engagements_summary.load_refs(uow, engagements).refs
    for r in _readable(uow, principal, rows, refs):
        out[r.engagement_id][Severity(r.severity)] += 1
    return out


def name_findings(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The findings among ``ids`` in ``reader``'s TLP audience, by title, with their page.

    A fixed number of queries (the findings, their engagements' refs, the named people); a finding
    outside the audience is left out, so its title never shows.
    """
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    rows = list(uow.session.execute(select(*_COLUMNS).where(Finding.id.in_(list(wanted)))))
    if not rows:
        return {}
    engagements = list(uow.session.scalars(select(Engagement).where(Engagement.id.in_({r.engagement_id for r in rows}))))
    refs = engagements_summary.load_refs(uow, engagements).refs
    return {wanted[r.id]: TargetLink(r.title, finding_link(r.engagement_id, r.id)) for r in _readable(uow, reader, rows, refs)}
