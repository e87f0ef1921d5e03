"""Small helpers for HTTP tests."""

from __future__ import annotations

import re

import httpx

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def web_login(client: httpx.Client, email: str, password: str) -> httpx.Response:
    """Sign in through the real login form (CSRF token included)."""
    page = client.get("/login")
    return client.post("/login", data={"email": email, "password": password, "next": "/", "csrf_token": csrf_from(page.text)})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int, *, field: str | None = None) -> dict[str, object]:
    """The response is an RFC 9457 problem with ``status`` (and names ``field`` when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.headers
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["detail"], str) and body["detail"]
    if field is not None:
        errors = body.get("errors")
        fields = [e["field"] for e in errors] if isinstance(errors, list) else []
        assert field in fields or body.get("field") == field, body
    return body
