"""Whom a form may offer: recipients of a report, law-enforcement organizations and their people for a referral.

Only those who may act learn the names: a reporter the organizations and the people of the
clearinghouse, law enforcement and its own organization; the clearinghouse the law-enforcement
organizations an incident may still be referred to.
"""

from __future__ import annotations

import uuid

from frontier_review.clearinghouse.incidents import views
from frontier_review.clearinghouse.incidents.policy import Referral
from frontier_review.clearinghouse.incidents.views import OrgView, PersonView
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity import directory
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import OrgKind, Principal
from frontier_review.policies import authorize, decide

__all__ = ["list_law_enforcement", "list_recipient_choices", "list_referral_people"]


def list_law_enforcement(uow: UnitOfWork, principal: Principal, incident_id: uuid.UUID) -> list[OrgView]:
    """The law-enforcement organizations this incident may still be referred to (for the referral form)."""
    _, ref = views.get_readable(uow, principal, incident_id)
    if not decide(uow, principal, Permission.INCIDENT_REFER, Referral(ref, uuid.UUID(int=0))).allowed:
        return []
    agencies = directory.list_organizations(uow, kinds=[OrgKind.AGENCY])
    return [OrgView(a.id, a.name) for a in agencies if a.law_enforcement and a.id not in ref.referred_to]


def list_referral_people(uow: UnitOfWork, principal: Principal, incident_id: uuid.UUID) -> list[PersonView]:
    """The people of law-enforcement organizations a referral may name (the clearinghouse only)."""
    orgs = list_law_enforcement(uow, principal, incident_id)
    names = {o.id: o.name for o in orgs}
    return [
        PersonView(p.id, p.email, names.get(p.organization_id, "?") if p.organization_id else "")
        for p in directory.list_members(uow, names)
    ]


def list_recipient_choices(uow: UnitOfWork, principal: Principal) -> tuple[list[OrgView], list[PersonView]]:
    """Whom a report may name: every organization but the reporter's, and people of the clearinghouse and law enforcement.

    Only people who may report learn the names. The API also takes any active person's id.
    """
    authorize(uow, principal, Permission.INCIDENT_REPORT, None)
    orgs = [c for c in directory.list_organizations(uow) if c.id != principal.org_id]
    names = {c.id: c.name for c in orgs}
    shown = [c.id for c in orgs if c.kind is OrgKind.CLEARINGHOUSE or (c.kind is OrgKind.AGENCY and c.law_enforcement)]
    people = [
        PersonView(p.id, p.email, names.get(p.organization_id, "?") if p.organization_id else "")
        for p in directory.list_members(uow, [*shown, *([principal.org_id] if principal.org_id else [])])
        if p.id != principal.user_id
    ]
    return [OrgView(c.id, c.name) for c in orgs], people
