"""Engagement use cases: open, terms, participants, acceptance, revocation, release (G2, G3, G6).

Each function is one transaction's worth of work: the authorization check, the change, its
audit entry and its notices (written in the same transaction, delivered after commit).
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements import notices, partners
from frontier_review.engagements.domain import (
    ClosedReason,
    Cohort,
    EngagementState,
    Materials,
    Protections,
    Quotas,
    Recipients,
    Window,
    check_partners_from,
    effective_state,
    next_state,
    shared_variants,
)
from frontier_review.engagements.orm import (
    AccessLog,
    Engagement,
    Participant,
    RevokedUser,
    TermsAcceptance,
    TermsVersion,
    Upstream,
)
from frontier_review.engagements.policy import EngagementRef, Party
from frontier_review.identity.orm import Organization, User
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import authorize, authorize_visible, decide
from frontier_review.registry import service as registry
from frontier_review.registry.domain import VersionStatus
from frontier_review.registry.events import VersionStatusChanged
from frontier_review.registry.orm import Model, ModelVersion


@dataclass(frozen=True)
class TermsView:
    number: int
    materials: Materials
    protections: Protections
    default_quotas: Quotas
    note: str
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class ParticipantView:
    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    cohort: Cohort
    quotas: Quotas
    accepted_terms: int | None
    accepted_by: str | None
    accepted_at: datetime | None
    revoked_at: datetime | None
    revoked_users: tuple[str, ...]

    def accepted_current(self, current: int) -> bool:
        return self.accepted_terms == current


@dataclass(frozen=True)
class UpstreamView:
    """What anyone may know about an upstream: never its URL or key (G4)."""

    variant: str
    set_by: str
    set_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class EngagementView:
    id: uuid.UUID
    title: str
    version_id: uuid.UUID
    version_display: str
    model_id: str  # what reviewers pass as ``model`` on the gateway
    developer_org_id: uuid.UUID
    developer_name: str
    state: EngagementState
    closed_reason: ClosedReason | None
    window: Window
    recipients: Recipients
    partners_from: datetime | None
    current_terms: int
    terms: tuple[TermsView, ...]
    participants: tuple[ParticipantView, ...]
    upstreams: tuple[UpstreamView, ...]
    offered_at: datetime | None
    closed_at: datetime | None
    created_at: datetime

    @property
    def current(self) -> TermsView:
        return next(t for t in self.terms if t.number == self.current_terms)

    @property
    def variants(self) -> tuple[str, ...]:
        return tuple(u.variant for u in self.upstreams)


VARIANTS = ("standard", "reduced-safeguard")


def public_model_id(model_name: str, label: str) -> str:
    """The model id reviewers see: the registry's names, never the upstream's."""
    raw = f"{model_name}-{label}".lower()
    return "".join(c if c.isalnum() or c in "-." else "-" for c in raw).strip("-")


def load(uow: UnitOfWork, engagement_id: uuid.UUID) -> Engagement:
    row = uow.session.get(Engagement, engagement_id)
    if row is None:
        raise NotFound(f"engagement {engagement_id} not found")
    return row


def load_for(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, permission: Permission) -> Engagement:
    """The engagement, once ``principal`` may do ``permission`` on it.

    An engagement the caller may not even read answers ``NotFound`` exactly like one that does
    not exist (the refusal is still audited); one it reads but may not act on is refused with
    the reason.

    Args:
        uow: The unit of work.
        principal: The caller.
        engagement_id: The engagement asked for.
        permission: What the caller wants to do with it.

    Returns:
        The engagement row.

    Raises:
        NotFound: No such engagement, or one the caller may not see.
        PermissionDenied: The caller sees it but may not do this.
    """
    row = load(uow, engagement_id)
    authorize_visible(
        uow,
        principal,
        permission,
        ref(uow, row),
        not_found=f"engagement {engagement_id} not found",
        read=Permission.ENGAGEMENT_READ,
    )
    return row


def ref(uow: UnitOfWork, row: Engagement) -> EngagementRef:
    """Everything the rules need to decide whether someone is still a party (revoked
    organizations and people, designations, terms accepted): see ``EngagementRef.party_refusal``."""
    parts = uow.session.execute(
        select(Participant.organization_id, Participant.cohort, Participant.revoked_at, Participant.accepted_terms).where(
            Participant.engagement_id == row.id
        )
    )
    participants = {}
    for org, cohort, revoked, accepted in parts:
        designation = partners.current_designation(uow, org) if cohort == Cohort.PARTNER.value else None
        participants[org] = Party(
            cohort=cohort,
            revoked=revoked is not None,
            accepted_current_terms=accepted == row.current_terms,
            designated_until=designation.expires_at if designation is not None else None,
        )
    revoked_users = frozenset(uow.session.scalars(select(RevokedUser.user_id).where(RevokedUser.engagement_id == row.id)))
    return EngagementRef(
        id=row.id,
        developer_org_id=row.developer_org_id,
        draft=row.state == EngagementState.DRAFT.value,
        partners_included=row.recipients == Recipients.FEDERAL_AND_PARTNERS.value,
        participants=participants,
        revoked_users=revoked_users,
    )


def _terms_view(t: TermsVersion) -> TermsView:
    return TermsView(
        number=t.number,
        materials=Materials(**t.materials),
        protections=Protections(**t.protections),
        default_quotas=Quotas(**t.default_quotas),
        note=t.note,
        created_by=t.created_by,
        created_at=t.created_at,
    )


def _org_name(uow: UnitOfWork, org_id: uuid.UUID) -> str:
    org = uow.session.get(Organization, org_id)
    return org.name if org else "?"


def version_status(uow: UnitOfWork, row: Engagement) -> str:
    version = uow.session.get(ModelVersion, row.model_version_id)
    return version.status if version else VersionStatus.WITHDRAWN.value


def view(uow: UnitOfWork, row: Engagement, principal: Principal | None = None) -> EngagementView:
    """The engagement as ``principal`` may see it: a participant sees only its own participation."""
    version = uow.session.get(ModelVersion, row.model_version_id)
    model = uow.session.get(Model, version.model_id) if version else None
    window = Window(row.window_start, row.window_end)
    state, reason = effective_state(
        EngagementState(row.state),
        ClosedReason(row.closed_reason) if row.closed_reason else None,
        window,
        version.status if version else "withdrawn",
        uow.clock.now(),
    )
    terms = tuple(
        _terms_view(t)
        for t in uow.session.scalars(
            select(TermsVersion).where(TermsVersion.engagement_id == row.id).order_by(TermsVersion.number)
        )
    )
    sees_all = principal is None or principal.org_id == row.developer_org_id or principal.org_kind is OrgKind.PROGRAM_OFFICE
    sees_all = sees_all or (principal is not None and principal.is_system)
    participants = []
    for p in uow.session.scalars(select(Participant).where(Participant.engagement_id == row.id).order_by(Participant.invited_at)):
        if not sees_all and (principal is None or p.organization_id != principal.org_id):
            continue
        revoked_users = uow.session.scalars(
            select(User.email)
            .join(RevokedUser, RevokedUser.user_id == User.id)
            .where(RevokedUser.engagement_id == row.id, User.organization_id == p.organization_id)
        )
        participants.append(
            ParticipantView(
                id=p.id,
                organization_id=p.organization_id,
                organization_name=_org_name(uow, p.organization_id),
                cohort=Cohort(p.cohort),
                quotas=Quotas(p.requests_per_day, p.tokens_per_day, p.requests_per_minute),
                accepted_terms=p.accepted_terms,
                accepted_by=p.accepted_by,
                accepted_at=p.accepted_at,
                revoked_at=p.revoked_at,
                revoked_users=tuple(revoked_users),
            )
        )
    upstreams = tuple(
        UpstreamView(u.variant, u.set_by, u.set_at, u.last_used_at)
        for u in uow.session.scalars(select(Upstream).where(Upstream.engagement_id == row.id).order_by(Upstream.variant))
    )
    return EngagementView(
        id=row.id,
        title=row.title,
        version_id=row.model_version_id,
        version_display=f"{model.name} {version.label}" if model and version else "?",
        model_id=public_model_id(model.name, version.label) if model and version else "?",
        developer_org_id=row.developer_org_id,
        developer_name=_org_name(uow, row.developer_org_id),
        state=state,
        closed_reason=reason,
        window=window,
        recipients=Recipients(row.recipients),
        partners_from=row.partners_from,
        current_terms=row.current_terms,
        terms=terms,
        participants=tuple(participants),
        upstreams=upstreams,
        offered_at=row.offered_at,
        closed_at=row.closed_at,
        created_at=row.created_at,
    )


def _check_terms(materials: Materials, protections: Protections, quotas: Quotas) -> None:
    quotas.check()
    if not 20 <= len(protections.confidentiality_text.strip()) <= 20_000:
        raise ValidationFailed(
            "the confidentiality and nondisclosure text must have 20 to 20000 characters", field="confidentiality_text"
        )
    if len(protections.use_restrictions) > 10_000:
        raise ValidationFailed("use restrictions must have at most 10000 characters", field="use_restrictions")
    if not 0 < protections.materials_retention_days <= 365:
        raise ValidationFailed("materials are retained for 1 to 365 days", field="materials_retention_days")
    if not (materials.api_access or materials.system_card or materials.evaluation_results or materials.weights):
        raise ValidationFailed("the terms share at least one material", field="materials")


def _add_terms(
    uow: UnitOfWork, principal: Principal, row: Engagement, number: int, terms: tuple[Materials, Protections, Quotas], note: str
) -> None:
    materials, protections, quotas = terms
    uow.session.add(
        TermsVersion(
            id=new_id(),
            engagement_id=row.id,
            number=number,
            materials=dataclasses.asdict(materials),
            protections=dataclasses.asdict(protections),
            default_quotas=dataclasses.asdict(quotas),
            note=note.strip()[:2000],
            created_by=principal.label,
            created_at=uow.clock.now(),
        )
    )


def open_engagement(
    uow: UnitOfWork,
    principal: Principal,
    *,
    version_id: uuid.UUID,
    title: str,
    window: Window,
    recipients: Recipients,
    materials: Materials,
    protections: Protections,
    quotas: Quotas,
    partners_from: datetime | None = None,
) -> EngagementView:
    """Open a draft engagement for one of the developer's own prerelease versions."""
    version, model = registry.get_visible_version(uow, principal, version_id)
    authorize(uow, principal, Permission.ENGAGEMENT_OPEN, model.organization_id)
    if version.status != VersionStatus.PRERELEASE.value:
        raise ValidationFailed(f"{model.name} {version.label} is already {version.status}", field="version_id")
    clean_title = title.strip()
    if not 3 <= len(clean_title) <= 200:
        raise ValidationFailed("title must have 3 to 200 characters", field="title")
    window.check()
    start_partners = check_partners_from(window, recipients, partners_from)
    _check_terms(materials, protections, quotas)
    now = uow.clock.now()
    row = Engagement(
        id=new_id(),
        model_version_id=version.id,
        developer_org_id=model.organization_id,
        title=clean_title,
        state=EngagementState.DRAFT.value,
        window_start=window.start,
        window_end=window.end,
        recipients=recipients.value,
        partners_from=start_partners,
        current_terms=1,
        created_by=principal.label,
        created_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    _add_terms(uow, principal, row, 1, (materials, protections, quotas), "first version")
    uow.session.flush()
    audit.record(
        uow,
        principal,
        "engagements:engagement:opened",
        target_type="engagement",
        target_id=row.id,
        details={"version": str(version.id), "window_start": window.start.isoformat(), "window_end": window.end.isoformat()},
    )
    return view(uow, row, principal)


def _manage(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> Engagement:
    return load_for(uow, principal, engagement_id, Permission.ENGAGEMENT_MANAGE)


def _open_for_change(uow: UnitOfWork, row: Engagement) -> EngagementState:
    state, _ = effective_state(
        EngagementState(row.state),
        ClosedReason(row.closed_reason) if row.closed_reason else None,
        Window(row.window_start, row.window_end),
        version_status(uow, row),
        uow.clock.now(),
    )
    if state is EngagementState.CLOSED:
        raise ValidationFailed("the engagement is closed", field="engagement")
    return state


def _bump(row: Engagement) -> None:
    row.access_epoch += 1


def change_terms(
    uow: UnitOfWork,
    principal: Principal,
    engagement_id: uuid.UUID,
    *,
    materials: Materials,
    protections: Protections,
    quotas: Quotas,
    note: str = "",
) -> EngagementView:
    """A new terms version; every participant must accept it again before further access.

    Upstreams of variants the new terms no longer share are removed at once (their sealed URL
    and key with them): the gateway cannot reach what the terms do not cover, even after the
    participants accept (item 8 of issue 10).
    """
    row = _manage(uow, principal, engagement_id)
    _open_for_change(uow, row)
    _check_terms(materials, protections, quotas)
    number = row.current_terms + 1
    _add_terms(uow, principal, row, number, (materials, protections, quotas), note)
    row.current_terms = number
    _bump(row)
    covered = shared_variants(materials)
    dropped = list(
        uow.session.scalars(select(Upstream).where(Upstream.engagement_id == row.id, Upstream.variant.not_in(covered)))
    )
    for upstream in dropped:
        uow.session.delete(upstream)
    uow.session.flush()
    audit.record(
        uow, principal, "engagements:terms:changed", target_type="engagement", target_id=row.id, details={"terms": number}
    )
    for upstream in dropped:
        audit.record(
            uow,
            principal,
            "engagements:upstream:removed",
            target_type="engagement",
            target_id=row.id,
            details={"variant": upstream.variant, "because": f"terms version {number} does not share it"},
        )
    if row.state != EngagementState.DRAFT.value:
        notices.to_participants(uow, row, "terms_changed", f"{row.title}: terms changed (version {number}); accept them again")
    return view(uow, row, principal)


def set_window(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, window_end: datetime, window_start: datetime | None = None
) -> EngagementView:
    """Extend or shorten the window (G3: never beyond 30 days in total); the start moves only in a draft."""
    row = _manage(uow, principal, engagement_id)
    state = _open_for_change(uow, row)
    start = row.window_start
    if window_start is not None and window_start != row.window_start:
        if state is not EngagementState.DRAFT:
            raise ValidationFailed("the window's start is fixed once the engagement is offered", field="window_start")
        start = window_start
    window = Window(start, window_end)
    window.check()
    if state is not EngagementState.DRAFT and window_end <= uow.clock.now():
        raise ValidationFailed("to end access now, close the engagement instead", field="window_end")
    recipients = Recipients(row.recipients)
    row.partners_from = check_partners_from(window, recipients, row.partners_from if row.partners_from else None)
    previous = row.window_end
    row.window_start, row.window_end = window.start, window.end
    _bump(row)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        "engagements:window:changed",
        target_type="engagement",
        target_id=row.id,
        details={"from_end": previous.isoformat(), "to_end": window_end.isoformat()},
    )
    return view(uow, row, principal)


def invite(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, organization_id: uuid.UUID, quotas: Quotas | None = None
) -> EngagementView:
    """Invite an agency, or a designated trusted partner where the terms include partners."""
    row = _manage(uow, principal, engagement_id)
    _open_for_change(uow, row)
    org = uow.session.get(Organization, organization_id)
    if org is None:
        raise NotFound(f"organization {organization_id} not found")
    if org.kind in {OrgKind.AGENCY.value, OrgKind.PROGRAM_OFFICE.value}:
        # The program office takes part like an agency when the developer lets it benchmark the
        # candidate through the gateway (gated and audited like every other access).
        cohort = Cohort.GOVERNMENT
    elif org.kind == OrgKind.PARTNER.value:
        if row.recipients != Recipients.FEDERAL_AND_PARTNERS.value:
            raise ValidationFailed(
                "these terms are federal only; change the recipients to include trusted partners first",
                field="organization_id",
            )
        designation = partners.current_designation(uow, org.id)
        if designation is None or designation.expires_at <= uow.clock.now():
            raise ValidationFailed(
                f"{org.name} is not a designated trusted partner; the program office designates partners",
                field="organization_id",
            )
        cohort = Cohort.PARTNER
    else:
        raise ValidationFailed(
            f"{org.name} is a {org.kind.replace('_', ' ')} organization; invite agencies, trusted partners or the program office",
            field="organization_id",
        )
    if uow.session.scalar(
        select(Participant.id).where(Participant.engagement_id == row.id, Participant.organization_id == org.id)
    ):
        raise Conflict(f"{org.name} is already a participant", field="organization_id")
    terms = uow.session.scalar(
        select(TermsVersion).where(TermsVersion.engagement_id == row.id, TermsVersion.number == row.current_terms)
    )
    assert terms is not None
    chosen = quotas or Quotas(**terms.default_quotas)
    chosen.check()
    participant = Participant(
        id=new_id(),
        engagement_id=row.id,
        organization_id=org.id,
        cohort=cohort.value,
        requests_per_day=chosen.requests_per_day,
        tokens_per_day=chosen.tokens_per_day,
        requests_per_minute=chosen.requests_per_minute,
        invited_at=uow.clock.now(),
    )
    uow.session.add(participant)
    uow.flush_unique(f"{org.name} is already a participant", "organization_id")
    audit.record(
        uow,
        principal,
        "engagements:participant:invited",
        target_type="engagement",
        target_id=row.id,
        details={"organization": str(org.id), "cohort": cohort.value},
    )
    if row.state != EngagementState.DRAFT.value:
        notices.offer(uow, row, org.id)
    return view(uow, row, principal)


def set_quotas(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, participant_id: uuid.UUID, quotas: Quotas
) -> EngagementView:
    row = _manage(uow, principal, engagement_id)
    quotas.check()
    part = _participant(uow, row, participant_id)
    part.requests_per_day, part.tokens_per_day = quotas.requests_per_day, quotas.tokens_per_day
    part.requests_per_minute = quotas.requests_per_minute
    _bump(row)
    audit.record(
        uow,
        principal,
        "engagements:participant:quotas_set",
        target_type="engagement",
        target_id=row.id,
        details={"participant": str(part.id), **dataclasses.asdict(quotas)},
    )
    return view(uow, row, principal)


def _participant(uow: UnitOfWork, row: Engagement, participant_id: uuid.UUID) -> Participant:
    part = uow.session.get(Participant, participant_id)
    if part is None or part.engagement_id != row.id:
        raise NotFound(f"participant {participant_id} not found in this engagement")
    return part


def offer(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> EngagementView:
    """Offer the draft to its participants (they are notified and may accept the terms)."""
    row = _manage(uow, principal, engagement_id)
    current = EngagementState(row.state)
    next_state(current, EngagementState.OFFERED)
    if version_status(uow, row) != VersionStatus.PRERELEASE.value:
        raise ValidationFailed("the model version is no longer a prerelease", field="engagement")
    if uow.clock.now() >= row.window_end:
        raise ValidationFailed("the window has already ended; set a new window first", field="window_end")
    orgs = list(uow.session.scalars(select(Participant.organization_id).where(Participant.engagement_id == row.id)))
    if not orgs:
        raise ValidationFailed("invite at least one agency or trusted partner before offering", field="participants")
    row.state = EngagementState.OFFERED.value
    row.offered_at = uow.clock.now()
    _bump(row)
    uow.session.flush()
    audit.record(uow, principal, "engagements:engagement:offered", target_type="engagement", target_id=row.id)
    for org_id in orgs:
        notices.offer(uow, row, org_id)
    return view(uow, row, principal)


def accept_terms(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, *, terms_number: int) -> EngagementView:
    """A participant's admin accepts one specific terms version for the whole organization."""
    row = load_for(uow, principal, engagement_id, Permission.ENGAGEMENT_ACCEPT_TERMS)
    _open_for_change(uow, row)
    if terms_number != row.current_terms:
        raise Conflict(f"the current terms are version {row.current_terms}; read and accept that version", field="terms_number")
    part = uow.session.scalar(
        select(Participant).where(Participant.engagement_id == row.id, Participant.organization_id == principal.org_id)
    )
    assert part is not None  # the rule admitted a participant
    now = uow.clock.now()
    part.accepted_terms, part.accepted_by, part.accepted_at = terms_number, principal.label, now
    uow.session.add(
        TermsAcceptance(
            id=new_id(), participant_id=part.id, terms_number=terms_number, accepted_by=principal.label, accepted_at=now
        )
    )
    _bump(row)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        "engagements:terms:accepted",
        target_type="engagement",
        target_id=row.id,
        details={"terms": terms_number, "organization": str(part.organization_id)},
    )
    notices.to_developer(
        uow, row, "terms_accepted", f"{row.title}: {_org_name(uow, part.organization_id)} accepted terms v{terms_number}"
    )
    return view(uow, row, principal)


def revoke_participant(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, participant_id: uuid.UUID
) -> EngagementView:
    """Cut a whole participant off; holds on its next request in every process."""
    row = _manage(uow, principal, engagement_id)
    part = _participant(uow, row, participant_id)
    if part.revoked_at is None:
        part.revoked_at, part.revoked_by = uow.clock.now(), principal.label
        _bump(row)
        uow.session.flush()
        audit.record(
            uow,
            principal,
            "engagements:participant:revoked",
            target_type="engagement",
            target_id=row.id,
            details={"organization": str(part.organization_id)},
        )
        notices.to_org(uow, row, part.organization_id, "access_revoked", f"{row.title}: the developer revoked your access")
    return view(uow, row, principal)


def revoke_user(
    uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID, user_id: uuid.UUID | None = None, *, email: str | None = None
) -> EngagementView:
    """Cut one person, named by id or by email address, off this engagement.

    The person is looked up only after the caller is authorized, and only among the
    participating organizations' members: a developer is not entitled to the user directory,
    so "no such account" and "not a participant" get the same answer.
    """
    row = _manage(uow, principal, engagement_id)
    members = (
        select(User)
        .join(Participant, Participant.organization_id == User.organization_id)
        .where(Participant.engagement_id == row.id)
    )
    if email is not None:
        user = uow.session.scalar(members.where(func.lower(User.email) == email.strip().lower()))
        if user is None:
            raise ValidationFailed(f"{email.strip()!r} is not a member of a participating organization", field="email")
    else:
        user = uow.session.scalar(members.where(User.id == user_id))
        if user is None:
            raise ValidationFailed(f"user {user_id} is not a member of a participating organization", field="user_id")
    if uow.session.scalar(select(RevokedUser.id).where(RevokedUser.engagement_id == row.id, RevokedUser.user_id == user.id)):
        return view(uow, row, principal)
    uow.session.add(
        RevokedUser(id=new_id(), engagement_id=row.id, user_id=user.id, revoked_at=uow.clock.now(), revoked_by=principal.label)
    )
    _bump(row)
    uow.session.flush()
    audit.record(
        uow, principal, "engagements:user:revoked", target_type="engagement", target_id=row.id, details={"user": user.email}
    )
    notices.to_user(uow, row, user.id, "access_revoked", f"{row.title}: the developer revoked your access")
    return view(uow, row, principal)


def close(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> EngagementView:
    """The developer ends the engagement now (recorded as withdrawn). Always succeeds."""
    row = _manage(uow, principal, engagement_id)
    if row.state != EngagementState.CLOSED.value:
        _close(uow, row, ClosedReason.WITHDRAWN)
        audit.record(uow, principal, "engagements:engagement:closed", target_type="engagement", target_id=row.id)
    return view(uow, row, principal)


def _close(uow: UnitOfWork, row: Engagement, reason: ClosedReason) -> None:
    was_draft = row.state == EngagementState.DRAFT.value
    row.state, row.closed_reason, row.closed_at = EngagementState.CLOSED.value, reason.value, uow.clock.now()
    _bump(row)
    uow.session.flush()
    if not was_draft:
        text = {
            ClosedReason.RELEASED: "the developer released the model; access has ended",
            ClosedReason.WITHDRAWN: "the developer ended the engagement; access has ended",
            ClosedReason.WINDOW_ELAPSED: "the window has ended; access has ended",
        }[reason]
        notices.to_participants(uow, row, f"engagement_{reason.value}", f"{row.title}: {text}")


def on_version_status_changed(uow: UnitOfWork, event: VersionStatusChanged) -> None:
    """Close every engagement of a version released or withdrawn (G2), in the same transaction.

    Nothing here can delay a release; findings are advisory.
    """
    reason = ClosedReason.RELEASED if event.status is VersionStatus.RELEASED else ClosedReason.WITHDRAWN
    for row in uow.session.scalars(
        select(Engagement).where(
            Engagement.model_version_id == event.version_id, Engagement.state != EngagementState.CLOSED.value
        )
    ):
        _close(uow, row, reason)
        audit.record(uow, event.principal, f"engagements:engagement:{reason.value}", target_type="engagement", target_id=row.id)


def sweep(uow: UnitOfWork) -> int:
    """Record transitions the clock has made (window start, window end) and send their notices.
    Access never waits for this: the gateway computes it from the clock."""
    changed = 0
    now = uow.clock.now()
    for row in uow.session.scalars(
        select(Engagement).where(Engagement.state.in_([EngagementState.OFFERED.value, EngagementState.ACTIVE.value]))
    ):
        state, reason = effective_state(
            EngagementState(row.state), None, Window(row.window_start, row.window_end), version_status(uow, row), now
        )
        if state is EngagementState.CLOSED and reason is not None:
            _close(uow, row, reason)
            audit.record(uow, _SWEEPER, f"engagements:engagement:{reason.value}", target_type="engagement", target_id=row.id)
            changed += 1
        elif state is EngagementState.ACTIVE and row.state != EngagementState.ACTIVE.value:
            row.state = EngagementState.ACTIVE.value
            audit.record(uow, _SWEEPER, "engagements:engagement:active", target_type="engagement", target_id=row.id)
            notices.to_participants(uow, row, "window_started", f"{row.title}: the review window is open")
            notices.to_developer(uow, row, "window_started", f"{row.title}: the review window is open")
            changed += 1
    return changed


_SWEEPER = Principal.system("engagements-sweep")


def get(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> EngagementView:
    row = load_for(uow, principal, engagement_id, Permission.ENGAGEMENT_READ)
    return view(uow, row, principal)


def list_visible(uow: UnitOfWork, principal: Principal) -> list[EngagementView]:
    """Everything but drafts for the program office; a developer's own; a participant's engagements
    where it may see them (G6). Operators are not party to engagements and see none."""
    rows = list(uow.session.scalars(select(Engagement).order_by(Engagement.window_start.desc())))
    now = uow.clock.now()
    out = []
    for row in rows:
        if decide(uow, principal, Permission.ENGAGEMENT_READ, ref(uow, row), now).allowed:
            out.append(view(uow, row, principal))
    return out


@dataclass(frozen=True)
class UsageRow:
    organization_name: str
    participant_id: uuid.UUID
    day: Any
    requests: int
    refused: int
    prompt_tokens: int
    completion_tokens: int


def usage(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[UsageRow]:
    """Calls and tokens per participant per day (a participant sees its own)."""
    row = load_for(uow, principal, engagement_id, Permission.ENGAGEMENT_USAGE_READ)
    the_ref = ref(uow, row)
    stmt = (
        select(
            AccessLog.participant_id,
            AccessLog.organization_id,
            AccessLog.day,
            func.count().filter(AccessLog.status < 400),
            func.count().filter(AccessLog.status >= 400),
            func.coalesce(func.sum(AccessLog.prompt_tokens), 0),
            func.coalesce(func.sum(AccessLog.completion_tokens), 0),
        )
        .where(AccessLog.engagement_id == row.id, AccessLog.kind == "gateway", AccessLog.participant_id.is_not(None))
        .group_by(AccessLog.participant_id, AccessLog.organization_id, AccessLog.day)
        .order_by(AccessLog.day.desc())
    )
    sees_all = decide(uow, principal, Permission.ENGAGEMENT_MANAGE, the_ref, uow.clock.now()).allowed
    sees_all = sees_all or principal.org_kind is OrgKind.PROGRAM_OFFICE or principal.is_system
    if not sees_all:
        stmt = stmt.where(AccessLog.organization_id == principal.org_id)
    return [
        UsageRow(_org_name(uow, org) if org else "?", pid, day, int(ok), int(bad), int(pt), int(ct))
        for pid, org, day, ok, bad, pt, ct in uow.session.execute(stmt)
        if pid is not None
    ]


def mark_upstream_used(uow: UnitOfWork, engagement_id: uuid.UUID, variant: str, at: datetime) -> None:
    uow.session.execute(
        update(Upstream).where(Upstream.engagement_id == engagement_id, Upstream.variant == variant).values(last_used_at=at)
    )


@dataclass(frozen=True)
class Invitable:
    id: uuid.UUID
    name: str
    kind: str
    sector: str | None


def invitable(uow: UnitOfWork, principal: Principal, engagement_id: uuid.UUID) -> list[Invitable]:
    """Agencies, and designated partners where the terms include partners, not yet invited."""
    row = _manage(uow, principal, engagement_id)
    taken = set(uow.session.scalars(select(Participant.organization_id).where(Participant.engagement_id == row.id)))
    now = uow.clock.now()
    out = []
    for org in uow.session.scalars(
        select(Organization)
        .where(Organization.kind.in_([OrgKind.AGENCY.value, OrgKind.PARTNER.value, OrgKind.PROGRAM_OFFICE.value]))
        .order_by(Organization.name)
    ):
        if org.id in taken:
            continue
        if org.kind == OrgKind.PARTNER.value:
            if row.recipients != Recipients.FEDERAL_AND_PARTNERS.value:
                continue
            designation = partners.current_designation(uow, org.id)
            if designation is None or designation.expires_at <= now:
                continue
        out.append(Invitable(org.id, org.name, org.kind, org.sector))
    return out
