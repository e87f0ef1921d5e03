"""Transitional: ``web/app.py`` still mounts this router; its routes are now in :data:`engagements.web.router`.

Delete this module once the app mounts ``engagements.web.router`` alone.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
