"""Going through a confirmation page (web/confirm.py) over HTTP, as a browser would."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.api.helpers import csrf_from

CONFIRM_RE = re.compile(r'name="confirm" value="([0-9a-f]+)"')


def confirm_from(html: str) -> str:
    """The digest a confirmation page asks to send back."""
    match = CONFIRM_RE.search(html)
    assert match, "not a confirmation page"
    return match.group(1)


def confirmed_post(client: httpx.Client, path: str, data: dict[str, Any] | None = None) -> httpx.Response:
    """POST ``data`` to ``path`` (the first step: the confirmation page), then Confirm on that page."""
    page = client.post(path, data={**(data or {}), "csrf_token": csrf_from(client.get("/").text)})
    assert page.status_code == 200, page.text
    assert 'id="confirm-form"' in page.text, page.text
    return client.post(path, data={**(data or {}), "confirm": confirm_from(page.text), "csrf_token": csrf_from(page.text)})
