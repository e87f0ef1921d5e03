"""The job queue on both storages: SQLite (embedded default) and Redis (FR_REDIS_URL)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from frontier_review.audit import service as audit
from frontier_review.audit.tasks import CHECKPOINT_TASK, PERIODIC_CHECKPOINT_TASK
from frontier_review.bootstrap import Container
from frontier_review.composition import build_container
from frontier_review.config import Settings
from frontier_review.identity.domain import OrgKind
from frontier_review.jobs.queue import start_embedded_consumer
from frontier_review.kernel.clock import FrozenClock
from tests.factories.identity import SYSTEM, make_org


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_private_targets": True})  # a webhook on loopback


@pytest.fixture(params=["sqlite-queue", pytest.param("redis-queue", marks=pytest.mark.redis)])
def queued_container(request: pytest.FixtureRequest, settings: Settings, clock: FrozenClock) -> Iterator[Container]:
    if request.param == "redis-queue":
        settings = settings.model_copy(update={"redis_url": request.getfixturevalue("redis_url")})
    container = build_container(settings, clock=clock)
    try:
        yield container
    finally:
        container.jobs.huey.storage.flush_all()  # removes only this test's queue keys
        container.close()


def _wait(predicate: object, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_checkpoint_job_runs_through_the_queue(queued_container: Container) -> None:
    container = queued_container
    make_org(container, OrgKind.AGENCY)
    storage = type(container.jobs.huey.storage).__name__
    assert storage == ("RedisStorage" if container.settings.redis_url else "SqliteStorage")
    result = container.jobs.enqueue(CHECKPOINT_TASK)
    consumer = start_embedded_consumer(container.jobs.huey)
    try:
        seq = result.get(blocking=True, timeout=20)
    finally:
        consumer.stop(graceful=True)
    assert seq == 1
    with container.uow() as uow:
        checkpoints = audit.list_checkpoints(uow, SYSTEM)
        report = audit.verify_log(uow.session, container.keyring)
    assert [c.seq for c in checkpoints] == [1]
    assert report.ok and report.checkpoints == 1


def test_periodic_checkpoint_is_due_every_minute_and_signs_per_interval(queued_container: Container, clock: FrozenClock) -> None:
    """The scheduler wakes the job each minute; it signs only once the interval has passed."""
    from datetime import datetime, timedelta

    container = queued_container
    due = [t.name for t in container.jobs.huey.read_periodic(datetime(2026, 6, 2, 12, 7))]
    assert PERIODIC_CHECKPOINT_TASK in due
    make_org(container, OrgKind.AGENCY)
    every = timedelta(minutes=container.settings.checkpoint_interval_minutes)
    run = container.jobs.tasks[PERIODIC_CHECKPOINT_TASK].call_local
    assert run() == 1  # no checkpoint yet: sign now
    make_org(container, OrgKind.AGENCY)
    clock.advance(every - timedelta(seconds=31))
    assert run() is None  # not due yet (the job allows half a minute of slack for its own timing)
    clock.advance(timedelta(seconds=1))
    assert run() == 3  # signs the tip: org 1, the first checkpoint's own entry, org 2


def test_each_periodic_task_is_enqueued_once_a_minute_whatever_the_number_of_workers(queued_container: Container) -> None:
    """Every consumer's scheduler wakes each minute; only the first to claim the minute enqueues."""
    from datetime import datetime
    from threading import Event

    from frontier_review.jobs.queue import OncePerMinuteScheduler

    huey = queued_container.jobs.huey
    schedulers = [OncePerMinuteScheduler(huey, Event(), 1, True) for _ in range(3)]  # three workers
    periodic = sorted(t.name for t in huey.read_periodic(datetime(2026, 6, 2, 12, 7)))
    assert periodic  # housekeeping, checkpoints, sweepers

    def enqueued() -> list[str]:
        return sorted(t.name for t in huey.pending())

    for scheduler in schedulers:
        scheduler.enqueue_periodic_tasks(datetime(2026, 6, 2, 12, 7, 5))
    assert enqueued() == periodic
    for scheduler in schedulers:  # later in the same minute (another worker's offset): nothing more
        scheduler.enqueue_periodic_tasks(datetime(2026, 6, 2, 12, 7, 59))
    assert enqueued() == periodic
    for scheduler in reversed(schedulers):  # the next minute: once more
        scheduler.enqueue_periodic_tasks(datetime(2026, 6, 2, 12, 8, 1))
    assert enqueued() == sorted(periodic * 2)


def test_a_web_process_enqueues_a_webhook_as_its_request_commits(container: Container) -> None:
    """``create_asgi`` builds the queue, so a delivery a request writes is queued at once, not left to the sweeper."""
    from frontier_review.asgi import create_asgi
    from frontier_review.clearinghouse.subscriptions import service as subscriptions
    from frontier_review.clearinghouse.subscriptions.tasks import DELIVER_TASK
    from frontier_review.identity.domain import Role, Sector
    from tests.factories.identity import make_user

    bank = make_org(container, OrgKind.PARTNER, sector=Sector.FINANCIAL_SERVICES)
    admin = make_user(container, bank, role=Role.ADMIN)
    create_asgi(container)
    with container.uow() as uow:
        created = subscriptions.create_subscription(
            uow,
            admin.principal,
            name="Ours",
            sectors=["financial_services"],
            channels=["webhook"],
            webhook_url="http://127.0.0.1:9/h",
        )
    with container.uow() as uow:
        delivery = subscriptions.send_test(uow, admin.principal, created.subscription.id)
    pending = container.jobs.huey.pending()
    assert [(t.name, t.args) for t in pending] == [(DELIVER_TASK, (str(delivery.id),))]
