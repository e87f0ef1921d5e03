"""Imports every ORM module so the metadata is complete (for Alembic and tests)."""

from __future__ import annotations

from frontier_review.audit import orm as audit_orm
from frontier_review.coverage import orm as coverage_orm
from frontier_review.db.base import Base
from frontier_review.engagements import orm as engagements_orm
from frontier_review.evals import orm as evals_orm
from frontier_review.identity import orm as identity_orm
from frontier_review.notifications import orm as notifications_orm
from frontier_review.registry import orm as registry_orm
from frontier_review.security import orm as security_orm

__all__ = [
    "Base",
    "audit_orm",
    "coverage_orm",
    "engagements_orm",
    "evals_orm",
    "identity_orm",
    "notifications_orm",
    "registry_orm",
    "security_orm",
]
