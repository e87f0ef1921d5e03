"""A new gateway token is shown once from a sealed server-side record, never from the session
cookie (issue 10, item 18b), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator

import httpx
import pytest
import sqlalchemy as sa
from openai import OpenAI

from frontier_review.asgi import SESSION_COOKIE
from frontier_review.bootstrap import Container
from frontier_review.engagements.access import reveals
from frontier_review.engagements.access.orm import TokenReveal
from frontier_review.kernel.clock import FrozenClock
from frontier_review.mockllm import serve_fake
from frontier_review.security.orm import DataKey
from tests.api.helpers import csrf_from, web_login
from tests.factories.engagements import Setup, make_engagement

TOKEN = re.compile(r'<code id="new-token">([^<]+)</code>')


@pytest.fixture
def upstream() -> Iterator[str]:
    with serve_fake() as url:
        yield url


@pytest.fixture
def setup(container: Container, upstream: str) -> Setup:
    return make_engagement(container, upstream_url=upstream)


@pytest.fixture
def reviewer(base_url: str, setup: Setup) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        assert web_login(client, setup.reviewer.email, setup.reviewer.password).status_code == 303
        yield client


def session_payload(response: httpx.Response) -> str:
    """The Starlette session cookie the response set, decoded: base64 JSON, then a timestamp and a
    signature (itsdangerous). Signed, not encrypted: whatever it holds, the browser can read."""
    cookie = response.cookies.get(SESSION_COOKIE)
    assert cookie, "the response sets the session cookie"
    data = cookie.split(".", 1)[0]
    decoded = base64.b64decode(data + "=" * (-len(data) % 4)).decode()
    json.loads(decoded)  # it is the session's JSON
    return decoded


def _rows(container: Container) -> list[TokenReveal]:
    with container.sessions() as session:
        return list(session.scalars(sa.select(TokenReveal)))


def _keys(container: Container) -> int:
    with container.sessions() as session:
        query = sa.select(sa.func.count()).select_from(DataKey).where(DataKey.owner_table == "token_reveals")
        return int(session.scalar(query) or 0)


def test_the_token_is_shown_once_and_never_sits_in_the_cookie(
    container: Container, setup: Setup, reviewer: httpx.Client, base_url: str
) -> None:
    page = f"/engagements/{setup.engagement.id}"
    csrf = csrf_from(reviewer.get(page).text)
    minted = reviewer.post(f"{page}/tokens", data={"name": "laptop", "csrf_token": csrf})
    assert minted.status_code == 303, minted.text
    payload = session_payload(minted)
    assert "frg_" not in payload
    (stashed,) = _rows(container)
    assert str(stashed.id) in payload  # only the record's id rides in the cookie
    assert b"frg_" not in stashed.sealed  # sealed at rest
    assert _keys(container) == 1

    shown = reviewer.get(page)
    found = TOKEN.search(shown.text)
    assert found, "the next page shows the new token"
    token = found.group(1)
    assert token.startswith("frg_")
    assert token not in session_payload(shown)
    assert _rows(container) == []  # consumed on first display, with its data key
    assert _keys(container) == 0
    # It is the real token: the gateway serves it.
    client = OpenAI(base_url=f"{base_url}/gateway/v1", api_key=token, max_retries=0)
    assert [m.id for m in client.models.list().data]

    again = reviewer.get(page)
    assert TOKEN.search(again.text) is None
    assert token not in again.text


def test_a_record_is_bound_to_its_person_and_expires(
    container: Container, setup: Setup, reviewer: httpx.Client, clock: FrozenClock
) -> None:
    page = f"/engagements/{setup.engagement.id}"
    csrf = csrf_from(reviewer.get(page).text)
    assert reviewer.post(f"{page}/tokens", data={"name": "one", "csrf_token": csrf}).status_code == 303
    (stashed,) = _rows(container)
    with container.uow() as uow:  # another person holding the id gets nothing
        assert reveals.take(uow, setup.agency_admin.principal, setup.engagement.id, str(stashed.id)) is None
    assert len(_rows(container)) == 1
    clock.advance(reveals.REVEAL_TTL)
    shown = reviewer.get(page)
    assert TOKEN.search(shown.text) is None  # expired: not shown, and gone
    assert _rows(container) == []
    assert reviewer.post(f"{page}/tokens", data={"name": "two", "csrf_token": csrf}).status_code == 303
    clock.advance(reveals.REVEAL_TTL)
    with container.uow() as uow:
        assert reveals.purge_expired(uow) == 1
    assert _rows(container) == []
    assert _keys(container) == 0
