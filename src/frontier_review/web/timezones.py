"""The viewer's time zone, for the dates and times typed in forms.

Pages print every time as a ``<time>`` in UTC, and app.js rewrites it in the viewer's zone, naming
that zone, with UTC on hover (``templating.time_tag``). A date-and-time field has to be typed in
that same zone, or one card would show 6:22 PM and its input 11:22 PM for the same instant. So a
form with such fields carries a hidden ``tz`` field (``forms.zone`` in ``templates/_forms.html``):

- The page renders the fields' values in UTC and ``tz=UTC``. That is what a browser without
  JavaScript sends, and the hint next to the fields says "UTC".
- app.js converts the values to the browser's zone and puts its IANA name (``America/New_York``)
  in ``tz``, and in the hint.
- The route reads every value in the zone ``tz`` names (:func:`read_local`), so what was typed
  and the zone it was typed in always travel together. A refused form comes back with both, as
  typed, and app.js leaves a form already in the browser's zone alone.

The names are resolved with ``zoneinfo``: the system's time zone database, or the ``tzdata`` package where the host has none.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from frontier_review.kernel.errors import ValidationFailed

__all__ = ["DEFAULT_ZONE", "ZONE_FIELD", "read_local", "zone_named"]

DEFAULT_ZONE = "UTC"
"""The zone of the values a page renders, and of forms sent without JavaScript."""

ZONE_FIELD = "tz"
"""The hidden form field that names the zone the form's dates and times were typed in."""


def zone_named(name: str) -> tzinfo:
    """The time zone called ``name`` (an IANA name such as ``Europe/Paris``; empty means UTC).

    Raises:
        ValidationFailed: No such zone (on the ``tz`` field).
    """
    name = name.strip()
    if not name or name == DEFAULT_ZONE:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # ValueError: a malformed key (an absolute path, "..") that zoneinfo refuses to look up.
        raise ValidationFailed(f"the time zone {name!r} is unknown here: enter the times in UTC", field=ZONE_FIELD) from None


def read_local(value: str, zone: str) -> datetime | None:
    """``value`` (``2026-06-02T18:22`` or ``2026-06-02``, as the browser sends it) read in ``zone``, in UTC.

    A date alone means the start of that day there. A value that names its own offset keeps it.
    Returns None when ``value`` is not a date.

    Raises:
        ValidationFailed: ``zone`` is unknown.
    """
    where = zone_named(zone)
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=where)
    return parsed.astimezone(UTC)
