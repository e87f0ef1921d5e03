"""The gateway's added latency and throughput, against calling the upstream directly and LiteLLM.

A local OpenAI-compatible upstream (the package's fake model, ``frontier_review.mockllm``, with
its benchmark preset, in its own uvicorn process: raw ASGI on uvloop and httptools) answers every
chat completion after a fixed latency (20 ms by default), streaming or not, with usage. Three
targets are measured with the same load generator (asyncio on uvloop, one keep-alive connection per
caller, responses parsed by httptools: ``benchmarks/loadgen.py``; ``--client aiohttp`` uses
aiohttp's client instead, as runs before session 13 did), at concurrency 1, 64 and 256, streaming
and not:

  direct:   the upstream itself (the baseline);
  gateway:  Frontier Review's ``/gateway/v1`` in its own uvicorn process, built like
            ``frontier-review serve`` (the whole web app, uvloop + httptools, its HTTP protocol, no access log),
            with a fresh data directory and database, and one engagement set up as people set
            one up: the operator with the CLI, everyone else through the server's REST API
            (``benchmarks/scenario.py``); authentication, window, quotas (set high, still
            counted), metering and the access log chained into the audit log, all on;
  LiteLLM:  ``litellm[proxy]==1.108.0`` in a venv of its own (created on first use), one model
            routed to the same upstream, one master key, no database.

For each cell: per-request latency p50/p99 (to the last byte), the latency a proxy adds over the
direct call at the same concurrency, requests per second, and the proxy's CPU time per request
(its whole process tree). Every proxied response is checked (HTTP 200, choices, a stream that
ends with ``[DONE]`` after its usage chunk); failures are counted, never timed.

    .venv/bin/python benchmarks/gateway.py [--quick] [--workers 2] [--database-url postgresql://postgres@127.0.0.1:5432/postgres]

``--workers N`` starts N server processes of each proxy, each on a port of its own, and the
callers take them in turn, as a load balancer in front of several ``serve`` processes would
(the deployment docs' shape); ``--shared-socket`` has the N processes share one port instead
(uvicorn's ``--workers``, LiteLLM's ``--num_workers``), where the kernel decides which process
takes each connection.

``--database-url`` names a PostgreSQL server: a fresh database is created on it and dropped at
the end. ``--py-spy FILE`` samples the gateway's threads with py-spy (installed into a venv of its
own on first use) and writes their stacks there, one line per distinct stack with its count;
``--profile FILE`` runs the gateway under cProfile instead (every thread of every process,
merged; it loses the frames below FastAPI's body-limit middleware, and slows the figures down
more).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import functools
import json
import math
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: benchmarks/ is on the path, the repository is not
    sys.path.insert(0, str(ROOT))

from benchmarks.loadgen import Answer, Caller  # noqa: E402

LITELLM = "litellm[proxy]==1.108.0"
CACHE = Path.home() / ".cache" / "frontier-review-bench"  # the benchmark's own venvs, outside the repository
LITELLM_VENV = CACHE / "litellm-venv"
LITELLM_KEY = "sk-bench-master-key-0001"
UPSTREAM_KEY = "sk-upstream-secret-123"
CONCURRENCY = (1, 64, 256)
GOAL_P50_MS = 2.0
GOAL_P99_MS = 10.0
GOAL_RATIO = 10.0
GOAL_HELD = 0.9  # throughput at concurrency 256 against 64 (issue 13 item 7)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


# --- the upstream --------------------------------------------------------------------------


def upstream_app() -> ASGIApp:
    """The package's fake model with the benchmark's preset: it answers every chat completion after
    ``BENCH_UPSTREAM_LATENCY`` seconds, and serializes equal answers only once, since it shares
    the machine with the proxies it is used to measure."""
    from frontier_review.mockllm import BENCHMARK, MockLLM

    latency = float(os.environ.get("BENCH_UPSTREAM_LATENCY", "0.02"))
    app: ASGIApp = MockLLM(dataclasses.replace(BENCHMARK, latency=latency))
    return app


def _forget_redis_keys(url: str, prefix: str) -> None:
    """The run's quota counters (its own key prefix only)."""
    import redis

    with redis.Redis.from_url(url) as client:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


# --- the gateway's server process ----------------------------------------------------------


def gateway_app() -> Any:
    """The whole web app, as ``frontier-review serve`` builds it, configured from ``FR_*``."""
    from frontier_review.asgi import create_asgi
    from frontier_review.composition import build_container

    profile_path = os.environ.get("BENCH_PROFILE")
    if profile_path:
        _profile_every_thread(Path(profile_path))
    return create_asgi(build_container())


def _profile_every_thread(path: Path) -> None:
    """cProfile in this thread and in every thread started later; merged stats at exit."""
    import atexit
    import cProfile
    import fcntl
    import pstats
    import threading

    profiles: list[cProfile.Profile] = []
    started = time.time()  # a file from an earlier run is replaced, not added to

    def start(*_: Any) -> None:
        profile = cProfile.Profile()
        profiles.append(profile)
        profile.enable()  # replaces this bootstrap hook for the calling thread

    class _Snapshot:
        def __init__(self, profile: cProfile.Profile) -> None:
            profile.snapshot_stats()
            self.stats = profile.stats

        def create_stats(self) -> None:
            pass

    def dump() -> None:
        if not profiles:
            return
        stats = pstats.Stats(_Snapshot(profiles[0]))  # type: ignore[arg-type]
        for profile in profiles[1:]:
            stats.add(_Snapshot(profile))  # type: ignore[arg-type]
        # With --workers N every process ends here: each adds its stats to the file under a lock,
        # so the file holds all of them rather than the last one's.
        with open(path, "ab") as lock:  # the file itself is the lock
            fcntl.flock(lock, fcntl.LOCK_EX)
            earlier = path.stat()
            if earlier.st_size and earlier.st_mtime >= started:
                stats.add(str(path))
            stats.dump_stats(str(path))

    threading.setprofile(start)
    atexit.register(dump)
    start()


# --- processes -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        # SIGINT, not SIGTERM: uvicorn shuts down gracefully on either, then raises the signal
        # again, and only SIGINT's KeyboardInterrupt lets atexit handlers (the profile) run.
        for sig, wait in ((signal.SIGINT, 20), (signal.SIGKILL, 10)):
            if self.process.poll() is not None:
                return
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue


def _start(name: str, argv: list[str], env: dict[str, str], log: Path, stack: ExitStack) -> Server:
    out = stack.enter_context(log.open("wb"))
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name, process, log)
    stack.callback(server.stop)
    return server


def _wait_ready(server: Server, url: str, timeout: float, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}:\n{server.tail()}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not answer {url} within {timeout:.0f} s:\n{server.tail()}")


def _share_accepts(env: dict[str, str]) -> None:
    """Several server processes on one listening socket (``--shared-socket``): each takes one new
    connection at a time.

    Without it libuv (under uvloop) accepts every pending connection in a loop, so the process
    that wakes first takes a burst of connections whole; with a fixed set of keep-alive callers
    one process then served most of the calls for the whole cell (0.83 of a core against 0.19,
    measured) and the other sat idle. ``UV_TCP_SINGLE_ACCEPT`` is libuv's switch for this, as
    Node's cluster uses it; it narrows the split but does not even it out (43 connections
    against 21 was still seen), which is why several processes get ports of their own by default
    (docs/performance.md, "Session 13")."""
    env["UV_TCP_SINGLE_ACCEPT"] = "1"


def _start_each(
    name: str,
    args: argparse.Namespace,
    env: dict[str, str],
    tmp: Path,
    stack: ExitStack,
    argv: Callable[[int, int], list[str]],
) -> tuple[list[Server], list[int]]:
    """A proxy's ``--workers`` processes, each on a port of its own, or one port for all of them
    (``--shared-socket``); ``argv(port, processes)`` is the command of one server."""
    shared = args.shared_socket and args.workers > 1
    if shared:
        _share_accepts(env)
    servers, ports = [], []
    for number in range(1 if shared else args.workers):
        port = _free_port()
        log = tmp / f"{name.lower()}-{number + 1}.log"
        servers.append(_start(f"{name} {number + 1}", argv(port, args.workers if shared else 1), env, log, stack))
        ports.append(port)
    return servers, ports


def _uvicorn(factory: str, port: int, extra: list[str]) -> list[str]:
    argv = [sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir", str(ROOT)]
    return [*argv, "--host", "127.0.0.1", "--port", str(port), *extra]


def start_upstream(latency: float, tmp: Path, stack: ExitStack) -> str:
    port = _free_port()
    env = {**os.environ, "BENCH_UPSTREAM_LATENCY": str(latency)}
    extra = ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning", "--backlog", "4096"]
    server = _start("upstream", _uvicorn("benchmarks.gateway:upstream_app", port, extra), env, tmp / "upstream.log", stack)
    _wait_ready(server, f"http://127.0.0.1:{port}/v1/models", 30)
    return f"http://127.0.0.1:{port}/v1"


@contextmanager
def _database(url: str | None, tmp: Path) -> Iterator[str]:
    """SQLite in ``tmp``, or a fresh database on the PostgreSQL server ``url`` names (dropped after)."""
    if not url:
        yield f"sqlite+pysqlite:///{tmp / 'frontier-review.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    server = make_url(url)
    name = f"fr_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server.set(database=server.database or "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass(frozen=True)
class Target:
    name: str
    urls: tuple[str, ...]  # one per server process on a port of its own; callers take them in turn
    model: str
    headers: dict[str, str]
    servers: tuple[Server, ...] = ()


def start_gateway(args: argparse.Namespace, upstream: str, database_url: str, tmp: Path, stack: ExitStack) -> Target:
    """Prepare a fresh instance with the CLI, serve the app in its own process, then set the
    engagement up through that server's REST API (``benchmarks/scenario.py``)."""
    from benchmarks.scenario import prepare_instance, set_up_engagement

    data_dir = tmp / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FR_")}
    env.update(
        FR_DATA_DIR=str(data_dir),
        FR_DATABASE_URL=database_url,
        FR_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(),
        FR_SESSION_SECRET=base64.b64encode(os.urandom(33)).decode(),
        FR_QUEUE_NAME=f"bench-{uuid.uuid4().hex[:8]}",
        FR_GATEWAY_ALLOW_PRIVATE_UPSTREAMS="true",
    )
    if args.redis_url:
        env["FR_REDIS_URL"] = args.redis_url
        stack.callback(_forget_redis_keys, args.redis_url, env["FR_QUEUE_NAME"])
    operator_token = prepare_instance(env, ROOT)

    serve_env = dict(env)
    if args.profile:
        serve_env["BENCH_PROFILE"] = str(Path(args.profile).resolve())
    # As `frontier-review serve` runs uvicorn, its HTTP protocol included (benchmarks/serve_gateway.py).
    servers, ports = _start_each(
        "gateway",
        args,
        serve_env,
        tmp,
        stack,
        lambda port, n: [sys.executable, "-m", "benchmarks.serve_gateway", str(port), str(n)],
    )
    sites = [f"http://127.0.0.1:{port}" for port in ports]
    for server, site in zip(servers, sites, strict=True):
        _wait_ready(server, f"{site}/healthz", 60)
    many = 1_000_000_000  # quotas stay on (every call is counted) but never refuse during the run
    access = set_up_engagement(
        sites[0], operator_token, upstream=upstream, upstream_key=UPSTREAM_KEY, quota=many, transcripts=args.transcripts
    )
    headers = {"Authorization": f"Bearer {access.token}"}
    for server, site in zip(servers, sites, strict=True):
        _wait_ready(server, f"{site}/gateway/v1/models", 10, headers)
    urls = tuple(f"{site}/gateway/v1/chat/completions" for site in sites)
    return Target("gateway", urls, access.model, headers, tuple(servers))


def _tool(venv: Path, requirement: str, executable: str) -> Path:
    """``executable`` from ``venv``, installing ``requirement`` there (with pip) unless it is there."""
    exe = venv / "bin" / executable
    python = venv / "bin" / "python"
    name, _, version = requirement.partition("==")
    if exe.exists():
        probe = subprocess.run(
            [str(python), "-m", "pip", "show", name.split("[")[0]], capture_output=True, text=True, check=False
        )
        if probe.returncode == 0 and (not version or f"Version: {version}" in probe.stdout):
            return exe
    print(f"installing {requirement} into {venv}…", file=sys.stderr)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, capture_output=True)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", requirement],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not exe.exists():
        raise RuntimeError(f"pip install {requirement} failed:\n" + "\n".join((done.stderr or done.stdout).splitlines()[-15:]))
    return exe


def start_py_spy(gateway: Target, output: str, tmp: Path, stack: ExitStack) -> None:
    """Sample the (first) gateway process's threads (not while idle) until the end of the run;
    raw collapsed stacks."""
    exe = _tool(CACHE / "py-spy-venv", "py-spy", "py-spy")
    argv = [str(exe), "record", "--pid", str(gateway.servers[0].process.pid), "--threads", "--nonblocking", "--rate", "200"]
    argv += ["--subprocesses", "--format", "raw", "--output", str(Path(output).resolve())]
    _start("py-spy", argv, dict(os.environ), tmp / "py-spy.log", stack)


def start_litellm(args: argparse.Namespace, upstream: str, tmp: Path, stack: ExitStack) -> Target:
    exe = _tool(Path(args.litellm_venv), LITELLM, "litellm")
    config = tmp / "litellm.yaml"
    model = {"model_name": "bench", "litellm_params": {"model": "openai/fake", "api_base": upstream, "api_key": UPSTREAM_KEY}}
    # JSON is YAML: one model, one master key, no database.
    config.write_text(json.dumps({"model_list": [model], "general_settings": {"master_key": LITELLM_KEY}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FR_", "OPENAI_", "LITELLM_", "DATABASE_URL"))}
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", LITELLM_TELEMETRY="False", DISABLE_ADMIN_UI="True", NO_PROXY="*")
    argv = [str(exe), "--config", str(config), "--host", "127.0.0.1"]
    servers, ports = _start_each(
        "LiteLLM", args, env, tmp, stack, lambda port, n: [*argv, "--port", str(port), "--num_workers", str(n)]
    )
    for server, port in zip(servers, ports, strict=True):
        _wait_ready(server, f"http://127.0.0.1:{port}/health/liveliness", 180)
    urls = tuple(f"http://127.0.0.1:{port}/v1/chat/completions" for port in ports)
    return Target("LiteLLM", urls, "bench", {"Authorization": f"Bearer {LITELLM_KEY}"}, tuple(servers))


# --- load ----------------------------------------------------------------------------------


@dataclass
class Cell:
    latencies: list[float] = field(default_factory=list)
    completed: int = 0
    errors: int = 0
    shed: int = 0  # answered 429/503 with a retry-after: load shed past saturation
    first_error: str | None = None
    seconds: float = 0.0
    cpu_seconds: float | None = None
    client_cpu: float = 0.0
    busy_after: float = 0.0

    def quantile(self, q: float) -> float:
        """Milliseconds at quantile ``q`` (nearest rank)."""
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000

    @property
    def rps(self) -> float:
        return self.completed / self.seconds if self.seconds else math.nan

    @property
    def cpu_ms_per_request(self) -> float:
        return self.cpu_seconds * 1000 / self.completed if self.cpu_seconds is not None and self.completed else math.nan


def _tree_cpu(servers: tuple[Server, ...]) -> float | None:
    """User + system CPU seconds of the servers' processes and their children so far."""
    if not servers:
        return None
    import psutil

    try:
        total = 0.0
        for server in servers:
            root = psutil.Process(server.process.pid)
            for proc in [root, *root.children(recursive=True)]:
                times = proc.cpu_times()
                total += times.user + times.system
        return total
    except psutil.Error:
        return None


def _body(model: str, stream: bool) -> bytes:
    request: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": "What is the answer?"}], "max_tokens": 16}
    if stream:
        request.update(stream=True, stream_options={"include_usage": True})
    return json.dumps(request).encode()


def _url(target: Target, caller: int) -> str:
    """Callers take the target's processes in turn, as a load balancer hands out connections."""
    return target.urls[caller % len(target.urls)]


async def _post_aiohttp(session: aiohttp.ClientSession, url: str, headers: dict[str, str], body: bytes) -> Answer:
    async with session.post(url, data=body, headers=headers) as response:
        return Answer(response.status, await response.read(), _retry_after(response.headers))


async def _call(post: Callable[[], Awaitable[Answer]], stream: bool) -> str | float | None:
    """One request, read to the end and checked: None when it is a good answer, the seconds to
    wait when the proxy shed it (429 or 503 with ``retry-after-ms`` or ``retry-after``, which the
    OpenAI SDK honours the same way), else the problem."""
    try:
        answer = await post()
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    payload = answer.body
    if answer.status in (429, 503) and answer.retry_after is not None:
        return answer.retry_after
    if answer.status != 200:
        return f"HTTP {answer.status}: {payload[:300].decode(errors='replace')}"
    if not stream:
        return None if b'"choices"' in payload else f"no choices in {payload[:200]!r}"
    done = payload.rstrip().endswith(b"data: [DONE]")
    chunks = payload.count(b"\ndata:") + payload.startswith(b"data:") - done
    usage = b'"prompt_tokens"' in payload
    if done and usage and chunks >= 3:
        return None
    return f"incomplete stream: {chunks} chunks, usage {usage}, [DONE] {done}"


def _retry_after(headers: Any) -> float | None:
    if (ms := headers.get("retry-after-ms")) is not None:
        return float(ms) / 1000
    if (seconds := headers.get("retry-after")) is not None:
        return float(seconds)
    return None


async def measure(
    target: Target, *, stream: bool, concurrency: int, warmup: float, duration: float, client: str = "light"
) -> Cell:
    """``concurrency`` callers in a loop: a warm-up of at least ``warmup`` seconds and until every
    caller has had an answer (a slow proxy's first answers at high concurrency come late, all
    together), unrecorded; then ``duration`` seconds recorded."""
    cell = Cell()
    body = _body(target.model, stream)
    window = [math.inf, math.inf]  # start and end, set once warm
    answered = 0
    warm = asyncio.Event()
    cpu: list[float | None] = []

    async def mark() -> None:
        await asyncio.sleep(warmup)
        await warm.wait()
        window[:] = [time.perf_counter(), time.perf_counter() + duration]
        cpu.append(_tree_cpu(target.servers))
        client = time.process_time()
        await asyncio.sleep(duration)
        cpu.append(_tree_cpu(target.servers))
        cell.client_cpu = (time.process_time() - client) / duration

    async def caller(post: Callable[[], Awaitable[Answer]]) -> None:
        nonlocal answered
        first = True
        while (began := time.perf_counter()) < window[1]:
            problem = await _call(post, stream)
            ended = time.perf_counter()
            if first:
                first, answered = False, answered + 1
                if answered == concurrency:
                    warm.set()
            if problem is None:
                cell.completed += window[0] <= ended < window[1]
                if began >= window[0]:
                    cell.latencies.append(ended - began)
            elif isinstance(problem, float):  # shed: wait as told, as a client would, then call again
                cell.shed += window[0] <= ended < window[1]
                await asyncio.sleep(problem)
            else:  # counted during the warm-up too: every answer must be good
                cell.errors += 1
                cell.first_error = cell.first_error or ("" if began >= window[0] else "(warm-up) ") + problem

    await _drive(target, body, concurrency, client, caller, mark())
    cell.seconds = duration
    if len(cpu) == 2 and cpu[0] is not None and cpu[1] is not None:
        cell.cpu_seconds = cpu[1] - cpu[0]
    return cell


async def _drive(
    target: Target,
    body: bytes,
    concurrency: int,
    client: str,
    caller: Callable[[Callable[[], Awaitable[Answer]]], Awaitable[None]],
    mark: Awaitable[None],
) -> None:
    """Run ``concurrency`` callers beside ``mark``, each posting ``body`` with the chosen client."""
    if client == "aiohttp":
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, ttl_dns_cache=None)
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout, skip_auto_headers=("User-Agent",)) as session:
            posts = [functools.partial(_post_aiohttp, session, _url(target, n), target.headers, body) for n in range(concurrency)]
            await asyncio.gather(mark, *(caller(post) for post in posts))
        return
    callers = [Caller(_url(target, n), target.headers, body) for n in range(concurrency)]
    try:
        await asyncio.gather(mark, *(caller(one.post) for one in callers))
    finally:
        for one in callers:
            one.close()


Results = dict[tuple[bool, int, str], Cell]


async def settle(servers: tuple[Server, ...], *, idle: float = 0.05, limit: float = 120.0) -> float:
    """Seconds until ``servers`` use less than ``idle`` of a core (work left over from the load,
    such as chaining the access log, must not slow the next measurement down)."""
    started = time.perf_counter()
    before = _tree_cpu(servers)
    while before is not None and time.perf_counter() - started < limit:
        await asyncio.sleep(0.5)
        after = _tree_cpu(servers)
        if after is None or after - before < idle * 0.5:
            break
        before = after
    return time.perf_counter() - started


async def run_all(targets: list[Target], args: argparse.Namespace) -> Results:
    results: Results = {}
    for stream in (False, True):
        for concurrency in args.concurrency:
            for target in targets:
                cell = await measure(
                    target, stream=stream, concurrency=concurrency, warmup=args.warmup, duration=args.duration, client=args.client
                )
                cell.busy_after = await settle(target.servers)
                results[stream, concurrency, target.name] = cell
                mode = "stream" if stream else "json"
                note = f"  first problem: {cell.first_error}" if cell.first_error else ""
                print(
                    f"{mode:>6} c={concurrency:<3} {target.name:<8}"
                    f" p50 {cell.quantile(0.5):7.2f} ms  p99 {cell.quantile(0.99):7.2f} ms"
                    f"  {cell.rps:8.1f} req/s  cpu {cell.cpu_ms_per_request:6.2f} ms/req  errors {cell.errors}  shed {cell.shed}"
                    f"  load generator {cell.client_cpu:4.0%} of a core  busy {cell.busy_after:4.1f} s after{note}",
                    file=sys.stderr,
                    flush=True,
                )
    return results


SCAFFOLD = re.compile(  # the frames that start the process, its event loop and its threads
    r"\((<frozen runpy>|click/|uvicorn/(main|server|_compat|__main__)\.py|asyncio/runners\.py"
    r"|threading\.py|concurrent/futures/thread\.py)"
)


def summarize_stacks(path: Path, *, threads: int = 4, top: int = 12) -> list[str]:
    """The busiest threads in py-spy's raw output, each with its heaviest frames (inclusive),
    leaving out the frames that start the process and its threads."""
    import collections

    per_thread: collections.Counter[str] = collections.Counter()
    frames: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        parts = [p for p in stack.split(";") if not p.startswith("process ")]
        if not parts or not count.isdigit():
            continue
        thread = re.sub(r"^thread \(\d+\): ", "", parts[0])
        thread = re.sub(r"_\d+$", "_*", thread)  # executor threads, counted together
        per_thread[thread] += int(count)
        for frame in {re.sub(r":\d+\)$", ")", f) for f in parts[1:]}:
            frames[thread][frame] += int(count)
    total = sum(per_thread.values()) or 1
    lines = [f"py-spy: {total} samples of the gateway's threads while busy"]
    for thread, n in per_thread.most_common(threads):
        lines.append(f"  {thread}: {n / total:.0%} of the samples")
        heavy = [(f, c) for f, c in frames[thread].most_common() if not SCAFFOLD.search(f)][:top]
        lines += [f"    {c / n:5.0%}  {f}" for f, c in heavy]
    return lines


# --- report --------------------------------------------------------------------------------


def _fmt(value: float, spec: str = ".2f", sign: bool = False) -> str:
    if math.isnan(value):
        return "–"
    return format(value, ("+" if sign else "") + spec)


def _goal(results: Results, stream: bool, concurrency: int, names: list[str]) -> str:
    """The issue's goal for this row, and whether the gateway meets it."""
    if concurrency == 1:
        direct, gateway = results[stream, 1, "direct"], results[stream, 1, "gateway"]
        p50 = gateway.quantile(0.5) - direct.quantile(0.5)
        p99 = gateway.quantile(0.99) - direct.quantile(0.99)
        met = p50 <= GOAL_P50_MS and p99 <= GOAL_P99_MS
        return f"+p50 ≤ {GOAL_P50_MS:g}, +p99 ≤ {GOAL_P99_MS:g}: {'met' if met else 'missed'}"
    if concurrency == 64 and "LiteLLM" in names:
        gateway, litellm = results[stream, 64, "gateway"], results[stream, 64, "LiteLLM"]
        ratio = gateway.rps / litellm.rps if litellm.rps else math.nan
        return f"≥ {GOAL_RATIO:g}× LiteLLM: {'met' if ratio >= GOAL_RATIO else 'missed'}"
    if concurrency > 64 and (stream, 64, "gateway") in results:
        # Past saturation the gateway holds its throughput, shedding the excess (429/503, retry-after).
        held = results[stream, concurrency, "gateway"].rps / results[stream, 64, "gateway"].rps
        goal = f"≥ {GOAL_HELD:.0%} of c=64"
        met = held >= GOAL_HELD
        if "LiteLLM" in names:
            served = results[stream, concurrency, "LiteLLM"].rps
            ratio = results[stream, concurrency, "gateway"].rps / served if served else math.nan
            goal, met = goal + f", ≥ {GOAL_RATIO:g}× LiteLLM", met and ratio >= GOAL_RATIO
        return f"{goal}: {held:.0%}, {'met' if met else 'missed'}"
    return ""


def _row(results: Results, stream: bool, concurrency: int, names: list[str]) -> list[str]:
    direct = results[stream, concurrency, "direct"]
    row = ["stream" if stream else "json", str(concurrency)]
    row += [_fmt(direct.quantile(0.5)), _fmt(direct.quantile(0.99)), _fmt(direct.rps, ".0f")]
    for name in names[1:]:
        cell = results[stream, concurrency, name]
        row += [
            _fmt(cell.quantile(0.5) - direct.quantile(0.5), sign=True),
            _fmt(cell.quantile(0.99) - direct.quantile(0.99), sign=True),
            _fmt(cell.rps, ".1f"),
            _fmt(cell.cpu_ms_per_request),
            str(cell.errors),
            str(cell.shed),
        ]
    if "gateway" in names and "LiteLLM" in names:
        gateway, litellm = results[stream, concurrency, "gateway"], results[stream, concurrency, "LiteLLM"]
        row.append(_fmt(gateway.rps / litellm.rps if litellm.rps else math.nan, ".1f") + "×")
    if "gateway" in names:
        row.append(_goal(results, stream, concurrency, names))
    return row


def report(results: Results, targets: list[Target], args: argparse.Namespace, notes: list[str]) -> None:
    from rich import box
    from rich.console import Console
    from rich.table import Table

    names = [t.name for t in targets]
    proxies = names[1:]
    both = "gateway" in names and "LiteLLM" in names
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for header in ("mode", "conc", "direct\np50", "direct\np99", "direct\nreq/s"):
        table.add_column(header, justify="right")
    for name in proxies:
        for header in ("+p50", "+p99", "req/s", "CPU\nms/req", "errors", "shed"):
            table.add_column(f"{name}\n{header}", justify="right")
    if both:
        table.add_column("gateway ÷\nLiteLLM", justify="right")
    if "gateway" in names:
        table.add_column("goal (gateway)", justify="left")
    for stream in (False, True):
        for concurrency in args.concurrency:
            table.add_row(*_row(results, stream, concurrency, names))
    console = Console(width=220, highlight=False)
    console.print(
        f"upstream latency {args.latency * 1000:g} ms; latencies in ms from sending the request to the last byte;"
        " +p50/+p99 = the proxy's minus the direct call's, at the same concurrency; CPU = the proxy's process tree"
    )
    console.print(table)
    for note in notes:
        console.print(note)
    for name in proxies:
        busy = max(cell.busy_after for (_, _, n), cell in results.items() if n == name)
        console.print(f"{name} kept working up to {busy:.1f} s after a measurement ended (waited for before the next one)")
    problems = [
        f"{name} {'stream' if stream else 'json'} c={concurrency}: {cell.first_error}"
        for (stream, concurrency, name), cell in results.items()
        if cell.first_error
    ]
    for problem in problems:
        console.print(f"first failed answer, {problem}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.02, help="Upstream latency in seconds (default 0.02).")
    parser.add_argument("--warmup", type=float, default=2.0, help="Unrecorded seconds before each measurement.")
    parser.add_argument("--duration", type=float, default=8.0, help="Recorded seconds per measurement.")
    parser.add_argument("--quick", action="store_true", help="1 s warm-up and 3 s per measurement.")
    parser.add_argument("--concurrency", type=int, nargs="+", default=list(CONCURRENCY))
    parser.add_argument(
        "--client",
        choices=("light", "aiohttp"),
        default="light",
        help="The load generator: httptools over asyncio (default; benchmarks/loadgen.py) or aiohttp's client.",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="Server processes for the gateway and for LiteLLM, each on a port of its own, the callers spread over them"
        " in turn (as behind a load balancer).",
    )
    parser.add_argument(
        "--shared-socket",
        action="store_true",
        help="The --workers processes share one port instead (uvicorn's --workers, LiteLLM's --num_workers).",
    )
    parser.add_argument("--database-url", help="A PostgreSQL server; a fresh database is created there and dropped after.")
    parser.add_argument("--redis-url", help="Quota counters in Redis (FR_REDIS_URL) instead of process memory.")
    parser.add_argument("--transcripts", action="store_true", help="The engagement retains transcripts (sealed per call).")
    parser.add_argument("--no-litellm", action="store_true", help="Measure the upstream and the gateway only.")
    parser.add_argument(
        "--litellm-venv", default=str(LITELLM_VENV), help=f"Where {LITELLM} is installed (default {LITELLM_VENV})."
    )
    parser.add_argument("--profile", help="Run the gateway under cProfile and write its stats to this file.")
    parser.add_argument("--py-spy", help="Sample the gateway with py-spy (installed on first use) into this file (raw stacks).")
    args = parser.parse_args()
    if args.quick:
        args.warmup, args.duration = 1.0, 3.0
    return args


def main() -> None:
    args = parse_args()
    import uvloop

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fr-gateway-bench-")))
        upstream = start_upstream(args.latency, tmp, stack)
        database_url = stack.enter_context(_database(args.database_url, tmp))
        targets = [Target("direct", (f"{upstream}/chat/completions",), "fake", {"Authorization": f"Bearer {UPSTREAM_KEY}"})]
        targets.append(start_gateway(args, upstream, database_url, tmp, stack))
        if args.py_spy:
            try:
                start_py_spy(targets[-1], args.py_spy, tmp, stack)
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                print(f"py-spy is left out: {exc}", file=sys.stderr)
                args.py_spy = None
        notes = []
        if args.no_litellm:
            notes.append("LiteLLM not measured (--no-litellm)")
        else:
            try:
                targets.append(start_litellm(args, upstream, tmp, stack))
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                notes.append(f"LiteLLM not measured: {exc}")
                print(notes[-1], file=sys.stderr)
        load_before = os.getloadavg()[0]
        print(_setup_line(args), file=sys.stderr)
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            results = runner.run(run_all(targets, args))
        notes.insert(0, f"{_setup_line(args)}; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
        report(results, targets, args, notes)
        if args.profile:
            for target in targets:
                if target.name == "gateway":
                    for server in target.servers:
                        server.stop()  # writes the profile at exit
            print(f"gateway profile written to {args.profile} (python -m pstats {args.profile})", file=sys.stderr)
    if args.py_spy:
        print(f"gateway stacks sampled by py-spy written to {args.py_spy}", file=sys.stderr)
        print("\n".join(summarize_stacks(Path(args.py_spy))))


def _ports(args: argparse.Namespace) -> str:
    if args.workers < 2:
        return ""
    return " sharing one port" if args.shared_socket else " on ports of their own, callers spread over them in turn"


def _setup_line(args: argparse.Namespace) -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    backend = "PostgreSQL" if args.database_url else "SQLite"
    quotas = "Redis" if args.redis_url else "in-memory"
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {sys.version.split()[0]}, {backend}, {quotas} quota counters,"
        f" {args.workers} server process(es) per proxy{_ports(args)}, {args.warmup:g} s warm-up + {args.duration:g} s per cell"
    )


if __name__ == "__main__":
    main()
