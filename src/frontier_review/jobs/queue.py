"""Builds the huey instance and registers on it the tasks the composition root lists.

Tasks are registered with explicit names, so a web process that enqueues and a worker on
another machine that executes agree on them regardless of module layout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey import signals as huey_signals
from huey.api import Result, Task, TaskWrapper
from huey.constants import EmptyData
from huey.consumer import Consumer

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


class EmbeddedConsumer(Consumer):  # type: ignore[misc]
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
    consumer = Consumer(huey, workers=workers, worker_type="thread", periodic=True, max_delay=MAX_POLL_DELAY)
    consumer.run()
