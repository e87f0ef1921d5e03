"""Sizing figures for several processes: memory per process, requests per second, connections.

Runs the reference deployment's shape on this machine: a fresh PostgreSQL database, a queue of
its own in Redis, two ``frontier-review serve`` and two ``frontier-review worker`` processes (as
``deploy/compose.yaml`` runs them, without the proxy), and the package's fake model as the
upstream (``benchmarks.gateway``'s, 20 ms per answer). The instance is set up the way people set
one up (``benchmarks/scenario.py``: the operator with the CLI, everyone else over the REST API).

It prints each process's resident memory (RSS; a worker's warm evals runner, a child process,
separately) once started and idle, then after the load; the throughput of an authenticated API
read (``GET /api/v1/users/me`` with an API token) against one ``serve`` process and against both;
gateway calls against both; and how many PostgreSQL connections the four processes hold. The
load generator (asyncio, one aiohttp client) runs on the same machine and takes CPU from them.

    .venv/bin/python -m benchmarks.scale_out [--seconds 20] [--concurrency 16] \
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--redis-url redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import aiohttp
import psutil
import redis
from sqlalchemy import create_engine, text

from benchmarks.gateway import Server, _database, _free_port, _start, _wait_ready, start_upstream
from benchmarks.scenario import prepare_instance, set_up_engagement

ROOT = Path(__file__).resolve().parent.parent


def _rss_mib(server: Server) -> tuple[float, float]:
    """Resident memory of the process, and of its children (a worker's warm runner), in MiB."""
    process = psutil.Process(server.process.pid)
    children = sum(child.memory_info().rss for child in process.children(recursive=True))
    return process.memory_info().rss / 2**20, children / 2**20


async def _load(
    urls: list[str], path: str, headers: dict[str, str], body: bytes | None, seconds: float, concurrency: int
) -> tuple[int, str]:
    """``concurrency`` callers in a loop for ``seconds``, spread over ``urls``: requests answered, and a summary."""
    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds

    async def caller(session: aiohttp.ClientSession, base: str) -> None:
        nonlocal failures
        while time.monotonic() < deadline:
            started = time.perf_counter()
            method = "POST" if body is not None else "GET"
            async with session.request(method, base + path, data=body, headers=headers) as response:
                await response.read()
                if response.status != 200:
                    failures += 1
                    continue
            latencies.append(time.perf_counter() - started)

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(caller(session, urls[i % len(urls)]) for i in range(concurrency)))
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    return len(latencies), f"{len(latencies) / seconds:7.1f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  failures {failures}"


def _cpu_seconds(servers: list[Server]) -> float:
    """User and system CPU time the processes (and their children) have used so far."""
    total = 0.0
    for server in servers:
        process = psutil.Process(server.process.pid)
        for each in [process, *process.children(recursive=True)]:
            times = each.cpu_times()
            total += times.user + times.system
    return total


def _phase(
    servers: list[Server], urls: list[str], path: str, headers: dict[str, str], body: bytes | None, args: argparse.Namespace
) -> str:
    """One load phase, and the CPU the serve processes spent per request (steadier than req/s on a busy machine)."""
    asyncio.run(_load(urls, path, headers, body, 3.0, args.concurrency))  # warm-up, not counted
    before = _cpu_seconds(servers)
    count, figures = asyncio.run(_load(urls, path, headers, body, args.seconds, args.concurrency))
    spent = _cpu_seconds(servers) - before
    return f"{figures}  serve CPU {spent / max(count, 1) * 1000:5.2f} ms/request"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="Length of each load phase.")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    queue = f"fr_bench_{uuid.uuid4().hex[:10]}"
    with tempfile.TemporaryDirectory() as tmp_name, ExitStack() as stack:  # the processes stop first
        tmp = Path(tmp_name)
        database_url = stack.enter_context(_database(args.database_url, tmp))
        env = {k: v for k, v in os.environ.items() if not k.startswith("FR_")}
        env.update(
            FR_DATABASE_URL=database_url,
            FR_REDIS_URL=args.redis_url,
            FR_QUEUE_NAME=queue,
            FR_MASTER_KEY=base64.b64encode(os.urandom(32)).decode(),
            FR_SESSION_SECRET="scale-out-benchmark-" * 3,
            FR_DATA_DIR=str(tmp / "cli"),
            FR_GATEWAY_ALLOW_PRIVATE_UPSTREAMS="true",
            FR_LOG_LEVEL="warning",
        )
        stack.callback(lambda: _forget(args.redis_url, queue))  # once every process has stopped
        operator = prepare_instance(env, ROOT)
        upstream = start_upstream(0.02, tmp, stack)
        ports = [_free_port(), _free_port()]
        command = [sys.executable, "-m", "frontier_review.cli"]
        servers = [
            _start(
                f"serve-{p}",
                [*command, "serve", "--no-migrate", "--no-embedded-worker", "--port", str(p)],
                {**env, "FR_DATA_DIR": str(tmp / f"serve-{p}")},
                tmp / f"serve-{p}.log",
                stack,
            )
            for p in ports
        ]
        workers = [
            _start(
                f"worker-{n}", [*command, "worker"], {**env, "FR_DATA_DIR": str(tmp / f"worker-{n}")}, tmp / f"w{n}.log", stack
            )
            for n in (1, 2)
        ]
        stack.callback(lambda: _forget(args.redis_url, queue))
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        for server, url in zip(servers, urls, strict=True):
            _wait_ready(server, f"{url}/readyz", 120)
        time.sleep(15)  # the workers' warm runners finish importing Inspect
        idle = {s.name: _rss_mib(s) for s in servers + workers}
        access = set_up_engagement(urls[0], operator, upstream=upstream, upstream_key="sk-bench", quota=10**9, transcripts=False)
        api = {"Authorization": f"Bearer {operator}"}
        gateway = {"Authorization": f"Bearer {access.token}", "Content-Type": "application/json"}
        call = f'{{"model": "{access.model}", "messages": [{{"role": "user", "content": "Which line?"}}]}}'.encode()
        phases = {
            "API read, one serve": _phase(servers[:1], urls[:1], "/api/v1/users/me", api, None, args),
            "API read, both serves": _phase(servers, urls, "/api/v1/users/me", api, None, args),
            "gateway call, both serves": _phase(servers, urls, "/gateway/v1/chat/completions", gateway, call, args),
        }
        loaded = {s.name: _rss_mib(s) for s in servers + workers}
        engine = create_engine(database_url)
        with engine.connect() as conn:
            connections = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
            ).scalar_one()
        engine.dispose()
    print(f"machine: {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GiB; Python {sys.version.split()[0]}")
    print(f"load: {args.concurrency} concurrent callers, {args.seconds:.0f} s per phase, on the same machine")
    print("\nprocess         RSS idle (MiB)   RSS after load (MiB)   children idle / after (MiB)")
    for name, (rss, children) in idle.items():
        after, after_children = loaded[name]
        print(f"{name:<15} {rss:14.0f}   {after:20.0f}   {children:12.0f} / {after_children:.0f}")
    print()
    for phase, figures in phases.items():
        print(f"{phase:<26} {figures}")
    print(f"\nPostgreSQL connections held by the four processes after the load: {connections}")


def _forget(url: str, queue: str) -> None:
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"*{queue}*"):
        client.delete(key)
    client.close()


if __name__ == "__main__":
    main()
