"""Evaluation jobs: run a benchmark in a child process, and sweep runs whose worker died (E2)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import uuid
from typing import TYPE_CHECKING

from huey import Huey, crontab
from huey.api import TaskWrapper

from frontier_review.evals import runs
from frontier_review.evals.domain import RunStatus
from frontier_review.evals.orm import BenchmarkRun

__all__ = ["RUN_TASK", "child_environment", "execute", "prewarm", "register", "release_warm"]

if TYPE_CHECKING:
    from frontier_review.jobs.context import JobContext

RUN_TASK = "evals.run"
SWEEP_TASK = "evals.sweep"
HEARTBEAT_SECONDS = 2.0


def child_environment(ctx: JobContext) -> dict[str, str]:
    """The runner process gets exactly this instance's configuration."""
    s = ctx.settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("FR_")}
    env["FR_DATA_DIR"] = str(s.data_dir)
    env["FR_DATABASE_URL"] = s.resolved_database_url
    env["FR_ENV"] = s.env.value
    env["FR_QUEUE_NAME"] = s.queue_name
    if s.master_key is not None:
        env["FR_MASTER_KEY"] = s.master_key.get_secret_value()
    if s.master_key_file is not None:
        env["FR_MASTER_KEY_FILE"] = str(s.master_key_file)
    env["FR_SESSION_SECRET"] = ctx.session_secret
    # The runner checks target addresses again before connecting, under the same address policy.
    env["FR_GATEWAY_ALLOW_PRIVATE_UPSTREAMS"] = "true" if s.gateway_allow_private_upstreams else "false"
    if s.redis_url:
        env["FR_REDIS_URL"] = s.redis_url
    return env


_warm_lock = threading.Lock()
_warm: dict[int, subprocess.Popen[str]] = {}


def _spawn_runner(ctx: JobContext) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "frontier_review.processes", "eval-run", "--warm"],
        env=child_environment(ctx),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        text=True,
    )


def prewarm(ctx: JobContext) -> None:
    """Start this worker thread's next runner process now, so it has imported Inspect by the time a run comes."""
    with _warm_lock:
        current = _warm.get(threading.get_ident())
        if current is None or current.poll() is not None:
            _warm[threading.get_ident()] = _spawn_runner(ctx)


def release_warm() -> None:
    """Let this worker thread's waiting runner go (closing its stdin makes it exit)."""
    with _warm_lock:
        child = _warm.pop(threading.get_ident(), None)
    if child is not None and child.poll() is None and child.stdin is not None:
        child.stdin.close()


def _take_runner(ctx: JobContext) -> subprocess.Popen[str]:
    with _warm_lock:
        child = _warm.pop(threading.get_ident(), None)
    if child is None or child.poll() is not None:
        child = _spawn_runner(ctx)
    return child


def execute(ctx: JobContext, run_id: uuid.UUID) -> str:
    """Claim the run, run it in a child process while beating the heartbeat; returns the final status."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    with ctx.uow() as uow:
        if not runs.claim(uow, run_id, worker):
            return "not-claimed"
        claimed = uow.session.get(BenchmarkRun, run_id)
        assert claimed is not None
        attempt = claimed.attempts
    child = _take_runner(ctx)
    assert child.stdin is not None
    child.stdin.write(f"{run_id} {attempt}\n")
    child.stdin.close()
    try:
        return _watch(ctx, run_id, attempt, child)
    finally:
        prewarm(ctx)


def _watch(ctx: JobContext, run_id: uuid.UUID, attempt: int, child: subprocess.Popen[str]) -> str:
    """Beat the heartbeat while the runner works; stop it on cancellation; record a crash."""
    while True:
        try:
            child.wait(timeout=HEARTBEAT_SECONDS)  # returns the moment the runner finishes
            break
        except subprocess.TimeoutExpired:
            pass
        with ctx.uow() as uow:
            run = uow.session.get(BenchmarkRun, run_id)
            if run is None or run.attempts != attempt:
                break  # re-queued elsewhere: this attempt is no longer the run's
            run.heartbeat_at = uow.clock.now()
            if run.cancel_requested and run.status == RunStatus.RUNNING.value:
                os.killpg(child.pid, signal.SIGTERM)
                child.wait(timeout=30)
                run.status = RunStatus.CANCELLED.value
                run.finished_at = uow.clock.now()
                return RunStatus.CANCELLED.value
    with ctx.uow() as uow:
        run = uow.session.get(BenchmarkRun, run_id)
        if run is not None and run.status == RunStatus.RUNNING.value and run.attempts == attempt:
            # The child died without recording an outcome (killed, out of memory, …).
            run.status = RunStatus.FAILED.value
            run.failure_reason = f"the runner process exited with code {child.returncode} before finishing"
            run.finished_at = uow.clock.now()
        return run.status if run else "missing"


def register(huey: Huey, ctx: JobContext) -> dict[str, TaskWrapper]:
    """Register the run job and the sweeper (every minute, and once when a consumer starts)."""

    def run_job(run_id: str) -> None:
        # The final status is in the run's row; returned, huey would keep it in the result store unread.
        execute(ctx, uuid.UUID(run_id))

    run_task = huey.task(name=RUN_TASK)(run_job)

    def sweep() -> int:
        with ctx.uow() as uow:
            found = runs.stale_runs(uow)
        for run_id in found:
            run_task(str(run_id))
        return len(found)

    def sweep_on_startup() -> None:
        prewarm(ctx)
        sweep()

    huey.on_startup(name="evals.sweep-on-startup")(sweep_on_startup)
    huey.on_shutdown(name="evals.release-warm-runner")(release_warm)

    return {
        RUN_TASK: run_task,
        SWEEP_TASK: huey.periodic_task(crontab(minute="*"), name=SWEEP_TASK)(sweep),
    }
