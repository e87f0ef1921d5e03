"""Every engagement authorization rule, joined for the composition root.

Each sub-package keeps its own rules next to its use cases; this module only puts them together.
"""

from __future__ import annotations

from collections.abc import Mapping

from frontier_review.engagements.access.policy import RULES as ACCESS_RULES
from frontier_review.engagements.findings.policy import RULES as FINDING_RULES
from frontier_review.engagements.lifecycle.policy import RULES as LIFECYCLE_RULES
from frontier_review.engagements.materials.policy import RULES as MATERIALS_RULES
from frontier_review.kernel.authz import Rule
from frontier_review.kernel.permissions import Permission

__all__ = ["RULES"]

RULES: Mapping[Permission, Rule] = {**LIFECYCLE_RULES, **ACCESS_RULES, **MATERIALS_RULES, **FINDING_RULES}
