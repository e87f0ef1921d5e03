"""Reading partner designations (the rules ask whether a partner's designation still runs)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from frontier_review.db.uow import UnitOfWork
from frontier_review.engagements.lifecycle.orm import PartnerDesignation


def find_current_designation(uow: UnitOfWork, org_id: uuid.UUID) -> PartnerDesignation | None:
    """The organization's unrevoked designation that lasts longest (expired ones included), or None."""
    return uow.session.scalar(
        select(PartnerDesignation)
        .where(PartnerDesignation.organization_id == org_id, PartnerDesignation.revoked_at.is_(None))
        .order_by(PartnerDesignation.expires_at.desc())
        .limit(1)
    )
