"""The one error hierarchy of the domain.

Errors carry a stable ``code`` and never an HTTP status: each adapter (REST, web, CLI,
jobs) maps them in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one input field."""

    field: str
    message: str


class DomainError(Exception):
    """Base class of every expected failure."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    """The thing asked for does not exist (or the caller may not know it exists)."""

    code = "not_found"


class PermissionDenied(DomainError):
    """The principal may not do this; ``reason`` says why."""

    code = "permission_denied"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotAuthenticated(DomainError):
    """No valid credential was presented."""

    code = "not_authenticated"


class Conflict(DomainError):
    """The change clashes with stored state (duplicate name, stale version, …)."""

    code = "conflict"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidTransition(DomainError):
    """A state machine refused a transition."""

    code = "invalid_transition"


class ValidationFailed(DomainError):
    """Input broke a rule; ``problems`` names each offending field."""

    code = "validation_failed"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        problems: Sequence[FieldProblem] = (),
    ) -> None:
        super().__init__(message)
        found = list(problems)
        if field is not None and not found:
            found.append(FieldProblem(field=field, message=message))
        self.problems: tuple[FieldProblem, ...] = tuple(found)


class TooManyAttempts(DomainError):
    """Throttled: too many attempts in a short time."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class ConfigurationRefused(DomainError):
    """The operation is not allowed in this configuration (for example, demo data in prod)."""

    code = "configuration_refused"
