"""Who may manage keys and back the instance up (pure rules)."""

from __future__ import annotations

from collections.abc import Mapping

from frontier_review.kernel.authz import Rule, superuser_only
from frontier_review.kernel.permissions import Permission

RULES: Mapping[Permission, Rule] = {Permission.KEYS_ROTATE: superuser_only, Permission.BACKUP: superuser_only}
