"""Helpers the engagements area's web pages share: form dates, and "do it, flash, go back"."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from frontier_review.kernel.errors import ValidationFailed
from frontier_review.web.templating import flash

PAGE = "/engagements/{engagement_id}"


class FormError(ValidationFailed):
    """A form value the page could not read."""


def parse_when(value: str, field: str, *, name: str | None = None) -> datetime:
    """A datetime-local form value, taken as UTC.

    ``field`` names it in the message; ``name`` is the form field, next to which the form shows it.

    Raises:
        FormError: It is not a date and time.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise FormError(f"{field} is not a date and time", field=name) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def act(request: Request, engagement_id: uuid.UUID, done: str, call: Callable[[], object]) -> Response:
    """Run ``call``, flash ``done`` and go back to the engagement's page (errors go the one error path)."""
    call()
    flash(request, done, "success")
    return RedirectResponse(f"/engagements/{engagement_id}", status_code=303)
