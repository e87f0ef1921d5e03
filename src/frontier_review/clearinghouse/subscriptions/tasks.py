"""Webhook jobs: one job per delivery attempt, retried on the backoff schedule, and a sweeper every minute.

Registered with the composition root's task registrars. Registering also installs this process's
queue as the dispatcher of new deliveries (``service.install_dispatcher``), so a delivery written
in a web request is posted as soon as its transaction commits; the sweeper sends anything a
process without a queue wrote, and retries whose scheduled job was lost.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from huey import Huey, crontab
from huey.api import TaskWrapper

from frontier_review.clearinghouse.subscriptions import delivery, service

if TYPE_CHECKING:
    from frontier_review.jobs.context import JobContext

__all__ = ["DELIVER_TASK", "SWEEP_TASK", "register"]

DELIVER_TASK = "clearinghouse.subscriptions.deliver"
SWEEP_TASK = "clearinghouse.subscriptions.sweep"


def register(huey: Huey, ctx: JobContext) -> dict[str, TaskWrapper]:
    """Register the delivery task and the sweeper; install the dispatcher for this engine."""

    def deliver(delivery_id: str) -> None:
        # Returns nothing: huey would keep a returned value in the queue's result store (Redis)
        # until someone read it, and nobody does; the outcome is in the delivery log.
        outcome = delivery.attempt(ctx.uow, uuid.UUID(delivery_id))
        if outcome.retry_in is not None:
            deliver_task.schedule((delivery_id,), delay=max(1.0, outcome.retry_in.total_seconds()))

    deliver_task = huey.task(name=DELIVER_TASK)(deliver)

    def sweep() -> int:
        found = delivery.due(ctx.uow)
        for delivery_id in found:
            deliver_task(str(delivery_id))
        return len(found)

    bind = ctx.sessions.kw.get("bind")
    if bind is not None:
        service.install_dispatcher(bind, lambda delivery_id: deliver_task(str(delivery_id)))
    return {
        DELIVER_TASK: deliver_task,
        SWEEP_TASK: huey.periodic_task(crontab(minute="*"), name=SWEEP_TASK)(sweep),
    }
