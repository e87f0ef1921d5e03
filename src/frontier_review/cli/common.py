"""Shared CLI plumbing: building the container and turning errors into one clear line."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import typer
from pydantic import ValidationError as PydanticValidationError
from rich.console import Console
from sqlalchemy.exc import OperationalError

from frontier_review.bootstrap import Container
from frontier_review.composition import build_container
from frontier_review.config import ConfigurationError
from frontier_review.kernel.errors import DomainError, FieldProblem, ValidationFailed
from frontier_review.security import envelope

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
        except DomainError as exc:
            raise fail(_describe(exc)) from None
        except ConfigurationError as exc:
            raise fail(str(exc), 2) from None
        except PydanticValidationError as exc:
            problems = "; ".join(f"FR_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors())
            raise fail(f"invalid configuration: {problems}", 2) from None
        except (envelope.DecryptionFailed, envelope.UnknownMasterKey) as exc:
            raise fail(f"cannot decrypt with the configured master key ({exc}); check FR_MASTER_KEY or the key file", 2) from None
        except OperationalError as exc:
            raise fail(f"database unavailable or not migrated (run `frontier-review db upgrade`): {exc.orig}", 3) from None
        except KeyboardInterrupt:
            sys.exit(130)

    return wrapper


def container() -> Container:
    """Build the container for one command (settings come from FR_* variables)."""
    return build_container()
