"""Shared CLI plumbing: building the container and turning errors into one clear line.

Imported by every command group at start-up, so it imports nothing heavy itself: the
container and the error classes it maps are imported when a command runs or fails.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import typer
from rich.console import Console

from frontier_review.kernel.errors import DomainError, FieldProblem, ValidationFailed

if TYPE_CHECKING:
    from frontier_review.bootstrap import Container

console = Console()
err_console = Console(stderr=True)

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as one line on stderr and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _describe(exc: DomainError) -> str:
    if isinstance(exc, ValidationFailed) and exc.problems:
        return "; ".join(f"{p.field}: {p.message}" for p in exc.problems if isinstance(p, FieldProblem))
    return exc.message


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Map expected failures to a message and a non-zero exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt:
            sys.exit(130)
        except Exception as exc:
            exit_ = _exit_for(exc)
            if exit_ is None:
                raise
            raise exit_ from None

    return wrapper


def _exit_for(exc: Exception) -> typer.Exit | None:
    """The message and exit for an expected failure, or None to let ``exc`` propagate.

    The error classes are imported here, on the way out, so that a command which never
    touches the database or the configuration does not load SQLAlchemy or pydantic to start.
    """
    if isinstance(exc, typer.Exit):  # fail() already printed its line
        return None
    if isinstance(exc, DomainError):
        return fail(_describe(exc))

    from pydantic import ValidationError as PydanticValidationError
    from sqlalchemy.exc import OperationalError

    from frontier_review.config import ConfigurationError
    from frontier_review.security import envelope

    if isinstance(exc, ConfigurationError):
        message, code = str(exc), 2
    elif isinstance(exc, PydanticValidationError):
        problems = "; ".join(f"FR_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors())
        message, code = f"invalid configuration: {problems}", 2
    elif isinstance(exc, envelope.DecryptionFailed | envelope.UnknownMasterKey):
        message, code = f"cannot decrypt with the configured master key ({exc}); check FR_MASTER_KEY or the key file", 2
    elif isinstance(exc, OperationalError):
        message, code = f"database unavailable or not migrated (run `frontier-review db upgrade`): {exc.orig}", 3
    else:
        return None
    return fail(message, code)


def container() -> Container:
    """Build the container for one command (settings come from FR_* variables)."""
    from frontier_review.composition import build_container

    return build_container()
