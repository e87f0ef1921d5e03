"""Coverage's lists for tables and its names for audit targets, for one reader.

:func:`page_inquiries` (the inquiry queue, or a developer's own inquiries) and
:func:`page_policies` sort, filter and page in their queries what the reader may see anyway.
:func:`name_inquiries`, :func:`name_determinations` and :func:`name_policies` answer the audit
browser's question (``audit.targets``) with the rules of coverage's own pages. The benchmark
reads are system reads for evals' tables (benchmarks are coverage's; their metadata is public to
every participant).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import or_, select

from frontier_review.audit.targets import TargetLink, uuid_ids
from frontier_review.coverage.inquiries import InquiryStatus, InquiryView
from frontier_review.coverage.orm import Benchmark, Determination, Inquiry, PublishedPolicy
from frontier_review.coverage.policies import PolicyView, summary_view
from frontier_review.coverage.policy import VersionOwner
from frontier_review.db.listing import AnyRow, SortColumns, by_position, fetch_page, search_any
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.identity.domain import OrgKind
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide
from frontier_review.registry import browse as registry
from frontier_review.registry import summary as registry_summary

__all__ = [
    "benchmark_ids_by_name",
    "benchmark_ids_matching",
    "developer_choices",
    "name_benchmarks",
    "name_determinations",
    "name_inquiries",
    "name_policies",
    "page_inquiries",
    "page_policies",
    "policy_refs",
    "sees_queue",
]


def developer_choices(uow: UnitOfWork) -> list[tuple[str, str]]:
    """Every developer organization as ``(id, name)``, by name (the queue's developer filter)."""
    return [(str(o.id), o.name) for o in directory.list_organizations(uow, kinds=[OrgKind.DEVELOPER])]


def sees_queue(uow: UnitOfWork, principal: Principal) -> bool:
    """Whether ``principal`` works the whole queue (the program office, operators) rather than its own inquiries."""
    return principal.is_superuser or decide(uow, principal, Permission.COVERAGE_INQUIRY_WORK, None, uow.clock.now()).allowed


def page_inquiries(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[InquiryView]:
    """A page of the inquiry queue (every inquiry), or of a developer's own inquiries.

    Args:
        uow: The unit of work.
        principal: The reader.
        query: Sort keys ``filed`` (default: newest first), ``updated``, ``status``,
            ``assignee``, ``developer``; filters ``status`` and ``developer`` (an organization
            id); the search matches part of the question or of the version's name.

    Returns:
        The page (views without their threads), with the total of the filtered list.
    """
    stmt = select(Inquiry)
    if not sees_queue(uow, principal):
        stmt = stmt.where(Inquiry.organization_id == principal.org_id) if principal.org_id else stmt.where(Inquiry.id.is_(None))
    if query.search:
        versions = registry.version_ids_matching(uow, query.search)
        stmt = stmt.where(or_(search_any(query.search, Inquiry.question), Inquiry.model_version_id.in_(versions)))
    if status := query.filter("status"):
        stmt = stmt.where(Inquiry.status == status)
    if developer := query.filter("developer"):
        try:
            stmt = stmt.where(Inquiry.organization_id == uuid.UUID(developer))
        except ValueError:
            stmt = stmt.where(Inquiry.id.is_(None))
    developers = directory.list_organizations(uow, kinds=[OrgKind.DEVELOPER])
    # The queue's own order of work, not the alphabet: open, assigned, waiting, then settled.
    statuses = [s.value for s in InquiryStatus]
    sorts: SortColumns = {
        "filed": [Inquiry.filed_at],
        "updated": [Inquiry.updated_at],
        "status": [by_position(Inquiry.status, statuses), Inquiry.filed_at],
        "assignee": [Inquiry.assignee_label, Inquiry.filed_at],
        "developer": [by_position(Inquiry.organization_id, [o.id for o in developers]), Inquiry.filed_at],
    }
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("filed", descending=True), unique=Inquiry.id)
    refs = registry_summary.version_refs(uow, [row[0].model_version_id for row in page.items])
    names = {o.id: o.name for o in developers}

    def view(row: AnyRow) -> InquiryView:
        inquiry: Inquiry = row[0]
        version = refs.get(inquiry.model_version_id)
        return InquiryView(
            id=inquiry.id,
            model_version_id=inquiry.model_version_id,
            version_display=version.display if version else "?",
            organization_id=inquiry.organization_id,
            organization_name=names.get(inquiry.organization_id, "?"),
            question=inquiry.question,
            status=InquiryStatus(inquiry.status),
            assignee=inquiry.assignee_label,
            determination_id=inquiry.determination_id,
            filed_by=inquiry.filed_by,
            filed_at=inquiry.filed_at,
            updated_at=inquiry.updated_at,
            version=inquiry.version,
        )

    return page.map(view)


def page_policies(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[PolicyView]:
    """A page of the published policies (metadata only: thresholds are on each policy's own page).

    Args:
        uow: The unit of work.
        principal: The reader (any member of a participating organization).
        query: Sort keys ``policy`` (default: identifier, then effective date), ``title``,
            ``effective``, ``published``; filter ``marking`` (``classified`` or
            ``unclassified``); the search matches part of the identifier or the title.

    Returns:
        The page, with the total of the filtered list.
    """
    authorize(uow, principal, Permission.COVERAGE_POLICY_READ, None)
    stmt = select(PublishedPolicy)
    if query.search:
        stmt = stmt.where(search_any(query.search, PublishedPolicy.identifier, PublishedPolicy.title))
    if marking := query.filter("marking"):
        stmt = stmt.where(PublishedPolicy.classified.is_(marking == "classified"))
    sorts: SortColumns = {
        "policy": [PublishedPolicy.identifier, PublishedPolicy.effective_from],
        "title": [PublishedPolicy.title],
        "effective": [PublishedPolicy.effective_from],
        "published": [PublishedPolicy.published_at],
    }
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("policy"), unique=PublishedPolicy.id)
    return page.map(lambda row: summary_view(row[0]))


def policy_refs(uow: UnitOfWork, principal: Principal) -> list[str]:
    """Every published ``identifier@version``, in the list's default order (the compare form's choices)."""
    authorize(uow, principal, Permission.COVERAGE_POLICY_READ, None)
    rows = uow.session.execute(
        select(PublishedPolicy.identifier, PublishedPolicy.version).order_by(
            PublishedPolicy.identifier, PublishedPolicy.effective_from
        )
    )
    return [f"{identifier}@{version}" for identifier, version in rows]


def name_inquiries(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The inquiries among ``ids`` that ``reader`` may see, as "Inquiry on <version>"."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    now = uow.clock.now()
    rows = [
        i
        for i in uow.session.scalars(select(Inquiry).where(Inquiry.id.in_(list(wanted))))
        if decide(
            uow, reader, Permission.COVERAGE_READ, VersionOwner(i.organization_id, str(i.id), "coverage_inquiry"), now
        ).allowed
    ]
    refs = registry_summary.version_refs(uow, [i.model_version_id for i in rows])
    out = {}
    for i in rows:
        version = refs.get(i.model_version_id)
        name = f"Inquiry on {version.display}" if version else "Inquiry"
        out[wanted[i.id]] = TargetLink(name, f"/coverage/inquiries/{i.id}")
    return out


def name_determinations(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The determinations among ``ids`` that ``reader`` may see, as "Determination on <version>"."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    now = uow.clock.now()
    dets = list(uow.session.scalars(select(Determination).where(Determination.id.in_(list(wanted)))))
    refs = registry_summary.version_refs(uow, [d.model_version_id for d in dets])
    out = {}
    for det in dets:
        version = refs.get(det.model_version_id)
        if version is None:
            continue
        owner = VersionOwner(version.organization_id, str(det.id), "determination")
        if decide(uow, reader, Permission.COVERAGE_READ, owner, now).allowed:
            out[wanted[det.id]] = TargetLink(f"Determination on {version.display}", f"/coverage/determinations/{det.id}")
    return out


def name_policies(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The policies among ``ids`` as ``identifier@version``, for a reader who may read policies."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    # The policy pages' own check, without recording a refusal: naming is not reading.
    if not decide(uow, reader, Permission.COVERAGE_POLICY_READ, None, uow.clock.now()).allowed:
        return {}
    rows = uow.session.scalars(select(PublishedPolicy).where(PublishedPolicy.id.in_(list(wanted))))
    out = {}
    for row in rows:
        ref = f"{row.identifier}@{row.version}"
        out[wanted[row.id]] = TargetLink(ref, f"/coverage/policies/{ref}")
    return out


def benchmark_ids_by_name(uow: UnitOfWork) -> list[uuid.UUID]:
    """Every benchmark's id, by name then version (for sorting another area's rows by benchmark)."""
    return list(uow.session.scalars(select(Benchmark.id).order_by(Benchmark.name, Benchmark.version)))


def benchmark_ids_matching(uow: UnitOfWork, text: str) -> list[uuid.UUID]:
    """Benchmarks whose ``name@version`` or title contains ``text`` (case-insensitive)."""
    stmt = select(Benchmark.id).where(search_any(text, Benchmark.name + "@" + Benchmark.version, Benchmark.title))
    return list(uow.session.scalars(stmt))


def name_benchmarks(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The benchmarks among ``ids`` as ``name@version`` (metadata every participant may see; no page)."""
    wanted = uuid_ids(ids)
    if not wanted or not decide(uow, reader, Permission.COVERAGE_POLICY_READ, None, uow.clock.now()).allowed:
        return {}
    rows = uow.session.scalars(select(Benchmark).where(Benchmark.id.in_(list(wanted))))
    return {wanted[b.id]: TargetLink(f"{b.name}@{b.version}") for b in rows}
