"""Reading typed dates in a named zone, and printing times in UTC for app.js to localise (issue 12, item 8)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from frontier_review.kernel.errors import ValidationFailed
from frontier_review.web.templating import time_tag
from frontier_review.web.timezones import read_local, zone_named


@pytest.mark.parametrize(
    ("value", "zone", "expected"),
    [
        ("2026-06-02T18:22", "UTC", datetime(2026, 6, 2, 18, 22, tzinfo=UTC)),
        ("2026-06-02T18:22", "", datetime(2026, 6, 2, 18, 22, tzinfo=UTC)),
        ("2026-06-02T18:22", "America/New_York", datetime(2026, 6, 2, 22, 22, tzinfo=UTC)),  # EDT
        ("2026-12-02T18:22", "America/New_York", datetime(2026, 12, 2, 23, 22, tzinfo=UTC)),  # EST: the date's own offset
        ("2026-06-02T18:22:30", "Asia/Kolkata", datetime(2026, 6, 2, 12, 52, 30, tzinfo=UTC)),
        ("2027-12-02", "Europe/Paris", datetime(2027, 12, 1, 23, 0, tzinfo=UTC)),  # a date: the start of that day there
        ("2026-06-02T18:22+02:00", "America/New_York", datetime(2026, 6, 2, 16, 22, tzinfo=UTC)),  # its own offset wins
    ],
)
def test_a_typed_value_is_read_in_its_zone(value: str, zone: str, expected: datetime) -> None:
    assert read_local(value, zone) == expected


def test_what_is_not_a_date_is_none() -> None:
    assert read_local("next tuesday", "UTC") is None
    assert read_local("", "Europe/Paris") is None


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "Europe/"])
def test_an_unknown_zone_is_a_validation_error_on_the_tz_field(name: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        zone_named(name)
    assert refused.value.problems[0].field == "tz"


def test_times_are_printed_in_utc_whatever_zone_they_carry() -> None:
    paris = datetime(2026, 6, 2, 20, 22, tzinfo=timezone(timedelta(hours=2)))
    tag = str(time_tag(paris))
    assert tag == '<time datetime="2026-06-02T18:22:00+00:00" title="2026-06-02 18:22 UTC">2026-06-02 18:22 UTC</time>'
    assert str(time_tag(datetime(2026, 6, 2, 18, 22))) == tag  # naive: stored UTC
    assert str(time_tag(None)) == "<span class=muted>—</span>"
