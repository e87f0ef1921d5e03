"""Use cases of the security kernel: sealing fields, the instance signing key, key rotation."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.clock import Clock
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.keys import KeySource
from frontier_review.security import envelope
from frontier_review.security.orm import DataKey, InstanceKey

__all__ = [
    "SigningKey",
    "count_keys_by_master",
    "ensure_signing_key",
    "find_signing_key",
    "forget_data_keys",
    "key_samples",
    "newest_data_key",
    "open_field",
    "public_key_id",
    "rewrap_data_keys",
    "seal_field",
    "trusted_public_keys",
]

AUDIT_SIGNING = "audit-signing"


def seal_field(uow: UnitOfWork, plaintext: bytes, *, table: str, row_id: str, field: str) -> bytes:
    """Encrypt ``plaintext`` for ``table.field`` of row ``row_id`` under a new data key."""
    data_key_id = new_id()
    data_key = envelope.generate_key()
    master_id, wrapped = envelope.wrap_data_key(uow.keyring.current(), data_key_id, data_key)
    uow.session.add(
        DataKey(
            id=data_key_id,
            master_key_id=master_id,
            wrapped_key=wrapped,
            owner_table=table,
            owner_id=row_id,
            owner_field=field,
            created_at=uow.clock.now(),
        )
    )
    return envelope.seal(data_key_id, data_key, plaintext, envelope.field_aad(table, row_id, field))


def forget_data_keys(uow: UnitOfWork, *, table: str, owner_prefix: str) -> int:
    """Delete the data keys of ``table`` rows whose id starts with ``owner_prefix``; returns how many.

    Crypto-shredding: whatever they sealed, wherever a copy survives, can no longer be opened.
    """
    result = uow.session.execute(
        delete(DataKey).where(DataKey.owner_table == table, DataKey.owner_id.startswith(owner_prefix, autoescape=True))
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def newest_data_key(uow: UnitOfWork, *, table: str, owner_prefix: str) -> datetime | None:
    """When the newest data key of ``table`` rows whose id starts with ``owner_prefix`` was made.

    ``None`` when there is none. Sweepers use it to tell how old a sealed thing is.
    """
    return uow.session.scalar(
        select(func.max(DataKey.created_at)).where(
            DataKey.owner_table == table, DataKey.owner_id.startswith(owner_prefix, autoescape=True)
        )
    )


def open_field(session: Session, keyring: KeySource, sealed: bytes, *, table: str, row_id: str, field: str) -> bytes:
    """Decrypt a value sealed by :func:`seal_field`; raises ``envelope.DecryptionFailed``."""
    data_key_id = envelope.sealed_data_key_id(sealed)
    row = session.get(DataKey, data_key_id)
    if row is None:
        raise envelope.DecryptionFailed(f"data key {data_key_id} is missing")
    try:
        data_key = envelope.unwrap_data_key(keyring.current(), row.master_key_id, row.id, row.wrapped_key)
    except envelope.UnknownMasterKey:
        # Another process may have rotated the key file since we loaded it.
        data_key = envelope.unwrap_data_key(keyring.reload(), row.master_key_id, row.id, row.wrapped_key)
    return envelope.open_sealed(data_key, sealed, envelope.field_aad(table, row_id, field))


@dataclass(frozen=True)
class SigningKey:
    """The instance's active signing key, unsealed for this use only."""

    key_id: str
    private: Ed25519PrivateKey
    public: Ed25519PublicKey


def public_key_id(public_raw: bytes) -> str:
    """The key id of a raw Ed25519 public key: ``ed25519_`` and the first 16 hex digits of its SHA-256."""
    return "ed25519_" + hashlib.sha256(public_raw).hexdigest()[:16]


def ensure_signing_key(uow: UnitOfWork) -> SigningKey:
    """Return the active audit signing key, creating it on first use."""
    found = find_signing_key(uow.session, uow.keyring)
    if found is not None:
        return found
    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    key_id = public_key_id(public_raw)
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    sealed = seal_field(uow, raw_private, table="instance_keys", row_id=key_id, field="private_key_sealed")
    # A savepoint so that losing a creation race to another process costs nothing.
    try:
        with uow.session.begin_nested():
            uow.session.add(
                InstanceKey(
                    id=key_id,
                    purpose=AUDIT_SIGNING,
                    public_key=public_raw,
                    private_key_sealed=sealed,
                    active=True,
                    created_at=uow.clock.now(),
                )
            )
    except IntegrityError:
        pass
    found = find_signing_key(uow.session, uow.keyring)
    if found is None:  # pragma: no cover - the insert above or a concurrent one exists
        raise RuntimeError("could not create the instance signing key")
    return found


def find_signing_key(session: Session, keyring: KeySource) -> SigningKey | None:
    """The active signing key, unsealed and checked against its stored public half."""
    row = session.scalars(
        select(InstanceKey)
        .where(InstanceKey.purpose == AUDIT_SIGNING, InstanceKey.active.is_(True))
        .order_by(InstanceKey.created_at)
    ).first()
    if row is None:
        return None
    raw = open_field(session, keyring, row.private_key_sealed, table="instance_keys", row_id=row.id, field="private_key_sealed")
    private = Ed25519PrivateKey.from_private_bytes(raw)
    public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if public_raw != row.public_key or public_key_id(public_raw) != row.id:
        raise envelope.DecryptionFailed("stored public key does not match the sealed private key")
    return SigningKey(key_id=row.id, private=private, public=private.public_key())


def trusted_public_keys(session: Session, keyring: KeySource) -> dict[str, Ed25519PublicKey]:
    """Signing keys whose sealed private half opens under our master key and matches.

    A row inserted by someone with database access but without the master key cannot pass,
    so verification never trusts a public key merely because it sits in the database.

    A key wrapped by a master key we do not hold is ambiguous: a misconfigured process (none
    of our keys wraps anything) or a planted row (our keys wrap other data). Only the first
    is raised as ``envelope.UnknownMasterKey``; the second is simply not trusted.
    """
    trusted: dict[str, Ed25519PublicKey] = {}
    unknown: envelope.UnknownMasterKey | None = None
    for row in session.scalars(select(InstanceKey).where(InstanceKey.purpose == AUDIT_SIGNING)):
        try:
            raw = open_field(
                session, keyring, row.private_key_sealed, table="instance_keys", row_id=row.id, field="private_key_sealed"
            )
            derived = Ed25519PrivateKey.from_private_bytes(raw).public_key()
        except envelope.UnknownMasterKey as exc:
            unknown = exc
            continue
        except (envelope.DecryptionFailed, ValueError):
            continue
        if derived.public_bytes(Encoding.Raw, PublicFormat.Raw) == row.public_key and public_key_id(row.public_key) == row.id:
            trusted[row.id] = derived
    if unknown is not None and not trusted and not _wraps_anything(session, keyring):
        raise unknown
    return trusted


def _wraps_anything(session: Session, keyring: KeySource) -> bool:
    held = list(keyring.current().keys)
    return session.scalar(select(DataKey.id).where(DataKey.master_key_id.in_(held)).limit(1)) is not None


def key_samples(session: Session) -> list[tuple[str, uuid.UUID, bytes]]:
    """One wrapped data key per master key in use: (master key id, data key id, wrapped key).

    A backup keeps these so that a restore can prove, before it changes anything, that the
    master keys it will run with open the backed-up data.
    """
    samples = []
    # One query per master key (there are a handful); PostgreSQL has no min() over uuid.
    for master_id in session.scalars(select(DataKey.master_key_id).distinct().order_by(DataKey.master_key_id)):
        row = session.execute(
            select(DataKey.id, DataKey.wrapped_key).where(DataKey.master_key_id == master_id).order_by(DataKey.id).limit(1)
        ).one()
        samples.append((master_id, row.id, bytes(row.wrapped_key)))
    return samples


def count_keys_by_master(session: Session) -> dict[str, int]:
    """How many data keys each master key wraps."""
    rows = session.execute(select(DataKey.master_key_id, func.count()).group_by(DataKey.master_key_id))
    return {master_id: int(count) for master_id, count in rows}


def rewrap_data_keys(sessions: sessionmaker[Session], keyring: KeySource, clock: Clock, *, batch_size: int = 500) -> int:
    """Re-wrap every data key not under the active master key, one short transaction per batch.

    Servers keep running: a data key is readable before and after its batch commits, since
    the old master key stays in the keyring until every data key has moved.
    """
    keys = keyring.current()
    moved = 0
    while True:
        with sessions() as session, session.begin():
            rows = session.scalars(
                select(DataKey)
                .where(DataKey.master_key_id != keys.active_id)
                .order_by(DataKey.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return moved
            for row in rows:
                plain = envelope.unwrap_data_key(keys, row.master_key_id, row.id, row.wrapped_key)
                row.master_key_id, row.wrapped_key = envelope.wrap_data_key(keys, row.id, plain)
                row.rewrapped_at = clock.now()
            moved += len(rows)
