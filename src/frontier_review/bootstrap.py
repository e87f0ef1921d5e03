"""The process container: settings, storage, keys and the job queue, built exactly once.

It names no area. What the areas contribute (authorization rules, event handlers, job tasks,
the audit writer for refusals) arrives as a :class:`Wiring` from the composition root,
``frontier_review.composition``, which is also where a container is built
(``composition.build_container``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from frontier_review.config import ConfigurationError, Environment, Settings, check_production_ready
from frontier_review.db.changes import RedisGeneration, announce_changes
from frontier_review.db.engine import make_engine, make_session_factory
from frontier_review.db.uow import DenialWriter, Handlers, Rules, UnitOfWorkFactory
from frontier_review.jobs.context import JobContext, TaskRegistrar
from frontier_review.kernel.clock import Clock, SystemClock
from frontier_review.security.keyring import KeyringSource, write_private_file
from frontier_review.security.ratelimit import LoginRateLimit

if TYPE_CHECKING:
    from frontier_review.jobs.queue import JobQueue
    from frontier_review.telemetry.metrics import Metrics


@dataclass(frozen=True)
class Wiring:
    """What the areas contribute to a process, composed by ``frontier_review.composition``."""

    rules: Rules
    denial_writer: DenialWriter
    handlers: Handlers = field(default_factory=dict)
    task_registrars: Sequence[TaskRegistrar] = ()
    # The tables that decide gateway access: their committed changes are announced (``db.changes``).
    access_tables: frozenset[str] = frozenset()


def _session_secret(settings: Settings) -> str:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value()
    if settings.env is Environment.PROD:
        raise ConfigurationError("FR_SESSION_SECRET must be set in prod")
    path = settings.keys_dir / "session.secret"
    if not path.exists():
        write_private_file(path, secrets.token_urlsafe(48))
    return path.read_text(encoding="utf-8").strip()


@dataclass
class Container:
    """Everything the adapters need, wired once per process."""

    settings: Settings
    wiring: Wiring
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        check_production_ready(self.settings)
        self.settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.keyring = KeyringSource(self.settings)
        self.engine: Engine = make_engine(self.settings.resolved_database_url)
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        self._generation: RedisGeneration | None = None
        if self.settings.redis_url and self.wiring.access_tables:  # the gateways reuse contexts only with Redis
            self._generation = RedisGeneration(self.settings.redis_url, self.settings.access_generation_key)
            announce_changes(self.engine, self.wiring.access_tables, self._generation.bump)
        self.uow = UnitOfWorkFactory(
            self.sessions,
            clock=self.clock,
            settings=self.settings,
            keyring=self.keyring,
            denial_writer=self.wiring.denial_writer,
            rules=self.wiring.rules,
            handlers=self.wiring.handlers,
        )
        self.session_secret = _session_secret(self.settings)
        self.login_rate_limit = LoginRateLimit(self.settings)

    def job_context(self) -> JobContext:
        """What this process's job tasks get from it."""
        return JobContext(
            settings=self.settings,
            clock=self.clock,
            uow=self.uow,
            sessions=self.sessions,
            session_secret=self.session_secret,
        )

    @cached_property
    def jobs(self) -> JobQueue:
        """The job queue (SQLite file in the data directory, or Redis when configured)."""
        from frontier_review.jobs.queue import build_queue

        return build_queue(self.settings, self.job_context(), self.wiring.task_registrars)

    @cached_property
    def metrics(self) -> Metrics:
        """This process's Prometheus metrics (built by the first server component that counts)."""
        from frontier_review.telemetry.metrics import Metrics

        metrics = Metrics()
        metrics.watch_pool(self.engine)
        return metrics

    def redis_ready(self) -> bool | None:
        """True/False when Redis is configured and answers or not; None when it is not used."""
        if not self.settings.redis_url:
            return None
        import redis

        try:
            with redis.Redis.from_url(self.settings.redis_url, socket_timeout=2, socket_connect_timeout=2) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def database_ready(self) -> bool:
        """True when the database answers and is migrated."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1 FROM audit_chain_head"))
            return True
        except Exception:  # readiness probes report, they do not raise
            return False

    @property
    def data_dir(self) -> Path:
        return self.settings.data_dir

    def close(self) -> None:
        self.engine.dispose()
        if self._generation is not None:
            self._generation.close()
