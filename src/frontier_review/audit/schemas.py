"""API models for the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryOut(BaseModel):
    """An entry exactly as exported: its canonical fields and its hash."""

    seq: int
    id: uuid.UUID
    occurred_at: str = Field(description="UTC, ISO 8601 with microseconds, as hashed.")
    actor: dict[str, str | None]
    action: str = Field(description="Audit tag, `area:resource:action`.")
    outcome: str = Field(description="success | denied | failure")
    target: dict[str, str | None]
    reason: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int = Field(description="Entries hashed in this verification.")
    from_seq: int = Field(description="Hashing started after this entry: 0 from genesis, else a verified checkpoint.")
    last_seq: int
    last_hash: str
    checkpoints: int
    first_bad_seq: int | None
    problems: list[str]


class CheckpointOut(BaseModel):
    id: uuid.UUID
    seq: int
    entry_hash: str
    created_at: datetime
    key_id: str
    signature: str = Field(description="Base64 Ed25519 signature over the canonical checkpoint message.")


class PublicKeyOut(BaseModel):
    key_id: str
    algorithm: str = "Ed25519"
    public_key: str = Field(description="Raw 32-byte public key, base64.")
