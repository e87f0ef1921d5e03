"""Incidents in list tables, in counts and in the audit browser, for one reader.

Unlike findings (a handful per engagement, each asked of the rule), the clearinghouse's incidents
are platform-wide, so a list filters in SQL: :func:`audience_clause` restates
``policy.reads_incident`` as one condition over the incident's label, reporter, named
organizations, referrals and named people, with the reader's own facts (organization, kind,
person) resolved first. ``tests/integration/test_incidents.py`` holds the SQL and the pure rule
equal over every label × reader shape, and every page a list shows is built from rows the clause
admitted. Counts come from the same clause, so nothing outside the audience is even counted.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true

from frontier_review.audit.targets import TargetLink, uuid_ids
from frontier_review.clearinghouse.incidents.domain import IncidentStatus, Tlp, incident_link
from frontier_review.clearinghouse.incidents.orm import (
    Incident,
    IncidentRecipientOrg,
    IncidentRecipientPerson,
    IncidentReferral,
)
from frontier_review.clearinghouse.incidents.views import IncidentSummary, summary
from frontier_review.db.listing import SortColumns, by_position, fetch_page, search_any
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.principal import OrgKind, Principal

__all__ = ["IncidentsPage", "audience_clause", "name_incidents", "page_incidents", "readable_ids"]

_STATUS_ORDER = [s.value for s in IncidentStatus]


def audience_clause(principal: Principal, *, active: bool = True) -> ColumnElement[bool]:
    """The incidents ``principal`` may read, as one SQL condition (``policy.reads_incident`` restated).

    Args:
        principal: The reader (the system reads every incident, as ``policy.can_read`` says).
        active: False for a deactivated person (in no audience).
    """
    if principal.is_system:
        return true()
    org, user = principal.org_id, principal.user_id
    if not active or org is None:
        return false()
    if principal.org_kind is OrgKind.CLEARINGHOUSE:
        need_to_know: ColumnElement[bool] = true()
    else:
        need_to_know = or_(
            Incident.reporter_org_id == org,
            exists().where(IncidentRecipientOrg.incident_id == Incident.id, IncidentRecipientOrg.organization_id == org),
            exists().where(IncidentReferral.incident_id == Incident.id, IncidentReferral.organization_id == org),
        )
    named: ColumnElement[bool] = false()
    if user is not None:
        named = or_(
            Incident.reporter_user_id == user,
            exists().where(IncidentRecipientPerson.incident_id == Incident.id, IncidentRecipientPerson.user_id == user),
        )
    return or_(
        Incident.tlp.in_([Tlp.CLEAR.value, Tlp.GREEN.value]),
        and_(Incident.tlp.in_([Tlp.AMBER.value, Tlp.AMBER_STRICT.value]), need_to_know),
        and_(Incident.tlp == Tlp.RED.value, need_to_know, named),
    )


def readable_ids(uow: UnitOfWork, principal: Principal) -> set[uuid.UUID]:
    """Every incident id ``principal`` may read (for tests and counts)."""
    return set(uow.session.scalars(select(Incident.id).where(audience_clause(principal))))


@dataclass(frozen=True)
class IncidentsPage:
    """A page of incidents and the reader's counts by status (of every incident it may see in this list)."""

    page: Page[IncidentSummary]
    counts: dict[IncidentStatus, int]


def page_incidents(uow: UnitOfWork, principal: Principal, query: ListQuery, *, referred_to_me: bool = False) -> IncidentsPage:
    """A page of the incidents in the reader's TLP audience.

    Args:
        uow: The unit of work.
        principal: The reader.
        query: Sort keys ``reported`` (default, newest first), ``detected``, ``title``, ``tlp``
            (most restricted first), ``status`` (workflow order), ``reporter``; filters ``status``,
            ``tlp`` and ``sector``; the search matches part of the title.
        referred_to_me: Only the incidents referred to the reader's organization ("referred to us").

    Returns:
        The page (its total is of the filtered list the reader may see) and the counts by status of
        every incident of the list the reader may see, whatever the filters.
    """
    seen = audience_clause(principal)
    if referred_to_me:
        org = principal.org_id
        seen = and_(
            seen,
            exists().where(IncidentReferral.incident_id == Incident.id, IncidentReferral.organization_id == org)
            if org is not None
            else false(),
        )
    counts = dict.fromkeys(IncidentStatus, 0)
    for status, n in uow.session.execute(select(Incident.status, func.count()).where(seen).group_by(Incident.status)):
        counts[IncidentStatus(status)] = int(n)
    stmt = select(Incident).where(seen)
    if query.search:
        stmt = stmt.where(search_any(query.search, Incident.title))
    wanted_status, wanted_label = query.filter("status"), query.filter("tlp")
    if wanted_status is not None and wanted_status in _STATUS_ORDER:
        stmt = stmt.where(Incident.status == wanted_status)
    if wanted_label is not None and wanted_label in {t.value for t in Tlp}:
        stmt = stmt.where(Incident.tlp == wanted_label)
    reporters = list(uow.session.scalars(select(Incident.reporter_org_id).where(seen).distinct()))
    names = directory.organization_names(uow, reporters)
    sorts: SortColumns = {
        "reported": [Incident.reported_at],
        "detected": [Incident.detected_at, Incident.reported_at],
        "title": [func.lower(Incident.title)],
        "tlp": [by_position(Incident.tlp, [t.value for t in reversed(Tlp)]), Incident.reported_at],
        "status": [by_position(Incident.status, _STATUS_ORDER), Incident.reported_at],
        "reporter": [by_position(Incident.reporter_org_id, sorted(reporters, key=lambda o: names.get(o, "").lower()))],
    }
    sector = query.filter("sector")
    if sector:
        # Sectors are a short JSON list; matched in Python over the admitted rows' ids (portable SQL).
        ids = [i for i, sectors in uow.session.execute(select(Incident.id, Incident.sectors).where(seen)) if sector in sectors]
        stmt = stmt.where(Incident.id.in_(ids))
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("reported", descending=True), unique=Incident.id)
    items = [summary(row, names) for (row,) in page.items]
    return IncidentsPage(Page(items, page.total, page.page, page.per_page, page.sort), counts)


def name_incidents(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The incidents among ``ids`` in ``reader``'s TLP audience, by title, with their page (one query)."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    rows = uow.session.execute(select(Incident.id, Incident.title).where(Incident.id.in_(list(wanted)), audience_clause(reader)))
    return {wanted[i]: TargetLink(title, incident_link(i)) for i, title in rows}
