"""The engagements' list tables and their names for audit targets, for one reader.

:func:`page_engagements` is the engagements index, :func:`page_participants` an engagement's
participants and :func:`page_designations` the trusted partners: each sorted, filtered and paged
in its query (``db.listing``) among the rows the reader may see. Who may see an engagement is
``policy.can_read`` (``ENGAGEMENT_READ``); :func:`readable` states the same rule as a SQL
condition so a page holds 50 visible rows and the count is the reader's. A test keeps the two
equal over every kind of reader and revocation; and each page is still asked of the rule itself
(:func:`_still_readable`), so were they ever to drift, a row would go missing, never appear.
:func:`name_engagements` answers the audit browser's question (``audit.targets``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, not_, or_, select, true
from sqlalchemy.orm import aliased

from frontier_review.audit.targets import TargetLink, uuid_ids
from frontier_review.db.listing import Col, SortColumns, by_position, fetch_page, search_any
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.lifecycle import summary, versions
from frontier_review.engagements.lifecycle.domain import (
    ClosedReason,
    Cohort,
    EngagementState,
    Recipients,
    Window,
    effective_state,
    sees_all_participants,
)
from frontier_review.engagements.lifecycle.orm import Engagement, Participant, PartnerDesignation, RevokedUser
from frontier_review.engagements.lifecycle.partners import DesignationView
from frontier_review.engagements.lifecycle.views import ParticipantView, get_row_for, participant_views
from frontier_review.identity import directory
from frontier_review.identity.domain import OrgKind
from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide
from frontier_review.registry.domain import VersionStatus

__all__ = [
    "EngagementRow",
    "name_engagements",
    "page_designations",
    "page_engagements",
    "page_participants",
    "readable",
]

log = logging.getLogger(__name__)

# Most pressing first: what is running, what is about to, what is being prepared, what is over.
STATE_ORDER = (EngagementState.ACTIVE, EngagementState.OFFERED, EngagementState.DRAFT, EngagementState.CLOSED)


@dataclass(frozen=True)
class EngagementRow:
    """A row of the engagements table.

    Attributes:
        participants: how many participants the reader sees (a participant sees only its own).
        accepted: how many of those accepted the current terms (``None`` when the reader does not
            see every participant).
    """

    id: uuid.UUID
    title: str
    version_display: str
    developer_org_id: uuid.UUID
    developer_name: str
    state: EngagementState
    closed_reason: ClosedReason | None
    window: Window
    participants: int
    accepted: int | None


def readable(principal: Principal, now: datetime) -> ColumnElement[bool]:
    """``policy.can_read`` as a condition on ``Engagement`` rows, for this reader at ``now``.

    The developer's own engagements; every offered one for the program office; for a participant,
    those it is still a party to (``EngagementRef.party_refusal``): offered, its organization not
    revoked, the person not revoked, and a partner only under terms that include partners while
    its designation runs. The platform on the server reads everything; operators read nothing.
    """
    if principal.is_system:
        return true()
    org = principal.org_id
    if org is None:
        return false()
    allowed: list[ColumnElement[bool]] = []
    if principal.org_kind is OrgKind.DEVELOPER:
        allowed.append(Engagement.developer_org_id == org)
    if principal.org_kind is OrgKind.PROGRAM_OFFICE:
        allowed.append(Engagement.state != EngagementState.DRAFT.value)
    designated = exists().where(
        PartnerDesignation.organization_id == org, PartnerDesignation.revoked_at.is_(None), PartnerDesignation.expires_at > now
    )
    party = exists().where(
        Participant.engagement_id == Engagement.id,
        Participant.organization_id == org,
        Participant.revoked_at.is_(None),
        or_(
            Participant.cohort != Cohort.PARTNER.value,
            and_(Engagement.recipients == Recipients.FEDERAL_AND_PARTNERS.value, designated),
        ),
    )
    conditions = [Engagement.state != EngagementState.DRAFT.value, party]
    if principal.user_id is not None:
        conditions.append(
            not_(exists().where(RevokedUser.engagement_id == Engagement.id, RevokedUser.user_id == principal.user_id))
        )
    allowed.append(and_(*conditions))
    return or_(*allowed)


def _still_readable(uow: UnitOfWork, principal: Principal, rows: Sequence[Engagement]) -> summary.Loaded:
    """The rows' refs, after asking the rule itself of each row (a row it refuses is dropped and logged)."""
    loaded = summary.load_refs(uow, rows)
    now = uow.clock.now()
    kept = tuple(r for r in rows if decide(uow, principal, Permission.ENGAGEMENT_READ, loaded.refs[r.id], now).allowed)
    if len(kept) != len(rows):
        log.error("engagement list: the SQL visibility rule admitted %d rows the rule refuses", len(rows) - len(kept))
    return summary.Loaded(kept, loaded.refs, loaded.participants, loaded.versions)


def _state_expr(now: datetime, ended_versions: Sequence[uuid.UUID]) -> ColumnElement[str]:
    """``domain.effective_state`` as a SQL expression (the version's release or withdrawal closes at once)."""
    whens: list[tuple[ColumnElement[bool], str]] = [(Engagement.state == EngagementState.CLOSED.value, "closed")]
    if ended_versions:
        whens.append((Engagement.model_version_id.in_(list(ended_versions)), "closed"))
    whens += [
        (Engagement.state == EngagementState.DRAFT.value, "draft"),
        (Engagement.window_end <= now, "closed"),
        (Engagement.window_start <= now, "active"),
    ]
    return case(*whens, else_=literal("offered"))


def page_engagements(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[EngagementRow]:
    """A page of the engagements the reader may read (``ENGAGEMENT_READ``), in one query.

    Args:
        uow: The unit of work.
        principal: The reader.
        query: Sort keys ``window`` (the start; default, latest first), ``title``, ``model``,
            ``developer``, ``state`` (running first), ``ends``, and ``participants`` (for readers
            who see every participant); filters ``state`` (the effective state now) and
            ``developer`` (an organization id); the search matches part of the title, the model
            and version, or the developer's name.

    Returns:
        The page, with the total of the filtered list.
    """
    now = uow.clock.now()
    version_ids = set(uow.session.scalars(select(Engagement.model_version_id).distinct()))
    cards = versions.find_versions(uow, version_ids)
    ended = [v for v, c in cards.items() if c.status in {VersionStatus.RELEASED.value, VersionStatus.WITHDRAWN.value}]
    state = _state_expr(now, ended)
    developers = directory.list_organizations(uow, kinds=[OrgKind.DEVELOPER])
    stmt = select(Engagement).where(readable(principal, now))
    if query.search:
        text = query.search.lower()
        models = [v for v, c in cards.items() if text in f"{c.model_name} {c.label}".lower()]
        named = [o.id for o in developers if text in o.name.lower()]
        stmt = stmt.where(
            or_(
                search_any(query.search, Engagement.title),
                Engagement.model_version_id.in_(models),
                Engagement.developer_org_id.in_(named),
            )
        )
    if (wanted := query.filter("state")) in {s.value for s in EngagementState}:
        stmt = stmt.where(state == wanted)
    if developer := query.filter("developer"):
        try:
            stmt = stmt.where(Engagement.developer_org_id == uuid.UUID(developer))
        except ValueError:
            stmt = stmt.where(false())
    by_model = sorted(cards, key=lambda v: (cards[v].model_name.lower(), cards[v].label.lower()))
    rank = case({s.value: i for i, s in enumerate(STATE_ORDER)}, value=state, else_=len(STATE_ORDER))
    sorts: dict[str, list[Col]] = {
        "window": [Engagement.window_start],
        "title": [func.lower(Engagement.title)],
        "model": [by_position(Engagement.model_version_id, by_model)],
        "developer": [by_position(Engagement.developer_org_id, [o.id for o in developers]), func.lower(Engagement.title)],
        "state": [rank, Engagement.window_end],
        "ends": [Engagement.window_end],
    }
    sees_all = principal.org_kind in {OrgKind.PROGRAM_OFFICE, OrgKind.DEVELOPER} or principal.is_system
    if sees_all:
        # Only readers who see every participant may order by how many there are.
        count = select(func.count()).where(Participant.engagement_id == Engagement.id).correlate(Engagement).scalar_subquery()
        sorts["participants"] = [count]
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("window", descending=True), unique=Engagement.id)
    loaded = _still_readable(uow, principal, [r[0] for r in page.items])
    names = {o.id: o.name for o in developers}
    rows = [_engagement_row(principal, r, loaded, names, now) for r in loaded.rows]
    return Page(rows, page.total, page.page, page.per_page, page.sort)


def _engagement_row(
    principal: Principal, row: Engagement, loaded: summary.Loaded, names: Mapping[uuid.UUID, str], now: datetime
) -> EngagementRow:
    card = loaded.versions.get(row.model_version_id)
    state, reason = effective_state(
        EngagementState(row.state),
        ClosedReason(row.closed_reason) if row.closed_reason else None,
        Window(row.window_start, row.window_end),
        card.status if card is not None else VersionStatus.WITHDRAWN.value,
        now,
    )
    sees_all = sees_all_participants(principal.org_id, principal.org_kind, row.developer_org_id, system=principal.is_system)
    parts = [p for p in loaded.participants[row.id] if sees_all or p.organization_id == principal.org_id]
    return EngagementRow(
        id=row.id,
        title=row.title,
        version_display=card.display if card is not None else "?",
        developer_org_id=row.developer_org_id,
        developer_name=names.get(row.developer_org_id, "?"),
        state=state,
        closed_reason=reason,
        window=Window(row.window_start, row.window_end),
        participants=len(parts),
        accepted=sum(p.accepted_terms == row.current_terms for p in parts) if sees_all else None,
    )


def page_participants(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, query: ListQuery) -> Page[ParticipantView]:
    """A page of the engagement's participants the reader sees (a participant: only its own).

    Args:
        uow: The unit of work.
        principal: The reader.
        engagement_id: The engagement.
        query: Sort keys ``organization`` (default), ``cohort``, ``terms`` (the version accepted),
            ``status`` (revoked last), ``invited``; filters ``cohort``, ``status`` (``active`` or
            ``revoked``) and ``terms`` (``accepted``: the current version, ``pending``: not yet);
            the search matches part of the organization's name.

    Raises:
        NotFound: No such engagement, or one the reader may not read (a revoked participant).
    """
    row = get_row_for(uow, principal, engagement_id, Permission.ENGAGEMENT_READ)
    stmt = select(Participant).where(Participant.engagement_id == row.id)
    if not sees_all_participants(principal.org_id, principal.org_kind, row.developer_org_id, system=principal.is_system):
        stmt = stmt.where(Participant.organization_id == principal.org_id)
    orgs = list(uow.session.scalars(select(Participant.organization_id).where(Participant.engagement_id == row.id)))
    names = directory.organization_names(uow, orgs)
    if query.search:
        stmt = stmt.where(Participant.organization_id.in_([o for o, n in names.items() if query.search.lower() in n.lower()]))
    if (cohort := query.filter("cohort")) in {c.value for c in Cohort}:
        stmt = stmt.where(Participant.cohort == cohort)
    status = query.filter("status")
    if status == "active":
        stmt = stmt.where(Participant.revoked_at.is_(None))
    elif status == "revoked":
        stmt = stmt.where(Participant.revoked_at.is_not(None))
    terms = query.filter("terms")
    current = Participant.accepted_terms == row.current_terms
    if terms == "accepted":
        stmt = stmt.where(current)
    elif terms == "pending":
        stmt = stmt.where(or_(Participant.accepted_terms.is_(None), not_(current)))
    by_name = sorted(names, key=lambda o: names[o].lower())
    sorts: SortColumns = {
        "organization": [by_position(Participant.organization_id, by_name)],
        "cohort": [Participant.cohort, by_position(Participant.organization_id, by_name)],
        "terms": [func.coalesce(Participant.accepted_terms, 0)],
        "status": [case((Participant.revoked_at.is_(None), 0), else_=1), by_position(Participant.organization_id, by_name)],
        "invited": [Participant.invited_at],
    }
    page = fetch_page(uow.session, stmt, query, sorts=sorts, default=Sort("organization"), unique=Participant.id)
    shown = [r[0] for r in page.items]
    items = participant_views(uow, row.id, shown, names)
    return Page(items, page.total, page.page, page.per_page, page.sort)


def page_designations(uow: UnitOfWork, principal: Principal, query: ListQuery) -> Page[DesignationView]:
    """A page of trusted-partner designations, each naming only the engagements the reader may read.

    Args:
        uow: The unit of work.
        principal: The reader (``PARTNER_LIST``: the program office, developers, the platform).
        query: Sort keys ``designated`` (default, latest first), ``organization``, ``sector``,
            ``expires``; filters ``status`` (``active``, ``expired``, ``ended``) and ``sector``; the
            search matches part of the organization's name.

    Raises:
        PermissionDenied: The reader may not list partners.
    """
    authorize(uow, principal, Permission.PARTNER_LIST, None)
    now = uow.clock.now()
    partners = directory.list_organizations(uow, kinds=[OrgKind.PARTNER])
    stmt = select(PartnerDesignation)
    if query.search:
        text = query.search.lower()
        stmt = stmt.where(PartnerDesignation.organization_id.in_([o.id for o in partners if text in o.name.lower()]))
    if sector := query.filter("sector"):
        stmt = stmt.where(PartnerDesignation.sector == sector)
    status = query.filter("status")
    if status == "ended":
        stmt = stmt.where(PartnerDesignation.revoked_at.is_not(None))
    elif status == "active":
        stmt = stmt.where(PartnerDesignation.revoked_at.is_(None), PartnerDesignation.expires_at > now)
    elif status == "expired":
        stmt = stmt.where(PartnerDesignation.revoked_at.is_(None), PartnerDesignation.expires_at <= now)
    by_name = [o.id for o in partners]
    sorts: SortColumns = {
        "designated": [PartnerDesignation.designated_at],
        "organization": [by_position(PartnerDesignation.organization_id, by_name), PartnerDesignation.designated_at],
        "sector": [PartnerDesignation.sector, by_position(PartnerDesignation.organization_id, by_name)],
        "expires": [PartnerDesignation.expires_at],
    }
    page = fetch_page(
        uow.session, stmt, query, sorts=sorts, default=Sort("designated", descending=True), unique=PartnerDesignation.id
    )
    rows = [r[0] for r in page.items]
    titles = _readable_titles(uow, principal, {d.organization_id for d in rows})
    names = {o.id: o.name for o in partners}
    items = [
        DesignationView(
            id=d.id,
            organization_id=d.organization_id,
            organization_name=names.get(d.organization_id, "?"),
            sector=d.sector,
            basis=d.basis,
            designated_at=d.designated_at,
            expires_at=d.expires_at,
            revoked_at=d.revoked_at,
            designated_by=d.designated_by,
            engagements=titles.get(d.organization_id, ()),
        )
        for d in rows
    ]
    return Page(items, page.total, page.page, page.per_page, page.sort)


def _readable_titles(uow: UnitOfWork, principal: Principal, orgs: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, ...]]:
    """Per organization, the titles of the engagements it takes part in that the reader may read."""
    if not orgs:
        return {}
    now = uow.clock.now()
    member = aliased(Participant)
    pairs = list(
        uow.session.execute(
            # An alias, so the rule's own subqueries on participants stay correlated to the engagement only.
            select(member.organization_id, Engagement)
            .join(Engagement, Engagement.id == member.engagement_id)
            .where(member.organization_id.in_(list(orgs)), readable(principal, now))
            .order_by(Engagement.created_at)
        )
    )
    loaded = _still_readable(uow, principal, list({e.id: e for _, e in pairs}.values()))
    kept = {r.id for r in loaded.rows}
    out: dict[uuid.UUID, list[str]] = {}
    for org, e in pairs:
        if e.id in kept:
            out.setdefault(org, []).append(e.title)
    return {k: tuple(v) for k, v in out.items()}


def name_engagements(uow: UnitOfWork, reader: Principal, ids: frozenset[str]) -> Mapping[str, TargetLink]:
    """The engagements among ``ids`` that ``reader`` may read, by title, with their page (one query)."""
    wanted = uuid_ids(ids)
    if not wanted:
        return {}
    rows = list(uow.session.scalars(select(Engagement).where(Engagement.id.in_(list(wanted)))))
    loaded = summary.load_refs(uow, rows)
    now = uow.clock.now()
    return {
        wanted[r.id]: TargetLink(r.title, f"/engagements/{r.id}")
        for r in rows
        if decide(uow, reader, Permission.ENGAGEMENT_READ, loaded.refs[r.id], now).allowed
    }
