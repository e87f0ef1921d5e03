"""Shared CLI plumbing: command classes and parameter types, output, one clear line per error.

Imported by every command group at start-up, so it imports nothing heavy itself: the
container, the error classes it maps and Rich (for tables) are imported when a command runs,
prints a table or fails. The CLI is plain click: Typer coerced every parameter through
pydantic and rendered help with Rich, which cost more at start-up than the rest of the CLI.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click
from click.exceptions import Exit

from frontier_review.kernel.errors import DomainError, FieldProblem, ValidationFailed

if TYPE_CHECKING:
    from rich.table import Table

    from frontier_review.bootstrap import Container

P = ParamSpec("P")
R = TypeVar("R")
E = TypeVar("E", bound=Enum)


def _first_paragraph(command: click.Command) -> str:
    """The first paragraph of a command's help, on one line: its entry in its group's list."""
    if command.short_help or not command.help:
        return ""
    return " ".join(inspect.cleandoc(command.help).partition("\f")[0].partition("\n\n")[0].split())


class Command(click.Command):
    """A command listed in its group with its help's whole first paragraph.

    Click would cut the listing at the first sentence or a width; the first paragraphs are
    written to be read there in full (the formatter wraps them).
    """

    def get_short_help_str(self, limit: int = 45) -> str:
        return _first_paragraph(self) or super().get_short_help_str(limit)


class Group(click.Group):
    """A command group: listed like :class:`Command`, subcommands in the order they are defined."""

    command_class = Command
    group_class = type  # subgroups are of this class too

    def get_short_help_str(self, limit: int = 45) -> str:
        return _first_paragraph(self) or super().get_short_help_str(limit)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            # The help on standard output, exit code 2, as before; click would print it on stderr.
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(2)
        return super().parse_args(ctx, args)


class EnumChoice(click.Choice[E]):
    """One of an enum's values (``program_office``), passed on as the enum member.

    Click's own enum support matches member names (``PROGRAM_OFFICE``); the CLI takes the
    values, as stored and as the web forms and the API take them.
    """

    def __init__(self, enum: type[E]) -> None:
        super().__init__(list(enum))

    def normalize_choice(self, choice: object, ctx: click.Context | None) -> str:
        return super().normalize_choice(choice.value if isinstance(choice, Enum) else choice, ctx)


class DateTime(click.ParamType[datetime]):
    """An ISO 8601 date or date and time, with or without an offset, or Unix seconds."""

    name = "datetime"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        text = str(value).strip()
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
        try:
            seconds = float(text)
        except ValueError:
            self.fail(f"{value!r} is not a date and time (e.g. 2025-01-31, 2025-01-31T14:00, 2025-01-31T14:00+01:00)", param, ctx)
        # Like the pydantic parsing the CLI had before: a large number counts milliseconds.
        return datetime.fromtimestamp(seconds / 1000 if abs(seconds) > 2e10 else seconds, UTC)


def echo(message: str = "", *, err: bool = False, **style: Any) -> None:
    """Print a line; ``style`` (click.style's keywords) and inline styles show on a terminal only.

    ``NO_COLOR`` turns colour off everywhere, as it did when Rich printed the CLI's output.
    """
    click.secho(message, err=err, color=False if os.environ.get("NO_COLOR") else None, **style)


def print_table(table: Table) -> None:
    """Print a Rich table on standard output (the command that built it imported Rich)."""
    from rich.console import Console

    Console().print(table)


def fail(message: str, code: int = 1) -> Exit:
    """Print ``message`` as one line on stderr and return the exit to raise."""
    echo(f"{click.style('error:', fg='red', bold=True)} {message}", err=True)
    return Exit(code)


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


def _exit_for(exc: Exception) -> Exit | None:
    """The message and exit for an expected failure, or None to let ``exc`` propagate.

    The error classes are imported here, on the way out, so that a command which never
    touches the database or the configuration does not load SQLAlchemy or pydantic to start.
    """
    if isinstance(exc, Exit | click.ClickException):  # fail() already printed its line; click reports its own
        return None
    if isinstance(exc, DomainError):
        return fail(_describe(exc))

    from pydantic import ValidationError as PydanticValidationError
    from sqlalchemy.exc import OperationalError

    from frontier_review.config import ConfigurationError
    from frontier_review.db.migrate import DatabaseNewerThanCode
    from frontier_review.security import envelope

    if isinstance(exc, ConfigurationError | DatabaseNewerThanCode):
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
