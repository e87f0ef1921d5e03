"""What a job task gets from its process: a small typed context, not the whole container."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from frontier_review.config import Settings
from frontier_review.db.uow import UnitOfWorkFactory
from frontier_review.kernel.clock import Clock

if TYPE_CHECKING:
    from huey import Huey
    from huey.api import TaskWrapper


@dataclass(frozen=True)
class JobContext:
    """Settings, clock and storage for job tasks.

    Attributes:
        settings: The process's settings.
        clock: The process's clock (frozen in tests).
        uow: Opens a unit of work (one transaction per step of a job).
        sessions: Raw sessions, for the few jobs that must commit row by row outside a unit of
            work (mail delivery marks each message sent as it goes).
        session_secret: The signing secret, for jobs that mint short-lived credentials.
    """

    settings: Settings
    clock: Clock
    uow: UnitOfWorkFactory
    sessions: sessionmaker[Session]
    session_secret: str


TaskRegistrar = Callable[["Huey", JobContext], Mapping[str, "TaskWrapper"]]
"""An area's ``tasks.register``: puts its tasks on the queue under explicit names."""
