"""The web UI's one error path (issue 10, item 16; issue 12): a service error raises through the unit
of work, which rolls back, and the web error handler then shows the form's declared page again
with the error next to its field, or (when there is nothing to keep, or the page cannot show the
form) flashes the message and redirects to the route's declared page, or to a same-site ``back``
the form sent."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.config import Settings
from frontier_review.engagements.lifecycle.orm import Engagement
from frontier_review.engagements.materials.orm import Artifact, SealedChunk
from frontier_review.security.orm import DataKey
from tests.api.helpers import csrf_from, web_login
from tests.factories.engagements import Setup, make_engagement

LIMIT = 256 * 1024  # below the body-size middleware's slack, so the service itself refuses


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"artifact_max_bytes": LIMIT})


@pytest.fixture
def setup(container: Container) -> Setup:
    return make_engagement(container)


@pytest.fixture
def developer(base_url: str, setup: Setup) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, setup.developer.email, setup.developer.password).status_code == 303
        yield client


def _count(container: Container, stmt: sa.Select[int]) -> int:
    with container.sessions() as session:
        return int(session.scalar(stmt) or 0)


def _nothing_stored(container: Container) -> None:
    assert _count(container, sa.select(sa.func.count()).select_from(SealedChunk)) == 0
    assert _count(container, sa.select(sa.func.count()).select_from(Artifact)) == 0
    keys = sa.select(sa.func.count()).select_from(DataKey).where(DataKey.owner_table == "sealed_chunks")
    assert _count(container, keys) == 0


def test_an_oversized_upload_through_the_web_form_leaves_no_chunks_and_no_keys(
    container: Container, setup: Setup, developer: httpx.Client
) -> None:
    page = f"/engagements/{setup.engagement.id}"
    csrf = csrf_from(developer.get(page).text)
    posted = developer.post(
        f"{page}/artifacts",
        data={"kind": "other", "csrf_token": csrf},
        files={"file": ("big.pdf", b"x" * (LIMIT + 1024), "application/pdf")},
    )
    assert posted.status_code == 422, posted.text
    assert "larger than the limit" in posted.text
    assert 'id="artifact-file-error"' in posted.text  # next to the file field
    _nothing_stored(container)


def test_a_back_field_is_used_only_when_it_stays_on_the_site(setup: Setup, developer: httpx.Client) -> None:
    page = f"/engagements/{setup.engagement.id}"
    csrf = csrf_from(developer.get(page).text)
    # A same-site page that does not show this form: the message is flashed there.
    posted = developer.post(
        f"{page}/artifacts",
        data={"kind": "no-such-kind", "csrf_token": csrf, "back": "/engagements"},
        files={"file": ("w.bin", b"weights", "application/octet-stream")},
    )
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"] == "/engagements"
    assert "kind must be one of" in developer.get("/engagements").text
    # Anywhere else: ignored, the form's own page is shown again, never the other site.
    for back in ["//evil.example/phish", "https://evil.example/", "/\\evil.example"]:
        posted = developer.post(
            f"{page}/artifacts",
            data={"kind": "no-such-kind", "csrf_token": csrf, "back": back},
            files={"file": ("w.bin", b"weights", "application/octet-stream")},
        )
        assert posted.status_code == 422, (back, posted.text)
        assert "location" not in posted.headers
        assert "kind must be one of" in posted.text
        assert "evil.example" not in posted.text


def test_a_refused_change_commits_nothing(container: Container, setup: Setup, developer: httpx.Client) -> None:
    """A window longer than 30 days (G3) is refused with the reason, and the engagement is unchanged."""
    page = f"/engagements/{setup.engagement.id}"
    csrf = csrf_from(developer.get(page).text)
    posted = developer.post(f"{page}/window", data={"window_end": "2099-01-01T00:00", "csrf_token": csrf})
    assert posted.status_code == 422
    assert "at most 30 days" in posted.text
    with container.sessions() as session:
        row = session.get(Engagement, setup.engagement.id)
        assert row is not None
        assert row.window_end == setup.engagement.window.end
