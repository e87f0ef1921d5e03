"""Who uploads and downloads an engagement's artifacts (pure rules).

The developer uploads; a participating organization's people download. Downloads are further
held to the gateway's own admission rule and to the terms in force by the service.
"""

from __future__ import annotations

from collections.abc import Mapping

from frontier_review.engagements.lifecycle.policy import owner_manages, participant_member
from frontier_review.kernel.authz import Rule
from frontier_review.kernel.permissions import Permission

RULES: Mapping[Permission, Rule] = {
    Permission.ARTIFACT_UPLOAD: owner_manages,
    Permission.ARTIFACT_DOWNLOAD: participant_member,
}
