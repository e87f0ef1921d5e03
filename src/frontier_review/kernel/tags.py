"""The base of every area's audit action tags.

Each area declares what it records as a ``StrEnum`` subclass of :class:`AuditTag` (like
Warehouse's ``EventTag``), in its own ``tags`` module; the audit log stores the value
(``"<area>:<thing>:<verb>"``). A typed tag means a misspelt action fails the type check instead
of writing an entry nobody will ever search for.
"""

from __future__ import annotations

from enum import StrEnum


class AuditTag(StrEnum):
    """An audit action; subclasses list an area's actions."""
