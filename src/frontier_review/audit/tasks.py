"""Audit jobs: the signed checkpoint, on demand and periodically."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from huey import Huey, crontab
from huey.api import TaskWrapper

from frontier_review.audit import service
from frontier_review.kernel.principal import Principal

if TYPE_CHECKING:
    from frontier_review.jobs.context import JobContext

CHECKPOINT_TASK = "audit.checkpoint"
PERIODIC_CHECKPOINT_TASK = "audit.checkpoint.periodic"


def register(huey: Huey, ctx: JobContext) -> dict[str, TaskWrapper]:
    """Register the checkpoint tasks on ``huey``.

    The periodic task wakes every minute and signs only when the latest checkpoint is older
    than ``FR_CHECKPOINT_INTERVAL_MINUTES``: any interval works (cron's ``*/N`` would not for
    N that does not divide 60), and a checkpoint made on demand resets the clock.
    """
    every = timedelta(minutes=ctx.settings.checkpoint_interval_minutes)
    principal = Principal.system("audit-checkpoint-job")

    def checkpoint() -> int | None:
        with ctx.uow() as uow:
            info = service.create_checkpoint(uow, principal)
        return info.seq if info else None

    def checkpoint_if_due() -> int | None:
        with ctx.uow() as uow:
            info = service.checkpoint_if_due(uow, principal, every=every)
        return info.seq if info else None

    return {
        CHECKPOINT_TASK: huey.task(name=CHECKPOINT_TASK)(checkpoint),
        PERIODIC_CHECKPOINT_TASK: huey.periodic_task(crontab(minute="*"), name=PERIODIC_CHECKPOINT_TASK)(checkpoint_if_due),
    }
