"""Engagement jobs, run every minute.

They record window transitions (with their notices), purge artifacts whose retention ended,
sweep sealed chunks that no artifact or evidence file owns, chain any access-log rows a gateway
process left behind, and deliver queued email.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from huey import Huey, crontab
from huey.api import TaskWrapper

from frontier_review.engagements.access import reveals
from frontier_review.engagements.access.recorder import CHAIN_BATCH, chain_pending, in_flight_grace
from frontier_review.engagements.lifecycle import closing
from frontier_review.engagements.materials import service as materials
from frontier_review.engagements.materials import store
from frontier_review.notifications import email

if TYPE_CHECKING:
    from frontier_review.jobs.context import JobContext

HOUSEKEEPING_TASK = "engagements.housekeeping"
MAIL_TASK = "notifications.mail"


def register(huey: Huey, ctx: JobContext) -> dict[str, TaskWrapper]:
    """Register the housekeeping job (every minute) and the mail task."""

    def deliver() -> int:
        settings = ctx.settings
        return email.deliver_pending(ctx.sessions, ctx.clock, smtp_url=settings.smtp_url, sender=settings.mail_from)

    def housekeeping() -> int:
        with ctx.uow() as uow:
            changed = closing.sweep(uow)
        with ctx.uow() as uow:
            materials.purge_expired(uow)
        with ctx.uow() as uow:
            store.sweep_orphaned_chunks(uow)
            reveals.purge_expired(uow)
        while chain_pending(ctx.uow, grace=in_flight_grace(ctx.settings)) >= CHAIN_BATCH:
            pass
        deliver()
        return changed

    def mail() -> None:
        deliver()  # the count is not returned: huey would keep it in the result store, unread

    return {
        HOUSEKEEPING_TASK: huey.periodic_task(crontab(minute="*"), name=HOUSEKEEPING_TASK)(housekeeping),
        MAIL_TASK: huey.task(name=MAIL_TASK)(mail),
    }
