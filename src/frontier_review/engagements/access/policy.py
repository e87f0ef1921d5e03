"""Who may mint a personal gateway token (pure rule)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from frontier_review.engagements.lifecycle.policy import NOT_ACCEPTED, EngagementRef, participant_member
from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, Principal

TERMS_FIRST = f"{NOT_ACCEPTED}; gateway tokens are issued once its admin accepts them"


def can_issue_gateway_token(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    """A signed-in member of a current party whose organization accepted the current terms.

    Before acceptance every call the token made would be refused (G1), so the token is not
    issued at all: the refusal names the terms, where the reviewer can act on it.
    """
    if p.method is AuthMethod.TOKEN:
        return Denied("gateway tokens are created by a signed-in person, not with an API token")
    decision = participant_member(p, ref, now)
    if decision.allowed and not ref.accepted(p.org_id):
        return Denied(TERMS_FIRST)
    return decision


RULES: Mapping[Permission, Rule] = {
    Permission.GATEWAY_TOKEN_ISSUE: can_issue_gateway_token,
}
