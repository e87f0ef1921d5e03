"""The tamper-evident audit log: hash chain, signed checkpoints, verification, export.

What other areas may use (import the submodule; this package imports nothing at import time):

- ``service``: ``record`` (and ``append`` for actors that are not principals), checkpoints,
  verification, browsing and export;
- ``domain``: ``Outcome`` and the pure chain and anchor rules;
- ``witness``: the witness file of committed checkpoints;
- ``tags``: ``AuditLogTag``, the actions the audit area records in its own log.

``orm``, ``policy``, ``api``, ``web``, ``schemas`` and ``tasks`` are for the composition root and the area itself.
"""

__all__ = ["domain", "service", "tags", "witness"]
