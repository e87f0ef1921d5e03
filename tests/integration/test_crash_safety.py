"""Crash safety: ``frontier-review serve`` killed with SIGKILL in a storm of writes loses nothing it acknowledged.

A real server process takes API writes (new organizations) and gateway calls (through the
mock upstream) from several clients at once; it is SIGKILLed mid-storm and started again. Every
write answered 2xx is in the database, every gateway call that got its whole response is in
the access log and chained into the audit log (once chained as the product does), and
``audit verify`` passes. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.composition import build_container
from frontier_review.config import Settings
from frontier_review.engagements.access.orm import AccessLog
from frontier_review.engagements.access.recorder import chain_pending, in_flight_grace
from frontier_review.engagements.lifecycle.domain import Quotas
from frontier_review.identity.orm import Organization
from frontier_review.kernel.clock import FrozenClock, SystemClock
from frontier_review.mockllm import serve_fake
from tests.cli import cli_env, run_cli
from tests.factories.engagements import gateway_token, make_engagement
from tests.factories.identity import api_token, make_superuser
from tests.live import free_port

pytestmark = pytest.mark.slow

WRITERS = 3  # threads creating organizations over the REST API
CALLERS = 3  # threads calling the gateway, every other call streaming
KILL_AFTER = 30  # acknowledged writes of each kind before the kill


@pytest.fixture
def live(settings: Settings) -> Iterator[Container]:
    """A container on the real clock: the server process and the factories must agree on "now"."""
    container = build_container(settings, clock=SystemClock())
    try:
        yield container
    finally:
        container.close()


class Server:
    """``frontier-review serve`` in a process group of its own, on a loopback port."""

    def __init__(self, container: Container, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = cli_env(container, FR_GATEWAY_ALLOW_PRIVATE_UPSTREAMS="true")
        self._log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self._log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "frontier_review.cli", "serve", "--no-migrate", "--port", str(self.port)],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self._log.read_text(errors="replace")[-2000:]
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError("the server did not become ready")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def _storm(work: Callable[[httpx.Client], str | None], base_url: str, stop: threading.Event, acked: list[str]) -> None:
    """Call ``work`` until stopped; keep what it reports acknowledged. Errors after the kill are expected."""
    with httpx.Client(base_url=base_url, timeout=10) as client:
        while not stop.is_set():
            try:
                done = work(client)
            except httpx.HTTPError:
                continue  # no answer (the server died): not acknowledged, nothing to check
            if done is not None:
                acked.append(done)


def test_sigkill_mid_storm_loses_no_acknowledged_write(live: Container, tmp_path: Path) -> None:
    container = live
    operator = make_superuser(container)
    admin_token = api_token(container, operator)
    with serve_fake(text="The vulnerable line is 7.", latency=0.02, stream_delay=0.01) as upstream:
        setup = make_engagement(
            container, upstream_url=upstream, quotas=Quotas(requests_per_day=1_000_000, requests_per_minute=1_000_000)
        )
        model, call_token = setup.engagement.model_id, gateway_token(container, setup.reviewer, setup)
        server = Server(container, tmp_path / "serve.log")
        server.start()
        stop = threading.Event()
        orgs: list[str] = []
        calls: list[str] = []
        counter = iter(range(10**9))

        def create_org(client: httpx.Client) -> str | None:
            name = f"Agency {uuid.uuid4().hex[:10]}"
            r = client.post(
                "/api/v1/organizations",
                json={"name": name, "kind": "agency"},
                headers={"Authorization": f"Bearer {admin_token}"},
            )
            return str(r.json()["id"]) if r.status_code == 201 else None

        def call_model(client: httpx.Client) -> str | None:
            body = {"model": model, "messages": [{"role": "user", "content": "Which line?"}], "stream": next(counter) % 2 == 0}
            headers = {"Authorization": f"Bearer {call_token}"}
            with client.stream("POST", "/gateway/v1/chat/completions", json=body, headers=headers) as r:
                r.read()  # the whole response, or an error if the server dies on the way
                # A 5xx means the call was not served (say, its row could not be written): nothing to find.
                request_id: str | None = r.headers.get("x-request-id") if r.status_code < 500 else None
                return request_id

        threads = [
            threading.Thread(target=_storm, args=(work, server.url, stop, acked))
            for work, acked, n in ((create_org, orgs, WRITERS), (call_model, calls, CALLERS))
            for _ in range(n)
        ]
        try:
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 60
            while (len(orgs) < KILL_AFTER or len(calls) < KILL_AFTER) and time.monotonic() < deadline:
                time.sleep(0.02)
            server.kill()  # mid-storm: every thread has a request on its way
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
            assert len(orgs) >= KILL_AFTER and len(calls) >= KILL_AFTER
            server.start()  # recovers from whatever the kill left (SQLite's WAL, PostgreSQL's aborted transactions)
            assert httpx.get(f"{server.url}/readyz", timeout=5).status_code == 200
        finally:
            stop.set()
            server.stop()

    with container.sessions() as session:
        stored_orgs = {str(i) for i in session.scalars(sa.select(Organization.id))}
    assert set(orgs) <= stored_orgs, "an organization answered 201 was lost"

    # Chain as the product does: the housekeeping chainer, here run once the in-flight grace has
    # passed, so that calls whose outcome the kill cut off are chained (as unfinished) too.
    later = build_container(container.settings, clock=FrozenClock(container.clock.now() + in_flight_grace(container.settings)))
    try:
        while chain_pending(later.uow, grace=in_flight_grace(later.settings)) > 0:
            pass
    finally:
        later.close()
    refs = {uuid.UUID(call.removeprefix("req_")) for call in calls}
    with container.sessions() as session:
        rows = session.execute(sa.select(AccessLog.ref, AccessLog.audit_entry_id).where(AccessLog.ref.in_(refs)))
        logged = {row.ref: row.audit_entry_id for row in rows}
    assert set(logged) == refs, "a gateway call that got its response is missing from the access log"
    assert all(entry is not None for entry in logged.values()), "a gateway call was not chained into the audit log"
    verified = run_cli(container, "audit", "verify", "--calls", "0")
    assert verified.returncode == 0, verified.stderr
    assert "audit log intact" in verified.stdout
