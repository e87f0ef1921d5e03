"""Hand-built audit chains for the unit tests (no database)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from frontier_review.audit.domain import GENESIS_HASH, EntryFields, StoredEntry, check_details, entry_hash

T0 = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)


def fields(seq: int, prev_hash: str, details: Mapping[str, Any] | None = None) -> EntryFields:
    return EntryFields(
        seq=seq,
        id=uuid.UUID(int=seq),
        occurred_at=T0 + timedelta(seconds=seq),
        actor_label="tester@example.org",
        actor_user_id=uuid.UUID(int=0x100),
        actor_org_id=uuid.UUID(int=0x200),
        action="identity:organization:created",
        outcome="success",
        target_type="organization",
        target_id=str(uuid.UUID(int=0x300 + seq)),
        reason=None,
        details=check_details(details or {"n": seq}),
        prev_hash=prev_hash,
    )


def build_chain(details: Sequence[Mapping[str, Any]]) -> list[StoredEntry]:
    """A correctly linked chain, one entry per details mapping."""
    chain: list[StoredEntry] = []
    prev = GENESIS_HASH
    for seq, d in enumerate(details, start=1):
        f = fields(seq, prev, d)
        digest = entry_hash(f)
        chain.append(StoredEntry(f, digest))
        prev = digest
    return chain


def chain_of(n: int) -> list[StoredEntry]:
    return build_chain([{"n": i} for i in range(1, n + 1)])


def relink(entries: Sequence[StoredEntry]) -> list[StoredEntry]:
    """Recompute every link and hash, as a forger with write access to the table would."""
    out: list[StoredEntry] = []
    prev = GENESIS_HASH
    for stored in entries:
        f = replace(stored.fields, prev_hash=prev)
        digest = entry_hash(f)
        out.append(StoredEntry(f, digest))
        prev = digest
    return out


def head(chain: Sequence[StoredEntry]) -> tuple[int, str]:
    return (chain[-1].fields.seq, chain[-1].hash) if chain else (0, GENESIS_HASH)
