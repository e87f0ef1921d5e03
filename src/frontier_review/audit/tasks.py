"""Audit jobs: the periodic signed checkpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from huey import Huey, crontab
from huey.api import TaskWrapper

from frontier_review.audit import service
from frontier_review.kernel.principal import Principal

if TYPE_CHECKING:
    from frontier_review.bootstrap import Container

CHECKPOINT_TASK = "audit.checkpoint"


def register(huey: Huey, container: Container) -> dict[str, TaskWrapper]:
    """Register the checkpoint task (on demand and periodic) on ``huey``."""

    def checkpoint() -> int | None:
        with container.uow() as uow:
            info = service.create_checkpoint(uow, Principal.system("audit-checkpoint-job"))
        return info.seq if info else None

    every = container.settings.checkpoint_interval_minutes
    return {
        CHECKPOINT_TASK: huey.task(name=CHECKPOINT_TASK)(checkpoint),
        CHECKPOINT_TASK + ".periodic": huey.periodic_task(crontab(minute=f"*/{every}"), name=CHECKPOINT_TASK + ".periodic")(
            checkpoint
        ),
    }
