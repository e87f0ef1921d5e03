"""Server-side sessions and the sign-in lockout, over real HTTP on both databases."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.composition import build_container
from frontier_review.config import Settings
from frontier_review.identity.domain import OrgKind
from frontier_review.kernel.clock import FrozenClock
from tests.api.helpers import csrf_from, web_login
from tests.factories.identity import make_org, make_user
from tests.live import serve


def _count(container: Container, action: str) -> int:
    with container.sessions() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(AuditEntry.action == action)) or 0)


def test_logout_ends_a_copied_cookie_on_every_server_process(settings: Settings, clock: FrozenClock) -> None:
    """Two app instances (as two processes would) share only the database: signing out on one
    ends the session on the other, so a copied cookie is worthless after logout."""
    first, second = build_container(settings, clock=clock), build_container(settings, clock=clock)
    try:
        person = make_user(first, make_org(first, OrgKind.AGENCY))
        with serve(first) as url_a, serve(second) as url_b, httpx.Client(base_url=url_a) as browser:
            assert web_login(browser, person.email, person.password).status_code == 303
            cookie = {"fr_session": browser.cookies["fr_session"]}
            with httpx.Client(base_url=url_b, cookies=cookie) as thief:
                assert thief.get("/account").status_code == 200  # the session is valid on the other process
                page = browser.get("/account")
                assert browser.post("/logout", data={"csrf_token": csrf_from(page.text)}).status_code == 303
                assert thief.get("/account").status_code == 303  # back to the login page
                assert thief.get("/api/v1/users/me").status_code == 401
            with httpx.Client(base_url=url_a, cookies=cookie) as replay:
                assert replay.get("/account").status_code == 303
        assert _count(first, "identity:logout") == 1
    finally:
        first.close()
        second.close()


def test_parallel_wrong_guesses_end_in_lockout_at_the_limit(settings: Settings, clock: FrozenClock) -> None:
    guesses = 12
    # Room for every guess from one address: this is about the per-account counter.
    roomy = build_container(settings.model_copy(update={"login_ip_max_attempts": 100}), clock=clock)
    try:
        person = make_user(roomy, make_org(roomy, OrgKind.AGENCY))
        limit = roomy.settings.login_max_failures
        with serve(roomy) as url:
            clients = [httpx.Client(base_url=url, timeout=60) for _ in range(guesses)]
            tokens = [csrf_from(c.get("/login").text) for c in clients]
            start = threading.Barrier(guesses)

            def guess(i: int) -> int:
                start.wait()
                data = {"email": person.email, "password": f"wrong guess {i}", "next": "/", "csrf_token": tokens[i]}
                return clients[i].post("/login", data=data).status_code

            with ThreadPoolExecutor(guesses) as pool:
                statuses = list(pool.map(guess, range(guesses)))
            for client in clients:
                client.close()
            assert statuses == [401] * guesses
            with httpx.Client(base_url=url) as owner:
                assert web_login(owner, person.email, person.password).status_code == 401  # locked
        assert _count(roomy, "identity:login:failed") == guesses + 1
        # Every counted failure counts once: the lock came at the limit, and at most once per `limit`
        # failures (guesses that arrive after the lock are refused as locked without being counted).
        assert 1 <= _count(roomy, "identity:login:locked") <= guesses // limit
        with roomy.sessions() as session:
            failed_reasons = session.scalars(
                sa.select(AuditEntry.reason).where(AuditEntry.action == "identity:login:failed")
            ).all()
        wrong = failed_reasons.count("wrong password")
        assert wrong >= limit
        assert _count(roomy, "identity:login:locked") == wrong // limit
    finally:
        roomy.close()
