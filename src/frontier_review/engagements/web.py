"""The engagements area's web routers, joined: mount :data:`router` on the app.

Each sub-package serves its own pages and forms; this module only puts them together.
"""

from __future__ import annotations

from fastapi import APIRouter

from frontier_review.engagements.access import web as access_web
from frontier_review.engagements.findings import web as findings_web
from frontier_review.engagements.lifecycle import web as lifecycle_web
from frontier_review.engagements.materials import web as materials_web

__all__ = ["router"]

router = APIRouter()
for _part in (lifecycle_web, access_web, materials_web, findings_web):
    router.include_router(_part.router)
