"""API tests talk to a real server over loopback HTTP with httpx."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from frontier_review.bootstrap import Container
from tests.live import serve


@pytest.fixture
def base_url(container: Container) -> Iterator[str]:
    with serve(container) as url:
        yield url


@pytest.fixture
def http(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, follow_redirects=False) as client:
        yield client
