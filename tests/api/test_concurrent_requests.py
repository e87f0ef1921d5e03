"""Concurrent requests with one API token all complete (found by the schema fuzzer, issue 13 item 5).

A token's lookup writes its last use (once a minute). It ran on the event loop: a request waiting
there for the lock another request held until its commit, which itself needed the event loop,
stalled the whole process — until SQLite's busy timeout (then 500s), and for ever on PostgreSQL,
where both wait on the token's row. The client's timeout turns such a stall into a failure here
rather than a hung run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx

from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind
from frontier_review.kernel.clock import FrozenClock
from tests.api.helpers import bearer
from tests.factories.identity import api_token, make_org, make_user

CONCURRENCY = 8
ROUNDS = 3


def test_one_token_used_by_many_requests_at_once(container: Container, clock: FrozenClock, base_url: str) -> None:
    person = make_user(container, make_org(container, OrgKind.DEVELOPER))
    token = api_token(container, person)

    def me(_: int) -> int:
        with httpx.Client(base_url=base_url, timeout=20) as client:
            return client.get("/api/v1/users/me", headers=bearer(token)).status_code

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for _ in range(ROUNDS):
            clock.advance(timedelta(minutes=2))  # each round's first lookups write the token's last use again
            statuses = list(pool.map(me, range(CONCURRENCY * 2)))
            assert statuses == [200] * (CONCURRENCY * 2)
