"""Helpers the engagements area's web pages share: form dates, and "do it, flash, go back"."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from frontier_review.kernel.errors import ValidationFailed
from frontier_review.web.templating import flash
from frontier_review.web.timezones import DEFAULT_ZONE, read_local

PAGE = "/engagements/{engagement_id}"


class FormError(ValidationFailed):
    """A form value the page could not read."""


def parse_when(value: str, field: str, *, name: str | None = None, zone: str = DEFAULT_ZONE) -> datetime:
    """A datetime-local form value, read in ``zone`` (the form's hidden ``tz`` field; UTC without JavaScript).

    ``field`` names it in the message; ``name`` is the form field, next to which the form shows it.
    See ``web/timezones.py`` for how the page and app.js keep the values and the zone together.

    Raises:
        FormError: It is not a date and time.
        ValidationFailed: ``zone`` is unknown.
    """
    parsed = read_local(value, zone)
    if parsed is None:
        raise FormError(f"{field} is not a date and time", field=name)
    return parsed


def act(request: Request, engagement_id: uuid.UUID, done: str, call: Callable[[], object]) -> Response:
    """Run ``call``, flash ``done`` and go back to the engagement's page (errors go the one error path)."""
    call()
    flash(request, done, "success")
    return RedirectResponse(f"/engagements/{engagement_id}", status_code=303)
