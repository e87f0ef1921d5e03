"""What a home page shows of engagements: the reader's open engagements, what each needs, and counts by state.

Read-only and bounded: a handful of queries whatever the number of engagements (no query per
engagement). Who sees what is decided by the area's own rules, asked through
:func:`~frontier_review.policies.decide` exactly as the engagement pages ask them: the
``EngagementRef`` each rule receives is loaded here in bulk by :func:`load_refs`, which builds
the very record :func:`.views.get_ref` builds one engagement at a time (a test keeps them equal).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.lifecycle import versions
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
from frontier_review.engagements.lifecycle.policy import EngagementRef, Party
from frontier_review.identity import directory
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import decide
from frontier_review.registry.domain import VersionStatus

__all__ = ["RECENTLY_CLOSED", "EngagementCard", "EngagementOverview", "Loaded", "load_refs", "overview"]

RECENTLY_CLOSED = timedelta(days=30)
"""Closed engagements older than this are history, not attention: summaries leave them out."""

_OPEN = (EngagementState.ACTIVE, EngagementState.OFFERED, EngagementState.DRAFT)


@dataclass(frozen=True)
class EngagementCard:
    """An open engagement as the reader may see it, with what it asks of the reader.

    Attributes:
        awaiting_acceptance: participants that have not accepted the current terms, by name
            (only for readers who see every participant: the developer and the program office).
        accepted: the reader's own organization accepted the current terms.
        may_accept: the reader may accept them for its organization now.
        may_review: the reader may use the model now (playground, personal gateway tokens): the
            window is open and its organization accepted the current terms.
        may_file: the reader may file a finding now.
    """

    id: uuid.UUID
    title: str
    version_display: str
    developer_name: str
    state: EngagementState
    window: Window
    current_terms: int
    awaiting_acceptance: tuple[str, ...] = ()
    accepted: bool = False
    may_accept: bool = False
    may_review: bool = False
    may_file: bool = False


@dataclass(frozen=True)
class EngagementOverview:
    """The reader's engagements at a glance.

    Attributes:
        open: drafts, offered and active engagements, the nearest deadline first (at most the limit).
        more: how many open engagements the limit left out.
        by_state: visible engagements per state; closed ones only if closed in the last 30 days.
    """

    open: tuple[EngagementCard, ...]
    more: int
    by_state: dict[EngagementState, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Loaded:
    """Engagement rows with what the rules need (``refs``) and what cards show (versions, names)."""

    rows: tuple[Engagement, ...]
    refs: dict[uuid.UUID, EngagementRef]
    participants: dict[uuid.UUID, tuple[Participant, ...]]
    versions: dict[uuid.UUID, versions.VersionCard]


def load_refs(uow: UnitOfWork, rows: Sequence[Engagement]) -> Loaded:
    """The rules' ``EngagementRef`` of every row, in three queries (one per kind of party record).

    The same record as :func:`.views.get_ref`: participants with their cohort, revocation and
    acceptance of the current terms, partners' running designation, and the revoked people.
    """
    ids = [row.id for row in rows]
    by_engagement: dict[uuid.UUID, list[Participant]] = defaultdict(list)
    revoked_users: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    designated_until: dict[uuid.UUID, datetime] = {}
    if ids:
        for part in uow.session.scalars(select(Participant).where(Participant.engagement_id.in_(ids))):
            by_engagement[part.engagement_id].append(part)
        for engagement_id, user_id in uow.session.execute(
            select(RevokedUser.engagement_id, RevokedUser.user_id).where(RevokedUser.engagement_id.in_(ids))
        ):
            revoked_users[engagement_id].add(user_id)
        partner_orgs = {p.organization_id for parts in by_engagement.values() for p in parts if p.cohort == Cohort.PARTNER.value}
        if partner_orgs:
            # ``designations.find_current_designation``: the unrevoked designation that lasts longest.
            rows_until = uow.session.execute(
                select(PartnerDesignation.organization_id, func.max(PartnerDesignation.expires_at))
                .where(PartnerDesignation.organization_id.in_(partner_orgs), PartnerDesignation.revoked_at.is_(None))
                .group_by(PartnerDesignation.organization_id)
            )
            designated_until = {org: until for org, until in rows_until}  # noqa: C416 - dict(result) would read a Result as a mapping
    refs = {
        row.id: EngagementRef(
            id=row.id,
            developer_org_id=row.developer_org_id,
            draft=row.state == EngagementState.DRAFT.value,
            partners_included=row.recipients == Recipients.FEDERAL_AND_PARTNERS.value,
            participants={
                p.organization_id: Party(
                    cohort=p.cohort,
                    revoked=p.revoked_at is not None,
                    accepted_current_terms=p.accepted_terms == row.current_terms,
                    designated_until=designated_until.get(p.organization_id) if p.cohort == Cohort.PARTNER.value else None,
                )
                for p in by_engagement.get(row.id, ())
            },
            revoked_users=frozenset(revoked_users.get(row.id, ())),
        )
        for row in rows
    }
    return Loaded(
        rows=tuple(rows),
        refs=refs,
        participants={row.id: tuple(by_engagement.get(row.id, ())) for row in rows},
        versions=versions.find_versions(uow, {row.model_version_id for row in rows}),
    )


def _state(row: Engagement, loaded: Loaded, now: datetime) -> tuple[EngagementState, ClosedReason | None]:
    card = loaded.versions.get(row.model_version_id)
    return effective_state(
        EngagementState(row.state),
        ClosedReason(row.closed_reason) if row.closed_reason else None,
        Window(row.window_start, row.window_end),
        card.status if card is not None else VersionStatus.WITHDRAWN.value,
        now,
    )


def _candidates(uow: UnitOfWork, principal: Principal, now: datetime) -> list[Engagement]:
    """Rows the reader might see, to keep the read small; the rules decide which it does see.

    The developer's own, the participant's, every offered one for the program office; none
    closed before :data:`RECENTLY_CLOSED`.
    """
    if principal.org_id is None:
        return []  # operators are not party to engagements (the rules would refuse every one)
    mine = [
        Engagement.developer_org_id == principal.org_id,
        Engagement.id.in_(select(Participant.engagement_id).where(Participant.organization_id == principal.org_id)),
    ]
    if principal.org_kind is OrgKind.PROGRAM_OFFICE:
        mine.append(Engagement.state != EngagementState.DRAFT.value)
    cutoff = now - RECENTLY_CLOSED
    recent = or_(
        and_(Engagement.state != EngagementState.CLOSED.value, Engagement.window_end >= cutoff),
        and_(Engagement.state == EngagementState.CLOSED.value, Engagement.closed_at >= cutoff),
    )
    return list(uow.session.scalars(select(Engagement).where(or_(*mine), recent).order_by(Engagement.window_end)))


def _deadline(card: EngagementCard) -> tuple[int, datetime]:
    """Active ones by their end, then offered ones by their start, then drafts."""
    order = _OPEN.index(card.state)
    return order, card.window.end if card.state is EngagementState.ACTIVE else card.window.start


def _names(uow: UnitOfWork, loaded: Loaded, rows: Iterable[Engagement]) -> dict[uuid.UUID, str]:
    wanted: set[uuid.UUID] = set()
    for row in rows:
        wanted.add(row.developer_org_id)
        wanted.update(p.organization_id for p in loaded.participants[row.id])
    return directory.organization_names(uow, wanted)


def overview(uow: UnitOfWork, principal: Principal, *, limit: int = 10) -> EngagementOverview:
    """The engagements ``principal`` may read (``ENGAGEMENT_READ``): the open ones and counts by state.

    A revoked person or organization reads nothing of the engagement, so it is neither listed nor
    counted. What the reader may do on each (accept the terms, use the model, file a finding) is
    the answer of the same rules the engagement page asks.
    """
    now = uow.clock.now()
    loaded = load_refs(uow, _candidates(uow, principal, now))
    visible = [row for row in loaded.rows if decide(uow, principal, Permission.ENGAGEMENT_READ, loaded.refs[row.id], now).allowed]
    states = {row.id: _state(row, loaded, now)[0] for row in visible}
    by_state = dict.fromkeys((EngagementState.DRAFT, EngagementState.OFFERED, EngagementState.ACTIVE, EngagementState.CLOSED), 0)
    for state in states.values():
        by_state[state] += 1
    open_rows = [row for row in visible if states[row.id] is not EngagementState.CLOSED]
    names = _names(uow, loaded, open_rows)
    cards = sorted((_card(uow, principal, row, states[row.id], loaded, names, now) for row in open_rows), key=_deadline)
    return EngagementOverview(open=tuple(cards[:limit]), more=max(0, len(cards) - limit), by_state=by_state)


def _card(
    uow: UnitOfWork,
    principal: Principal,
    row: Engagement,
    state: EngagementState,
    loaded: Loaded,
    names: dict[uuid.UUID, str],
    now: datetime,
) -> EngagementCard:
    ref = loaded.refs[row.id]
    version = loaded.versions.get(row.model_version_id)
    awaiting: tuple[str, ...] = ()
    if state is not EngagementState.DRAFT and sees_all_participants(principal.org_id, principal.org_kind, row.developer_org_id):
        awaiting = tuple(
            sorted(
                names.get(p.organization_id, "?")
                for p in loaded.participants[row.id]
                if p.revoked_at is None and p.accepted_terms != row.current_terms
            )
        )
    accepted = ref.accepted(principal.org_id)
    return EngagementCard(
        id=row.id,
        title=row.title,
        version_display=version.display if version is not None else "?",
        developer_name=names.get(row.developer_org_id, "?"),
        state=state,
        window=Window(row.window_start, row.window_end),
        current_terms=row.current_terms,
        awaiting_acceptance=awaiting,
        accepted=accepted,
        may_accept=not accepted and decide(uow, principal, Permission.ENGAGEMENT_ACCEPT_TERMS, ref, now).allowed,
        # Tokens only help once calls can succeed: in the window, under accepted terms.
        may_review=state is EngagementState.ACTIVE
        and accepted
        and decide(uow, principal, Permission.GATEWAY_TOKEN_ISSUE, ref, now).allowed,
        may_file=decide(uow, principal, Permission.FINDING_FILE, ref, now).allowed,
    )
