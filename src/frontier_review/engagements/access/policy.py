"""Who may mint a personal gateway token (pure rule)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from frontier_review.engagements.lifecycle.policy import EngagementRef, participant_member
from frontier_review.kernel.authz import Rule
from frontier_review.kernel.decision import Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, Principal


def can_issue_gateway_token(p: Principal, ref: EngagementRef, now: datetime) -> Decision:
    if p.method is AuthMethod.TOKEN:
        return Denied("gateway tokens are created by a signed-in person, not with an API token")
    return participant_member(p, ref, now)


RULES: Mapping[Permission, Rule] = {
    Permission.GATEWAY_TOKEN_ISSUE: can_issue_gateway_token,
}
