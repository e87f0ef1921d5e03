"""The slice's routers as one, for the ASGI app: the REST API under ``/api/v1`` and the pages."""

from __future__ import annotations

from fastapi import APIRouter

from frontier_review.clearinghouse.scans import api, web

router = APIRouter()
router.include_router(api.router, prefix="/api/v1")
router.include_router(web.router)
