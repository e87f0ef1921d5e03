"""Platform overhead on benchmark runs, against raw Inspect.

The project's sample suite (82 samples) against a local OpenAI-compatible server (the package's
fake model, ``frontier_review.mockllm``) that answers every call after a fixed 200 ms, at
max_connections 1 and 32:

  (a) raw: Inspect's ``eval`` directly, in a fresh process (one eval per process);
  (b) platform: a run from ``queued`` to ``succeeded`` through the job queue, a worker and the
      runner process (sealed samples decrypted, progress hooks, log sealed, result recorded).

Then two runs queued together on a consumer with two worker threads, against one run alone.
Prints samples per second side by side. Goal: the platform loses at most 5% to raw Inspect.

    .venv/bin/python -m benchmarks.evals [--latency 0.2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from functools import partial
from importlib.resources import files
from pathlib import Path

SUITE = Path(str(files("frontier_review.evals") / "sample_benchmark"))


def raw(base_url: str, connections: int) -> float:
    """Samples per second for Inspect alone (run in a child process)."""
    code = f"""
import os, sys, time, tempfile
os.environ["BENCH_API_KEY"] = "x"
from inspect_ai import eval as inspect_eval
from frontier_review.evals.package import load_package
from frontier_review.evals.inspect_task import build_task
from frontier_review.evals.runner import _offline_token_counting
from pathlib import Path
_offline_token_counting()
package = load_package(Path({str(SUITE)!r}))
task = build_task(package.manifest.to_json(), list(package.samples))
start = time.perf_counter()
inspect_eval(task, model="openai-api/bench/fake", model_base_url={base_url!r}, display="none", log_dir=tempfile.mkdtemp(),
             max_connections={connections}, max_retries=0, timeout=60, fail_on_error=False, max_tokens=256)
print(len(package.samples) / (time.perf_counter() - start))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def platform(base_url: str, connections: int, *, parallel: int = 1) -> float:
    """Samples per second from queued to succeeded, for ``parallel`` runs queued together."""
    from frontier_review.composition import build_container
    from frontier_review.config import Settings
    from frontier_review.db import migrate
    from frontier_review.evals import runs, service, targets
    from frontier_review.evals.orm import BenchmarkRun
    from frontier_review.evals.package import load_package
    from frontier_review.evals.tasks import RUN_TASK
    from frontier_review.jobs.queue import start_embedded_consumer
    from frontier_review.kernel.principal import Principal

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+pysqlite:///{Path(tmp) / 'bench.db'}"
        migrate.upgrade(url)
        settings = Settings(
            data_dir=Path(tmp),
            database_url=url,
            master_key=base64.b64encode(os.urandom(32)).decode(),
            session_secret="x" * 40,
            queue_name=f"bench-{uuid.uuid4().hex[:6]}",
            gateway_allow_private_upstreams=True,  # the fake model listens on loopback
        )
        container = build_container(settings)
        operator = Principal.system("benchmark")
        with container.uow() as uow:
            service.seal_package(uow, operator, load_package(SUITE))
            targets.create_target(
                uow, operator, name="fake", model="openai-api/bench/fake", base_url=base_url, api_key="x", reference_model="fake"
            )
        queue = container.jobs
        consumer = start_embedded_consumer(queue.huey, workers=parallel)
        time.sleep(4)  # long-lived workers keep a runner process warm; measure that steady state
        ids = []
        start = time.perf_counter()
        with container.uow() as uow:
            for _ in range(parallel):
                view = runs.start_run(
                    uow,
                    operator,
                    benchmark="cyber-offense-sample@1",
                    target="fake",
                    dispatch=lambda rid: queue.enqueue(RUN_TASK, str(rid)) and None,
                    max_connections=connections,
                    max_retries=0,
                    timeout_seconds=60,
                )
                ids.append(view.id)
        samples = 0
        while True:
            with container.sessions() as session:
                rows = [session.get(BenchmarkRun, i) for i in ids]
            if all(r is not None and r.status in {"succeeded", "failed", "cancelled"} for r in rows):
                samples = sum(r.samples_done for r in rows if r is not None)
                break
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
        consumer.stop(graceful=True)
        container.close()
        return samples / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--repeat", type=int, default=3, help="Median of this many measurements per figure.")
    args = parser.parse_args()
    from frontier_review.mockllm import serve_fake

    with serve_fake(latency=args.latency) as base_url:
        from frontier_review.evals.package import load_package

        count = len(load_package(SUITE).samples)
        print(f"sample suite ({count} samples), server latency {args.latency * 1000:.0f} ms; samples/s")
        print(f"{'max_connections':>16} {'raw Inspect':>12} {'platform':>10} {'platform/raw':>13}")

        def median(measure: Callable[[], float]) -> float:
            return statistics.median(measure() for _ in range(args.repeat))

        for connections in (1, 32):
            r = median(partial(raw, base_url, connections))
            p = median(partial(platform, base_url, connections))
            print(f"{connections:>16} {r:>12.2f} {p:>10.2f} {p / r:>12.1%}")
        one = median(partial(platform, base_url, 32))
        two = median(partial(platform, base_url, 32, parallel=2))
        print(f"two runs on two worker threads: {two:.2f} samples/s against {one:.2f} for one run ({two / one:.2f}x)")


if __name__ == "__main__":
    main()
