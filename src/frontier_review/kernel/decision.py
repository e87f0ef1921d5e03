"""Authorization decisions: the value every policy function returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Allowed:
    """The action is permitted; ``basis`` says which grant allowed it."""

    basis: str
    allowed: Literal[True] = True


@dataclass(frozen=True)
class Denied:
    """The action is refused; ``reason`` is shown to the caller and written to the audit log."""

    reason: str
    allowed: Literal[False] = False


Decision = Allowed | Denied
