"""What the gateway needs of the process it runs in, so it never imports the container."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import Engine

from frontier_review.config import Settings
from frontier_review.db.uow import UnitOfWorkFactory
from frontier_review.kernel.clock import Clock
from frontier_review.telemetry.metrics import Metrics


class GatewayHost(Protocol):
    """What the gateway needs of its process (``bootstrap.Container`` has it)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def engine(self) -> Engine: ...

    @property
    def uow(self) -> UnitOfWorkFactory: ...

    @property
    def metrics(self) -> Metrics: ...
