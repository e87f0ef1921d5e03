"""Dates typed in a form are read in the zone the form names (issue 12, item 8; web/timezones.py).

Without JavaScript a form sends no zone, or ``tz=UTC`` as the page renders it: UTC, as its hint
says. With JavaScript it names the browser's zone. SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from frontier_review import engagements
from frontier_review.bootstrap import Container
from tests.api.helpers import csrf_from, web_login
from tests.factories.engagements import Setup, make_engagement


@pytest.fixture
def setup(container: Container) -> Setup:
    return make_engagement(container)  # 2026-06-02 12:00 UTC, for 10 days


def _window_end(container: Container, setup: Setup) -> datetime:
    with container.uow() as uow:
        return engagements.get_engagement(uow, setup.developer.principal, setup.engagement.id).window.end


@pytest.mark.parametrize(
    ("zone", "saved"),
    [
        (None, datetime(2026, 6, 10, 9, 0, tzinfo=UTC)),  # no JavaScript: UTC
        ("UTC", datetime(2026, 6, 10, 9, 0, tzinfo=UTC)),
        ("Europe/Paris", datetime(2026, 6, 10, 7, 0, tzinfo=UTC)),  # CEST, UTC+2
        ("America/New_York", datetime(2026, 6, 10, 13, 0, tzinfo=UTC)),  # EDT, UTC-4
    ],
)
def test_the_window_is_read_in_the_forms_zone(
    container: Container, setup: Setup, http: httpx.Client, zone: str | None, saved: datetime
) -> None:
    web_login(http, setup.developer.email, setup.developer.password)
    page = f"/engagements/{setup.engagement.id}"
    shown = http.get(page).text
    assert '<input type="hidden" name="tz" value="UTC" data-zone>' in shown
    assert "In <span data-zone-name>UTC</span>" in shown
    form = {"window_end": "2026-06-10T09:00", "csrf_token": csrf_from(shown)} | ({"tz": zone} if zone else {})
    assert http.post(f"{page}/window", data=form).status_code == 303
    assert _window_end(container, setup) == saved


def test_an_unknown_zone_is_refused_and_the_form_kept(container: Container, setup: Setup, http: httpx.Client) -> None:
    web_login(http, setup.developer.email, setup.developer.password)
    page = f"/engagements/{setup.engagement.id}"
    form = {"window_end": "2026-06-10T09:00", "tz": "Mars/Olympus_Mons", "csrf_token": csrf_from(http.get(page).text)}
    refused = http.post(f"{page}/window", data=form)
    assert refused.status_code == 422
    assert "the time zone &#39;Mars/Olympus_Mons&#39; is unknown here" in refused.text
    assert 'value="2026-06-10T09:00"' in refused.text
    assert _window_end(container, setup) == setup.engagement.window.end


def test_a_refused_form_keeps_the_zone_it_was_typed_in(container: Container, setup: Setup, http: httpx.Client) -> None:
    web_login(http, setup.developer.email, setup.developer.password)
    page = f"/engagements/{setup.engagement.id}"
    form = {"window_end": "2026-08-30T09:00", "tz": "Europe/Paris", "csrf_token": csrf_from(http.get(page).text)}
    refused = http.post(f"{page}/window", data=form)
    assert refused.status_code == 422
    # The value and its zone come back together: app.js leaves a form in the browser's zone alone.
    assert '<input type="hidden" name="tz" value="Europe/Paris" data-zone>' in refused.text
    assert 'value="2026-08-30T09:00"' in refused.text
    assert "In <span data-zone-name>Europe/Paris</span>" in refused.text
