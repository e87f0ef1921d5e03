"""Identity's lists for tables and its names for audit targets, for one reader.

:func:`page_organizations` sorts, filters and pages in its query what the reader may list anyway.
:func:`name_users` and :func:`name_organizations` answer the audit browser's question
(``audit.targets``) for the people and organizations the reader may see.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func, select

from frontier_review.audit.targets import TargetLink, uuid_ids
from frontier_review.db.listing import SortColumns, by_position, fetch_page
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity.domain import ORG_KIND_LABELS, OrgKind, OrgRef, name_key
from frontier_review.identity.orm import Organization, User
from frontier_review.identity.views import OrganizationView, org_view, user_ref
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import decide

__all__ = ["name_organizations", "name_users", "page_organizations"]


def page_organizations(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[OrganizationView]:
    """A page of the organizations the principal may list: all of them, or only its own.

    Args:
        uow: The unit of work.
        principal: The reader.
        query: Sort keys ``name`` (default), ``kind``, ``sector``, ``members``, ``created``;
            filters ``kind`` and ``sector`` (values); the search matches part of the name.

    Returns:
        The page, with the total of the filtered list.
    """
    counts = select(User.organization_id, func.count().label("n")).group_by(User.organization_id).subquery()
    members = func.coalesce(counts.c.n, 0)
    stmt = select(Organization, members).outerjoin(counts, counts.c.organization_id == Organization.id)
    if not decide(uow, principal, Permission.ORGANIZATION_LIST_ALL, None, uow.clock.now()).allowed:
        # The same rule as the plain list: one's own organization, or nothing.
        stmt = stmt.where(Organization.id == principal.org_id) if principal.org_id else stmt.where(Organization.id.is_(None))
    if query.search:
        stmt = stmt.where(Organization.name_key.contains(name_key(query.search), autoescape=True))
    if kind := query.filter("kind"):
        stmt = stmt.where(Organization.kind == kind)
    if sector := query.filter("sector"):
        stmt = stmt.where(Organization.sector == sector)
    # Kinds sort by the label people read ("Agency", "AI developer", …), not by the stored value.
    by_label = [kind.value for kind, _ in sorted(ORG_KIND_LABELS.items(), key=lambda item: item[1].casefold())]
    sorts: SortColumns = {
        "name": [Organization.name_key],
        "kind": [by_position(Organization.kind, by_label), Organization.name_key],
        "sector": [Organization.sector, Organization.name_key],
        "members": [members],
        "created": [Organization.created_at],
    }
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("name"), unique=Organization.id)
    return page.map(lambda row: org_view(row[0], int(row[1])))


def name_organizations(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The organizations among ``ids`` that ``reader`` may see, by name, with their page."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    now = uow.clock.now()
    out = {}
    for org in uow.session.scalars(select(Organization).where(Organization.id.in_(list(wanted)))):
        if decide(uow, reader, Permission.ORGANIZATION_READ, OrgRef(org.id, OrgKind(org.kind)), now).allowed:
            out[wanted[org.id]] = TargetLink(org.name, f"/organizations/{org.id}")
    return out


def name_users(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The people among ``ids`` that ``reader`` may see, by name and address.

    The link leads to the person's organization where the reader may list its members.
    """
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    now = uow.clock.now()
    rows = uow.session.execute(
        select(User, Organization)
        .outerjoin(Organization, Organization.id == User.organization_id)
        .where(User.id.in_(list(wanted)))
    )
    out = {}
    for user, org in rows:
        if not decide(uow, reader, Permission.USER_READ, user_ref(user), now).allowed:
            continue
        href = None
        if org is not None and decide(uow, reader, Permission.USER_LIST, OrgRef(org.id, OrgKind(org.kind)), now).allowed:
            href = f"/organizations/{org.id}"
        out[wanted[user.id]] = TargetLink(f"{user.full_name} ({user.email})", href)
    return out
