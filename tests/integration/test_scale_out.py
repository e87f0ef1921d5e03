"""Scale-out: two ``serve`` and two ``worker`` processes on one PostgreSQL database and one Redis queue.

The reference deployment in miniature (docs/deployment.md, "Several processes"): four real
subprocesses, each with its own data directory as if on its own machine, sharing only the
database, Redis, the environment and the master key file. Real HTTP clients drive the two web
processes alternately, and every step checks that what one process did, the other knows at once:

- a web session signed in on A is valid on B, and signed out on B it is over on A;
- the sign-in limit per client address is one count across both (and its refusal audited once);
- an API token and a gateway token revoked through A are refused by B on the very next call;
- one participant's daily request quota is spent by calls split across A and B;
- the master key rotated while they serve: what A seals under the new key, B opens;
- jobs enqueued through either server (test webhooks, benchmark runs) and checkpoint jobs run
  exactly once across the two workers (one attempt, one delivery, one checkpoint each);
- afterwards every access-log row is chained and ``audit verify`` passes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
import redis
import sqlalchemy as sa

from frontier_review.asgi import SESSION_COOKIE
from frontier_review.audit import service as audit_service
from frontier_review.audit.orm import AuditCheckpoint, AuditEntry
from frontier_review.audit.tasks import CHECKPOINT_TASK
from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.subscriptions import service as subscriptions
from frontier_review.clearinghouse.subscriptions.orm import DeliveryAttempt, SubscriptionDelivery
from frontier_review.composition import build_container
from frontier_review.config import Settings
from frontier_review.db import migrate
from frontier_review.engagements.access import service as access
from frontier_review.engagements.access.orm import AccessLog
from frontier_review.engagements.lifecycle.domain import Quotas
from frontier_review.evals import service as evals
from frontier_review.evals import targets
from frontier_review.evals.orm import BenchmarkRun
from frontier_review.evals.package import load_package
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.clock import SystemClock
from frontier_review.kernel.principal import Principal
from frontier_review.mockllm import serve_fake
from frontier_review.security import service as security
from frontier_review.security.envelope import generate_key
from frontier_review.security.keyring import keyring_document, write_private_file
from tests.api.helpers import bearer, csrf_from, web_login
from tests.conftest import new_postgres_database
from tests.factories.engagements import Setup, gateway_token, make_engagement
from tests.factories.identity import Person, make_org, make_superuser, make_user
from tests.live import free_port
from tests.unit.test_benchmark_package import GOOD, MANIFEST

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

SECRET = "scale-out-session-secret-" + "s" * 40
QUOTA = 6  # gateway requests per participant per day
LOGIN_LIMIT = 4  # sign-in attempts per client address per window
WEBHOOKS = 6
DEADLINE = 60.0  # seconds any one wait may take before the test fails


def _wait(what: str, done: Callable[[], bool], seconds: float = DEADLINE) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Process:
    """``frontier-review ARGS`` in a process group of its own, logging to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "frontier_review.cli", *args],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> None:
        assert self.popen.poll() is None, f"{self.log.name} exited:\n" + self.log.read_text(errors="replace")[-3000:]

    def terminate(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)

    def wait(self) -> None:
        try:
            self.popen.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)


@dataclass
class Cluster:
    """The four processes, their environment, and the test process's own container on the same settings."""

    container: Container
    operator: Person
    env: dict[str, str]
    servers: list[str]  # base URLs of serve A and serve B
    processes: list[Process]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "frontier_review.cli", *args]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, check=False)

    def stop(self) -> None:
        """SIGTERM to all four at once (a graceful stop: each server chains what it holds)."""
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.wait()


def _environment(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FR_")}
    env.update(
        FR_DATABASE_URL=settings.resolved_database_url,
        FR_REDIS_URL=str(settings.redis_url),
        FR_QUEUE_NAME=settings.queue_name,
        FR_MASTER_KEY_FILE=str(settings.master_key_file),  # one key file, as if copied to every machine
        FR_SESSION_SECRET=SECRET,
        FR_DATA_DIR=str(settings.data_dir),
        FR_GATEWAY_ALLOW_PRIVATE_UPSTREAMS="true",  # the fake model listens on loopback
        FR_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",  # and so does the webhook receiver
        FR_LOGIN_IP_MAX_ATTEMPTS=str(LOGIN_LIMIT),
        FR_CHECKPOINT_INTERVAL_MINUTES="1440",  # the periodic checkpoint is not due during the test
        FR_LOG_LEVEL="warning",
    )
    return env


@pytest.fixture
def cluster(tmp_path: Path, redis_url: str) -> Iterator[Cluster]:
    """A migrated database of its own, a queue name of its own, and the four processes starting."""
    queue = f"fr_scale_{uuid.uuid4().hex[:10]}"  # every Redis key of this instance contains it
    with new_postgres_database("fr_scale") as db_url:
        migrate.upgrade(db_url)
        keys = tmp_path / "master.keys"  # what `keys generate --out` writes
        write_private_file(keys, json.dumps(keyring_document([generate_key()], origin="operator")))
        settings = Settings(
            data_dir=tmp_path / "test-process",
            database_url=db_url,
            redis_url=redis_url,
            queue_name=queue,
            master_key_file=keys,
            session_secret=SECRET,
            gateway_allow_private_upstreams=True,
            webhook_allow_private_targets=True,
            checkpoint_interval_minutes=1440,
        )
        container = build_container(settings, clock=SystemClock())  # the processes' clock, so "now" agrees
        operator = make_superuser(container)
        # A first checkpoint before any worker starts, so the periodic job never signs during the test.
        with container.uow() as uow:
            assert audit_service.create_checkpoint(uow, Principal.system("tests")) is not None
        env = _environment(settings)
        ports = [free_port(), free_port()]
        commands = [(f"serve-{p}", ["serve", "--no-migrate", "--no-embedded-worker", "--port", str(p)]) for p in ports]
        commands += [(f"worker-{n}", ["worker"]) for n in (1, 2)]
        # All four start at once (their start-up is CPU: imports), each with a data directory of its own.
        processes = [
            Process(args, {**env, "FR_DATA_DIR": str(tmp_path / name)}, tmp_path / f"{name}.log") for name, args in commands
        ]
        try:
            yield Cluster(container, operator, env, [f"http://127.0.0.1:{p}" for p in ports], processes)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait()
            container.close()
            client = redis.Redis.from_url(redis_url)
            for key in client.scan_iter(match=f"*{queue}*"):
                client.delete(key)
            client.close()


def _ready(cluster: Cluster) -> None:
    def ready() -> bool:
        for process in cluster.processes:
            process.alive()
        try:
            return all(httpx.get(f"{url}/readyz", timeout=2).status_code == 200 for url in cluster.servers)
        except httpx.TransportError:
            return False

    _wait("both web processes to be ready", ready, 2 * DEADLINE)  # four processes importing at once on a busy machine


class Inbox:
    """A webhook receiver on loopback counting the deliveries it is sent, by delivery id."""

    def __init__(self) -> None:
        self.got: Counter[str] = Counter()
        got, lock = self.got, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                with lock:
                    got[self.headers["Frontier-Review-Delivery"]] += 1
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(frozen=True)
class World:
    """What the test drives: people, their tokens, the engagement, a subscription, a suite and a target."""

    setup: Setup
    member: Person  # signs in on the web
    stranger: Person  # whose wrong passwords fill the sign-in limit
    operator_token: str
    doomed: tuple[uuid.UUID, str]  # the operator's second API token, revoked through A
    developer_token: str
    reviewer_token: str  # the agency reviewer's API token (revokes their gateway token)
    reviewer_gateway: tuple[uuid.UUID, str]
    partner_gateway: str  # the partner reviewer's gateway token (spends the partner's quota)
    partner_admin_token: str
    analyst_token: str  # a program-office admin's (benchmark runs)
    subscription_id: uuid.UUID

    @property
    def model(self) -> str:
        return self.setup.engagement.model_id


def _api_token(container: Container, person: Person, name: str = "scale-out") -> tuple[uuid.UUID, str]:
    with container.uow() as uow:
        view, plaintext = identity.issue_token(uow, person.principal, user_id=person.user.id, name=name)
    return view.id, plaintext


def _seed(cluster: Cluster, upstream: str, inbox: Inbox, suite: Path) -> World:
    c = cluster.container
    setup = make_engagement(c, upstream_url=upstream, quotas=Quotas(requests_per_day=QUOTA, requests_per_minute=1000))
    with c.uow() as uow:
        issued = access.issue_token(uow, setup.reviewer.principal, setup.engagement.id, name="laptop")
    po = make_org(c, OrgKind.PROGRAM_OFFICE)
    analyst = make_user(c, po, role=Role.ADMIN)
    with c.uow() as uow:
        evals.seal_package(uow, analyst.principal, load_package(suite))
        targets.create_target(
            uow,
            analyst.principal,
            name="scale-target",
            model="openai-api/local/fake",
            base_url=upstream,
            api_key="sk-test-1",
            reference_model="fake",
        )
    with c.uow() as uow:
        created = subscriptions.create_subscription(
            uow,
            setup.partner_admin.principal,
            name="Grid",
            sectors=["energy"],
            channels=["in_app", "webhook"],
            webhook_url=inbox.url,
        )
    return World(
        setup=setup,
        member=make_user(c, setup.agency),
        stranger=make_user(c, setup.agency),
        operator_token=_api_token(c, cluster.operator)[1],
        doomed=_api_token(c, cluster.operator, "doomed"),
        developer_token=_api_token(c, setup.developer)[1],
        reviewer_token=_api_token(c, setup.reviewer)[1],
        reviewer_gateway=(issued.token.id, issued.plaintext),
        partner_gateway=gateway_token(c, setup.partner_reviewer, setup),
        partner_admin_token=_api_token(c, setup.partner_admin)[1],
        analyst_token=_api_token(c, analyst)[1],
        subscription_id=created.subscription.id,
    )


def _suite(folder: Path) -> Path:
    """A two-sample unclassified suite: a benchmark run is then a few seconds of a warm runner."""
    folder.mkdir()
    manifest = MANIFEST.replace('name = "tiny-suite"', 'name = "scale-suite"')
    (folder / "manifest.toml").write_text(manifest.replace('classification = "classified"', 'classification = "unclassified"'))
    (folder / "samples.jsonl").write_text("".join(json.dumps(sample) + "\n" for sample in GOOD))
    return folder


def _call(client: httpx.Client, token: str, model: str) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": "Which line?"}]}
    return client.post("/gateway/v1/chat/completions", json=body, headers=bearer(token))


def _checkpoint_job(cluster: Cluster) -> int:
    """Enqueue a checkpoint job (as any process may) and wait for whichever worker takes it."""
    seq = cluster.container.jobs.enqueue(CHECKPOINT_TASK).get(blocking=True, timeout=DEADLINE)
    assert isinstance(seq, int), "the checkpoint job signed nothing, though the log grew"
    return seq


def _sessions(world: World, a: httpx.Client, b: httpx.Client) -> None:
    """Signed in on A, the session works on B; signed out on B, it is over on A."""
    assert web_login(a, world.member.email, world.member.password).status_code == 303
    b.cookies.set(SESSION_COOKIE, a.cookies[SESSION_COOKIE], domain="127.0.0.1")
    page = b.get("/account")
    assert page.status_code == 200 and world.member.email in page.text
    assert b.post("/logout", data={"csrf_token": csrf_from(page.text)}).status_code == 303
    after = a.get("/account")
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


def _sign_in_limit(world: World, a: httpx.Client, b: httpx.Client) -> None:
    """One count per client address across both processes: the member's sign-in was the first attempt."""
    statuses = []
    for client in (b, a, b, a, b):
        form = client.get("/login")
        data = {"email": world.stranger.email, "password": "not the password", "csrf_token": csrf_from(form.text)}
        statuses.append(client.post("/login", data=data).status_code)
    assert statuses == [401] * (LOGIN_LIMIT - 1) + [429, 429]


def _tokens_and_keys(cluster: Cluster, world: World, a: httpx.Client, b: httpx.Client, second_upstream: str) -> None:
    """Revocations through A bind B at once; a key rotated while both serve is followed by both."""
    doomed_id, doomed = world.doomed
    assert b.get("/api/v1/users/me", headers=bearer(doomed)).status_code == 200
    assert a.delete(f"/api/v1/tokens/{doomed_id}", headers=bearer(world.operator_token)).status_code == 200
    assert b.get("/api/v1/users/me", headers=bearer(doomed)).status_code == 401

    gateway_id, gateway = world.reviewer_gateway
    first = _call(b, gateway, world.model)
    assert first.status_code == 200 and "first upstream" in first.text, first.text  # B now holds the opened upstream
    rotated = cluster.cli("keys", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    settings = cluster.container.settings
    assert settings.master_key_file is not None
    active = json.loads(settings.master_key_file.read_text())["active"]
    # A seals the new upstream under the new key; B opens it (and forgets what it held) on the next call.
    body = {"base_url": second_upstream, "api_key": "sk-second-upstream", "upstream_model": "fake"}
    changed = a.put(f"/api/v1/engagements/{world.setup.engagement.id}/upstream", json=body, headers=bearer(world.developer_token))
    assert changed.status_code == 200, changed.text
    second = _call(b, gateway, world.model)
    assert second.status_code == 200 and "second upstream" in second.text
    with cluster.container.sessions() as session:
        assert set(security.count_keys_by_master(session)) == {active}

    revoked = a.post(f"/api/v1/gateway-tokens/{gateway_id}/revoke", headers=bearer(world.reviewer_token))
    assert revoked.status_code == 200, revoked.text
    assert _call(b, gateway, world.model).status_code == 401


def _quota(world: World, a: httpx.Client, b: httpx.Client) -> None:
    """The partner's daily quota is one count: calls alternate between A and B."""
    statuses = [_call(client, world.partner_gateway, world.model).status_code for client in (a, b) * 4]
    assert statuses == [200] * QUOTA + [429] * (8 - QUOTA)


def test_two_web_and_two_worker_processes_share_all_state(cluster: Cluster, tmp_path: Path) -> None:
    inbox = Inbox()
    try:
        with serve_fake(text="first upstream") as upstream, serve_fake(text="second upstream") as second_upstream:
            world = _seed(cluster, upstream, inbox, _suite(tmp_path / "suite"))
            _ready(cluster)
            seqs = []
            with (
                httpx.Client(base_url=cluster.servers[0], timeout=30) as a,
                httpx.Client(base_url=cluster.servers[1], timeout=30) as b,
            ):
                _sessions(world, a, b)
                seqs.append(_checkpoint_job(cluster))
                _sign_in_limit(world, a, b)
                _tokens_and_keys(cluster, world, a, b, second_upstream)
                seqs.append(_checkpoint_job(cluster))
                _quota(world, a, b)
                # Jobs enqueued through either server, each taken by one of the two workers.
                hooks = [
                    client.post(
                        f"/api/v1/clearinghouse/subscriptions/{world.subscription_id}/test",
                        headers=bearer(world.partner_admin_token),
                    )
                    for client in (a, b) * (WEBHOOKS // 2)
                ]
                assert [r.status_code for r in hooks] == [202] * WEBHOOKS
                run = {"benchmark": "scale-suite@1", "target": "scale-target", "max_retries": 0, "timeout_seconds": 20}
                queued = [client.post("/api/v1/runs", json=run, headers=bearer(world.analyst_token)) for client in (a, b)]
                assert [r.status_code for r in queued] == [201, 201], [r.text for r in queued]
                seqs.append(_checkpoint_job(cluster))
                deliveries = {uuid.UUID(r.json()["id"]) for r in hooks}
                runs = {uuid.UUID(r.json()["id"]) for r in queued}
                _wait("the webhooks and the runs to finish", lambda: _finished(cluster.container, deliveries, runs))
            cluster.stop()
    finally:
        inbox.close()

    with cluster.container.sessions() as session:
        sent = session.scalars(sa.select(SubscriptionDelivery).where(SubscriptionDelivery.id.in_(deliveries))).all()
        assert {(d.state, d.attempts) for d in sent} == {("delivered", 1)}
        attempts = Counter(session.scalars(sa.select(DeliveryAttempt.delivery_id)))
        assert attempts == Counter(dict.fromkeys(deliveries, 1))
        assert inbox.got == Counter({str(d): 1 for d in deliveries})
        done = session.scalars(sa.select(BenchmarkRun).where(BenchmarkRun.id.in_(runs))).all()
        assert {(r.status, r.attempts) for r in done} == {("succeeded", 1)}, [r.failure_reason for r in done]
        checkpoints = session.scalars(sa.select(AuditCheckpoint.seq).order_by(AuditCheckpoint.seq)).all()
        assert len(checkpoints) == 1 + len(seqs) and set(seqs) < set(checkpoints)
        # Two calls of the reviewer and eight of the partner; the revoked token's call names nobody (tallied).
        rows = session.execute(sa.select(AccessLog.status, AccessLog.audit_entry_id)).all()
        assert sorted(r.status for r in rows) == [200] * (2 + QUOTA) + [429] * (8 - QUOTA)
        assert all(r.audit_entry_id is not None for r in rows), "an access-log row was left unchained"
        actions = Counter(session.scalars(sa.select(AuditEntry.action)))
        assert actions["identity:login:throttled"] == 1  # refused on both processes, audited once per window
        tallies = session.scalars(sa.select(AuditEntry.details).where(AuditEntry.action == "gateway:refusals")).all()
        assert any(r["outcome"] == "token_revoked" for t in tallies for r in t["refusals"])
    verified = cluster.cli("audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert "audit log intact" in verified.stdout


def _finished(container: Container, deliveries: set[uuid.UUID], runs: set[uuid.UUID]) -> bool:
    with container.sessions() as session:
        open_deliveries = session.scalar(
            sa.select(sa.func.count())
            .select_from(SubscriptionDelivery)
            .where(SubscriptionDelivery.id.in_(deliveries), SubscriptionDelivery.finished_at.is_(None))
        )
        open_runs = session.scalar(
            sa.select(sa.func.count())
            .select_from(BenchmarkRun)
            .where(BenchmarkRun.id.in_(runs), BenchmarkRun.finished_at.is_(None))
        )
    return open_deliveries == 0 and open_runs == 0
