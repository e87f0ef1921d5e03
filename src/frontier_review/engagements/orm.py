"""Every engagement table, for the metadata (the composition root imports this module).

Each sub-package owns its tables; nothing outside the engagements area imports them.
"""

from __future__ import annotations

from frontier_review.engagements.access import orm as access_orm
from frontier_review.engagements.findings import orm as findings_orm
from frontier_review.engagements.lifecycle import orm as lifecycle_orm
from frontier_review.engagements.materials import orm as materials_orm

__all__ = ["access_orm", "findings_orm", "lifecycle_orm", "materials_orm"]
