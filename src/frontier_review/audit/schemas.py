"""API models for the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntryOut(BaseModel):
    """An entry exactly as exported: its canonical fields and its hash."""

    seq: int = Field(description="Position in the chain: 1, 2, 3, … with no gaps.")
    id: uuid.UUID = Field(description="The entry's id.")
    occurred_at: str = Field(description="UTC, ISO 8601 with microseconds, as hashed.")
    actor: dict[str, str | None] = Field(
        description="Who acted: `label` (an e-mail address, or `system:<what>` for the platform itself), `user_id`, `org_id`."
    )
    action: str = Field(description="Audit tag, `area:resource:action`.")
    outcome: str = Field(description="success | denied | failure")
    target: dict[str, str | None] = Field(description="What was acted on: `type` and `id`, either of which may be null.")
    reason: str | None = Field(description="Why it was denied or failed; null on success.")
    details: dict[str, Any] = Field(description="Facts specific to the action, such as the request id and client address.")
    prev_hash: str = Field(description="The previous entry's `hash` (64 zeros for entry 1).")
    hash: str = Field(description="SHA-256 (hex) of `prev_hash`, a newline and this entry's canonical JSON without `hash`.")


class VerifyOut(BaseModel):
    """The result of checking the chain and the checkpoints."""

    ok: bool = Field(description="True when every hash, link and signature checked out.")
    entries: int = Field(description="Entries hashed in this verification.")
    from_seq: int = Field(description="Hashing started after this entry: 0 from genesis, else a verified checkpoint.")
    last_seq: int = Field(description="The last entry checked.")
    last_hash: str = Field(description="That entry's hash.")
    checkpoints: int = Field(description="Checkpoints whose signatures were checked.")
    first_bad_seq: int | None = Field(description="The first entry found bad, when a problem concerns one; otherwise null.")
    problems: list[str] = Field(description="What failed, one sentence each; empty when `ok`.")


class CheckpointOut(BaseModel):
    """A signed checkpoint: the chain's tip at one moment, signed by the instance."""

    id: uuid.UUID = Field(description="The checkpoint's id.")
    seq: int = Field(description="The entry the checkpoint covers; it vouches for every entry up to this one.")
    entry_hash: str = Field(description="That entry's hash.")
    created_at: datetime = Field(description="When the checkpoint was signed.")
    key_id: str = Field(description="The signing key, as listed by `GET /api/v1/audit/public-keys`.")
    signature: str = Field(description="Base64 Ed25519 signature over the canonical checkpoint message.")


class PublicKeyOut(BaseModel):
    """A public key that checkpoint signatures are checked with."""

    key_id: str = Field(description="The key id that checkpoints name.")
    algorithm: str = Field(default="Ed25519", description="Always `Ed25519`.")
    public_key: str = Field(description="Raw 32-byte public key, base64.")
