"""Transitional: ``web/app.py`` still mounts this router; its routes are now in :data:`engagements.api.router`.

Delete this module once the app mounts ``engagements.api.router`` alone.
"""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
