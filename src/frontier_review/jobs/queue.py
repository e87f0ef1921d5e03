"""Builds the huey instance and registers on it the tasks the composition root lists.

Tasks are registered with explicit names, so a web process that enqueues and a worker on
another machine that executes agree on them regardless of module layout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey import signals as huey_signals
from huey.api import Result, Task, TaskWrapper
from huey.constants import EmptyData
from huey.consumer import Consumer, Scheduler
from huey.storage import RedisStorage, SqliteStorage

from frontier_review.config import Settings
from frontier_review.jobs.context import JobContext, TaskRegistrar


@dataclass
class JobQueue:
    """The huey instance and its tasks by name."""

    huey: Huey
    tasks: dict[str, TaskWrapper] = field(default_factory=dict)

    def enqueue(self, name: str, *args: Any, **kwargs: Any) -> Result:
        """Enqueue the task registered as ``name``."""
        return self.tasks[name](*args, **kwargs)


# An idle consumer polls the SQLite queue less and less often (huey's backoff, 10 s by default);
# a tenth of a second keeps a queued benchmark run from waiting (an indexed read of a small
# SQLite file, ten times a second); Redis storage blocks instead of polling.
MAX_POLL_DELAY = 0.1


log = logging.getLogger(__name__)

# When each waiting job was enqueued, kept beside the queue (huey's key-value store: the same
# SQLite file or Redis), so that any process can tell how long the next job has waited. Huey's
# messages carry no enqueue time of their own.
ENQUEUED_AT = "fr:enqueued-at:"


def _stamp_enqueue_times(huey: Huey) -> None:
    """Stamp each job as it is enqueued; forget the stamp once it runs (or will not)."""

    def stamp(_signal: str, task: Task, *_args: Any) -> None:
        try:
            huey.storage.put_data(ENQUEUED_AT + task.id, repr(time.time()).encode())
        except Exception as exc:  # a metric's bookkeeping must never stop a job from being enqueued
            log.warning("could not stamp job %s: %s", task.name, type(exc).__name__)

    def unstamp(_signal: str, task: Task, *_args: Any) -> None:
        try:
            huey.storage.delete_data(ENQUEUED_AT + task.id)
        except Exception as exc:
            log.warning("could not unstamp job %s: %s", task.name, type(exc).__name__)

    huey.signal(huey_signals.SIGNAL_ENQUEUED)(stamp)
    # A job moved to the schedule (a delay, a retry's backoff) is stamped again when it comes due.
    huey.signal(
        huey_signals.SIGNAL_EXECUTING, huey_signals.SIGNAL_REVOKED, huey_signals.SIGNAL_EXPIRED, huey_signals.SIGNAL_SCHEDULED
    )(unstamp)


@dataclass(frozen=True)
class QueueStats:
    """The queue now: jobs waiting to run, jobs scheduled for later, the next job's wait."""

    depth: int
    scheduled: int
    oldest_age_seconds: float | None  # None: nothing waits, or the next job's stamp is unknown


def queue_stats(huey: Huey) -> QueueStats:
    """Read the queue (three cheap reads: its length, the schedule's, the next job's stamp)."""
    storage = huey.storage
    depth = int(storage.queue_size())
    age = None
    if depth:
        items = storage.enqueued_items(1)
        if items:
            message = huey.serializer.deserialize(items[0])
            stamp = storage.peek_data(ENQUEUED_AT + message.id)
            if stamp is not EmptyData:
                age = max(0.0, time.time() - float(stamp))
    return QueueStats(depth=depth, scheduled=int(storage.schedule_size()), oldest_age_seconds=age)


def build_queue(settings: Settings, context: JobContext, registrars: Iterable[TaskRegistrar]) -> JobQueue:
    """The queue for this instance, with every task the registrars (from the composition root) name."""
    huey: Huey
    if settings.redis_url:
        huey = RedisHuey(name=settings.queue_name, url=settings.redis_url, utc=True)
    else:
        huey = SqliteHuey(name=settings.queue_name, filename=str(settings.data_dir / "jobs.db"), utc=True)
    _stamp_enqueue_times(huey)
    queue = JobQueue(huey)
    for register in registrars:
        queue.tasks.update(register(huey, context))
    return queue


# Each consumer's scheduler enqueues every periodic task once a minute. With several workers the
# first scheduler to claim a (task, minute) enqueues it and the others skip it, so a periodic job
# runs once a minute whatever the number of workers (huey alone would run it once per worker).
PERIODIC_CLAIM = "fr:periodic:"
PERIODIC_CLAIM_TTL = 3600  # seconds a Redis claim is kept: long past its minute, then gone by itself


def claim_periodic(huey: Huey, task_name: str, at: datetime) -> bool:
    """Claim ``task_name``'s run for the minute of ``at``; True for the first claimant only.

    In the queue's own storage, so every consumer of the queue sees the claim: one atomic
    ``SET NX`` in Redis, an insert into huey's key-value table in the SQLite file.
    """
    minute = at.strftime("%Y-%m-%dT%H:%M")
    key = f"{PERIODIC_CLAIM}{task_name}:{minute}"
    storage = huey.storage
    if isinstance(storage, RedisStorage):
        # Beside the queue's other keys, named after the queue (FR_QUEUE_NAME), as the quota and rate-limit counters are.
        return bool(storage.conn.set(f"{huey.name}:{key}", b"1", nx=True, ex=PERIODIC_CLAIM_TTL))
    claimed = bool(storage.put_if_empty(key, b"1"))
    if claimed and isinstance(storage, SqliteStorage):  # forget this task's older claims (no TTL in SQLite)
        storage.sql(
            "DELETE FROM kv WHERE queue = ? AND key LIKE ? AND key < ?",
            (storage.name, f"{PERIODIC_CLAIM}{task_name}:%", key),
            commit=True,
        )
    return claimed


class OncePerMinuteScheduler(Scheduler):  # type: ignore[misc]
    """Huey's scheduler, enqueueing a periodic task only when it wins the minute's claim."""

    def enqueue_periodic_tasks(self, now: datetime | None) -> None:
        at = now or datetime.now(UTC).replace(tzinfo=None)  # the queue keeps UTC (utc=True)
        for task in self.huey.read_periodic(at):
            try:
                if claim_periodic(self.huey, task.name, at):
                    self.huey.enqueue(task)
            except Exception:  # as huey does: a failed enqueue is logged, the scheduler goes on
                log.exception("could not enqueue periodic task %s", task.name)


class WorkerConsumer(Consumer):  # type: ignore[misc]
    """Huey's consumer with the once-per-minute scheduler (``worker``)."""

    scheduler_class = OncePerMinuteScheduler


class EmbeddedConsumer(WorkerConsumer):
    """A consumer running inside another server: the host process owns the signals."""

    def _set_signal_handlers(self) -> None:
        return None


def start_embedded_consumer(huey: Huey, *, workers: int = 1) -> EmbeddedConsumer:
    """Start worker and scheduler threads in this process (used by ``serve``)."""
    consumer = EmbeddedConsumer(
        huey, workers=workers, worker_type="thread", periodic=True, check_worker_health=False, max_delay=MAX_POLL_DELAY
    )
    consumer.start()
    return consumer


def run_worker(huey: Huey, *, workers: int = 1) -> None:
    """Run a standalone consumer in the foreground until it is signalled (``worker``)."""
    consumer = WorkerConsumer(huey, workers=workers, worker_type="thread", periodic=True, max_delay=MAX_POLL_DELAY)
    consumer.run()
