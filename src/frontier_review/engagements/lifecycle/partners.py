"""Trusted partners: the program office designates critical-infrastructure organizations."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.lifecycle.designations import find_current_designation
from frontier_review.engagements.lifecycle.domain import reason_details
from frontier_review.engagements.lifecycle.orm import Engagement, Participant, PartnerDesignation
from frontier_review.engagements.lifecycle.views import get_ref
from frontier_review.engagements.tags import EngagementTag
from frontier_review.identity import directory
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import authorize, decide

SECTORS = (
    "healthcare",
    "financial_services",
    "energy",
    "water",
    "communications",
    "transportation",
    "information_technology",
    "defense_industrial_base",
    "other",
)


@dataclass(frozen=True)
class DesignationView:
    """A designation, naming only the engagements the reader may read."""

    id: uuid.UUID
    organization_id: uuid.UUID
    organization_name: str
    sector: str
    basis: str
    designated_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    designated_by: str
    engagements: tuple[str, ...]

    def active(self, now: datetime) -> bool:
        """Not revoked and not yet expired at ``now``."""
        return self.revoked_at is None and now < self.expires_at


def _view(uow: UnitOfWork, principal: Principal, row: PartnerDesignation) -> DesignationView:
    """The designation as ``principal`` may see it: only the engagements it may read are named.

    A developer sees its own, never another developer's titles, drafts or counts.
    """
    org = directory.find_organization(uow, row.organization_id)
    rows = uow.session.scalars(
        select(Engagement)
        .join(Participant, Participant.engagement_id == Engagement.id)
        .where(Participant.organization_id == row.organization_id)
        .order_by(Engagement.created_at)
    )
    now = uow.clock.now()
    titles = [e.title for e in rows if decide(uow, principal, Permission.ENGAGEMENT_READ, get_ref(uow, e), now).allowed]
    return DesignationView(
        id=row.id,
        organization_id=row.organization_id,
        organization_name=org.name if org else "?",
        sector=row.sector,
        basis=row.basis,
        designated_at=row.designated_at,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        designated_by=row.designated_by,
        engagements=tuple(titles),
    )


def designate(
    uow: UnitOfWork, principal: Principal, *, organization_id: uuid.UUID, sector: str, basis: str, expires_at: datetime
) -> DesignationView:
    """Designate a partner organization until ``expires_at`` (audited)."""
    authorize(uow, principal, Permission.PARTNER_DESIGNATE, None)
    org = directory.find_organization(uow, organization_id)
    if org is None:
        raise NotFound(f"organization {organization_id} not found")
    if org.kind is not OrgKind.PARTNER:
        raise ValidationFailed(
            f"{org.name} is a {org.kind.value.replace('_', ' ')} organization; only partner organizations are designated",
            field="organization_id",
        )
    if sector not in SECTORS:
        raise ValidationFailed(f"sector must be one of: {', '.join(SECTORS)}", field="sector")
    if not 10 <= len(basis.strip()) <= 2000:
        raise ValidationFailed("basis explains the designation in 10 to 2000 characters", field="basis")
    now = uow.clock.now()
    if expires_at <= now:
        raise ValidationFailed("the designation must expire in the future", field="expires_at")
    existing = find_current_designation(uow, organization_id)
    if existing is not None and existing.expires_at > now:
        raise Conflict(f"{org.name} is already designated until {existing.expires_at:%Y-%m-%d}", field="organization_id")
    row = PartnerDesignation(
        id=new_id(),
        organization_id=organization_id,
        sector=sector,
        basis=basis.strip(),
        designated_at=now,
        expires_at=expires_at,
        designated_by=principal.label,
    )
    uow.session.add(row)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        EngagementTag.PARTNER_DESIGNATED,
        target_type="organization",
        target_id=organization_id,
        details={"sector": sector, "expires_at": expires_at.isoformat()},
    )
    return _view(uow, principal, row)


def get_designation(uow: UnitOfWork, principal: Principal, designation_id: uuid.UUID) -> DesignationView:
    """One designation, for the program office that may end it (its confirmation page).

    Raises:
        NotFound: No such designation.
        PermissionDenied: The caller may not designate partners.
    """
    authorize(uow, principal, Permission.PARTNER_DESIGNATE, None)
    row = uow.session.get(PartnerDesignation, designation_id)
    if row is None:
        raise NotFound(f"designation {designation_id} not found")
    return _view(uow, principal, row)


def revoke_designation(uow: UnitOfWork, principal: Principal, designation_id: uuid.UUID, *, reason: str = "") -> DesignationView:
    """End a designation now (audited); the partner is outside every engagement from this moment.

    ``reason``, when given, is recorded in the audit entry.
    """
    authorize(uow, principal, Permission.PARTNER_DESIGNATE, None)
    row = uow.session.get(PartnerDesignation, designation_id)
    if row is None:
        raise NotFound(f"designation {designation_id} not found")
    details = reason_details(reason)
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        audit.record(
            uow,
            principal,
            EngagementTag.PARTNER_REVOKED,
            target_type="organization",
            target_id=row.organization_id,
            details=details or None,
        )
    return _view(uow, principal, row)


def list_designations(uow: UnitOfWork, principal: Principal) -> list[DesignationView]:
    """Every designation, for the program office, developers and operators.

    Each names only the engagements the reader itself may read (``policy.can_read``), so no
    developer learns another developer's engagements through a shared partner.
    """
    authorize(uow, principal, Permission.PARTNER_LIST, None)
    rows = uow.session.scalars(select(PartnerDesignation).order_by(PartnerDesignation.designated_at.desc()))
    return [_view(uow, principal, r) for r in rows]
