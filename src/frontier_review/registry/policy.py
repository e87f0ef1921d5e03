"""Who may see and change models and versions (pure rules). R1: only the owner edits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.registry.domain import ModelRef


def can_register_model(p: Principal, org_id: uuid.UUID | None, _now: datetime) -> Decision:
    if p.org_kind is OrgKind.DEVELOPER and p.is_member_of(org_id):
        return Allowed("member of the developer organization")
    return Denied("only a developer organization's own people register its models")


def owner_edits(p: Principal, model: ModelRef, _now: datetime) -> Decision:
    # Operators run the platform; they do not speak for a developer, so they do not edit (R1).
    if p.org_kind is OrgKind.DEVELOPER and p.is_member_of(model.org_id):
        return Allowed("member of the owning developer organization")
    return Denied("only the owning developer organization changes its models and versions")


def can_read_model(p: Principal, model: ModelRef, _now: datetime) -> Decision:
    if p.is_superuser:
        return Allowed("superuser")
    if p.is_member_of(model.org_id):
        return Allowed("owning organization")
    if p.org_kind is OrgKind.PROGRAM_OFFICE:
        return Allowed("program office")
    return Denied("you cannot see another organization's models")


def can_list_all_models(p: Principal, _resource: object, _now: datetime) -> Decision:
    if p.is_superuser:
        return Allowed("superuser")
    if p.org_kind is OrgKind.PROGRAM_OFFICE:
        return Allowed("program office")
    return Denied("only the program office and operators list every organization's models")


RULES: Mapping[Permission, Rule] = {
    Permission.REGISTRY_MODEL_CREATE: can_register_model,
    Permission.REGISTRY_MODEL_READ: can_read_model,
    Permission.REGISTRY_MODEL_LIST_ALL: can_list_all_models,
    Permission.REGISTRY_VERSION_EDIT: owner_edits,
    Permission.REGISTRY_VERSION_RELEASE: owner_edits,
}
