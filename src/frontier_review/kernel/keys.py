"""Master keys as the rest of the code sees them: the held key set and where it comes from.

The envelope encryption itself and the key file live in ``security``; this module holds only
what the unit of work (``db.uow``) and error mapping (``web.problems``) must name, so that those
low modules never import an area.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


class UnknownMasterKey(Exception):
    """A data key is wrapped by a master key this process does not hold."""


def master_key_id(key: bytes) -> str:
    """Stable, non-secret identifier of a master key."""
    return "mk_" + hashlib.sha256(b"frontier-review master key id\x00" + key).hexdigest()[:16]


@dataclass(frozen=True)
class MasterKeys:
    """The master keys a process holds; ``active_id`` wraps new data keys."""

    active_id: str
    keys: Mapping[str, bytes]

    def __post_init__(self) -> None:
        if self.active_id not in self.keys:
            raise ValueError("the active master key is not in the keyring")

    @classmethod
    def from_keys(cls, keys: list[bytes]) -> MasterKeys:
        """Build from a list whose first key is the active one."""
        if not keys:
            raise ValueError("at least one master key is needed")
        mapping = {master_key_id(k): k for k in keys}
        return cls(active_id=master_key_id(keys[0]), keys=mapping)


class KeySource(Protocol):
    """Where a process's master keys come from (``security.keyring.KeyringSource``)."""

    def current(self) -> MasterKeys:
        """The keys held now."""
        ...

    def reload(self) -> MasterKeys:
        """The keys read again from their source (after a rotation elsewhere)."""
        ...
