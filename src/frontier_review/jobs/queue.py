"""Builds the huey instance and registers on it the tasks the composition root lists.

Tasks are registered with explicit names, so a web process that enqueues and a worker on
another machine that executes agree on them regardless of module layout.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.api import Result, TaskWrapper
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


def build_queue(settings: Settings, context: JobContext, registrars: Iterable[TaskRegistrar]) -> JobQueue:
    """The queue for this instance, with every task the registrars (from the composition root) name."""
    huey: Huey
    if settings.redis_url:
        huey = RedisHuey(name=settings.queue_name, url=settings.redis_url, utc=True)
    else:
        huey = SqliteHuey(name=settings.queue_name, filename=str(settings.data_dir / "jobs.db"), utc=True)
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
