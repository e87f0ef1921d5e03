"""The unit of work: one transaction per request, command or job.

Adapters open it and it commits on success; services never commit. Two things ride along:

* ``denials`` — authorization refusals. They must be audited even though the refused
  operation's transaction rolls back, so on failure they are written in a fresh transaction
  after the rollback; on success they are written in the same transaction.
* ``after_commit`` — side effects (enqueueing a job, sending mail) that must happen only
  once the change is durable.

Two things are handed in by the composition root, so this low module names no area:

* ``rules`` — every area's authorization rules, which ``policies.authorize`` consults.
* ``handlers`` — who reacts to a domain event. :meth:`UnitOfWork.publish` runs them at once,
  inside the same transaction, so a reaction commits or rolls back with its cause (releasing a
  version closes its engagements atomically, though the registry does not know engagements exist).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from frontier_review.kernel.authz import Rule
from frontier_review.kernel.clock import Clock
from frontier_review.kernel.errors import Conflict
from frontier_review.kernel.keys import KeySource
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.tags import AuditTag

if TYPE_CHECKING:
    from frontier_review.config import Settings

log = logging.getLogger(__name__)

DenialWriter = Callable[["UnitOfWork", list["PendingDenial"]], None]
EventHandler = Callable[["UnitOfWork", Any], None]
Rules = Mapping[Permission, Rule]
Handlers = Mapping[type, Sequence[EventHandler]]


@dataclass(frozen=True)
class PendingDenial:
    """A refused authorization waiting to be written to the audit log."""

    actor_label: str
    actor_user_id: object
    actor_org_id: object
    permission: Permission | AuditTag  # what was refused: a permission, or a tagged action
    reason: str
    target_type: str | None
    target_id: str | None


@dataclass
class UnitOfWork:
    """One transaction plus what services need around it."""

    session: Session
    clock: Clock
    settings: Settings
    keyring: KeySource
    rules: Rules = field(default_factory=dict)
    handlers: Handlers = field(default_factory=dict)
    denials: list[PendingDenial] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    request_meta: dict[str, str] = field(default_factory=dict)

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the transaction has committed (never on rollback)."""
        self.after_commit.append(action)

    def publish(self, event: object) -> None:
        """Run every handler of ``event``'s type now, in this transaction.

        A handler's error propagates: the cause and its reactions commit together or not at all.
        """
        for handler in self.handlers.get(type(event), ()):
            handler(self, event)

    def flush_unique(self, message: str, field: str) -> None:
        """Flush in a savepoint, turning a unique-constraint race into a Conflict on ``field``.

        Services check for duplicates first to give a clear message; this catches the race
        where another transaction inserted the same key in between.
        """
        from sqlalchemy.exc import IntegrityError

        try:
            with self.session.begin_nested():
                self.session.flush()
        except IntegrityError as exc:
            raise Conflict(message, field=field) from exc


class UnitOfWorkFactory:
    """Opens units of work; built once by the composition root."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Clock,
        settings: Settings,
        keyring: KeySource,
        denial_writer: DenialWriter,
        rules: Rules,
        handlers: Handlers | None = None,
    ) -> None:
        self.sessions = sessions
        self.rules = rules
        self.handlers: Handlers = handlers or {}
        self.clock = clock
        self.settings = settings
        self.keyring = keyring
        self._denial_writer = denial_writer

    @contextmanager
    def __call__(self, *, request_meta: dict[str, str] | None = None) -> Iterator[UnitOfWork]:
        uow = UnitOfWork(
            session=self.sessions(),
            clock=self.clock,
            settings=self.settings,
            keyring=self.keyring,
            rules=self.rules,
            handlers=self.handlers,
            request_meta=dict(request_meta or {}),
        )
        try:
            yield uow
            if uow.denials:
                self._denial_writer(uow, uow.denials)
                uow.denials = []
            uow.session.commit()
        except BaseException as exc:
            uow.session.rollback()
            uow.session.close()
            if uow.denials:
                self._write_denials_after_rollback(uow, exc)
            if isinstance(exc, StaleDataError):
                # A versioned row (an engagement) changed under this transaction: another request
                # or the sweeper got there first. Nothing was written; the caller may try again.
                raise Conflict("this record was changed by someone else at the same moment; reload it and try again") from exc
            raise
        else:
            uow.session.close()
            for action in uow.after_commit:
                try:
                    action()
                except Exception:  # a side effect must not undo a committed change
                    log.exception("after-commit action failed")

    def _write_denials_after_rollback(self, failed: UnitOfWork, exc: BaseException) -> None:
        fresh = UnitOfWork(
            session=self.sessions(),
            clock=self.clock,
            settings=self.settings,
            keyring=self.keyring,
            rules=self.rules,
            request_meta=failed.request_meta,
        )
        try:
            self._denial_writer(fresh, failed.denials)
            fresh.session.commit()
        except Exception:
            fresh.session.rollback()
            log.exception("could not audit %d denial(s) after %r", len(failed.denials), exc)
        finally:
            fresh.session.close()
