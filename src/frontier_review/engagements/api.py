"""The engagements area's REST routers, joined: mount :data:`router` under ``/api/v1``.

Each sub-package serves its own routes; this module only puts them together in a stable order.
"""

from __future__ import annotations

from fastapi import APIRouter

from frontier_review.engagements.access import api as access_api
from frontier_review.engagements.findings import api as findings_api
from frontier_review.engagements.lifecycle import api as lifecycle_api
from frontier_review.engagements.materials import api as materials_api

__all__ = ["router"]

router = APIRouter()
for _part in (lifecycle_api, access_api, materials_api, findings_api):
    router.include_router(_part.router)
