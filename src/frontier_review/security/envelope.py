"""Envelope encryption: AES-256-GCM data keys wrapped by a master key.

Each secret gets its own 256-bit data key. The value is encrypted under the data key with
associated data naming the row and field it belongs to, so a ciphertext copied into another
row or field fails to decrypt. The data key is wrapped (AES-256-GCM again) under the active
master key with its own id as associated data. Rotating the master key re-wraps data keys
only; ciphertexts never change.
"""

from __future__ import annotations

import base64
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from frontier_review.kernel.keys import MasterKeys, UnknownMasterKey, master_key_id

__all__ = [
    "KEY_BYTES",
    "NONCE_BYTES",
    "SEALED_VERSION",
    "DecryptionFailed",
    "MasterKeys",
    "UnknownMasterKey",
    "decode_key",
    "encode_key",
    "field_aad",
    "generate_key",
    "master_key_id",
    "open_sealed",
    "seal",
    "sealed_data_key_id",
    "unwrap_data_key",
    "wrap_data_key",
]

KEY_BYTES = 32
NONCE_BYTES = 12
SEALED_VERSION = b"\x01"


class DecryptionFailed(Exception):
    """A ciphertext did not authenticate: wrong key, wrong row or field, or tampering."""


def generate_key() -> bytes:
    """A fresh random 256-bit key."""
    return AESGCM.generate_key(bit_length=256)


def encode_key(key: bytes) -> str:
    """A key as base64 text, the form :func:`decode_key` reads."""
    return base64.b64encode(key).decode("ascii")


def decode_key(text: str) -> bytes:
    """Decode a base64 key and check its length."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise ValueError("master key is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"master key must be {KEY_BYTES} bytes, got {len(key)}")
    return key


def _data_key_aad(data_key_id: uuid.UUID) -> bytes:
    return b"fr:data-key:v1:" + data_key_id.bytes


def wrap_data_key(master: MasterKeys, data_key_id: uuid.UUID, data_key: bytes) -> tuple[str, bytes]:
    """Wrap ``data_key`` under the active master key; returns (master key id, wrapped bytes)."""
    nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(master.keys[master.active_id]).encrypt(nonce, data_key, _data_key_aad(data_key_id))
    return master.active_id, nonce + wrapped


def unwrap_data_key(master: MasterKeys, master_id: str, data_key_id: uuid.UUID, wrapped: bytes) -> bytes:
    """Unwrap a data key; raises ``UnknownMasterKey`` or ``DecryptionFailed``."""
    key = master.keys.get(master_id)
    if key is None:
        raise UnknownMasterKey(f"master key {master_id} is not loaded")
    if len(wrapped) < NONCE_BYTES + 16:
        raise DecryptionFailed(f"wrapped data key {data_key_id} is truncated")
    try:
        return AESGCM(key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _data_key_aad(data_key_id))
    except InvalidTag as exc:
        raise DecryptionFailed(f"data key {data_key_id} does not unwrap under {master_id}") from exc


def field_aad(table: str, row_id: str, field: str) -> bytes:
    """Associated data binding a ciphertext to one field of one row."""
    return f"fr:field:v1:{table}:{row_id}:{field}".encode()


def seal(data_key_id: uuid.UUID, data_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt ``plaintext``; the result names its data key so it can be opened later."""
    nonce = os.urandom(NONCE_BYTES)
    return SEALED_VERSION + data_key_id.bytes + nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)


def sealed_data_key_id(sealed: bytes) -> uuid.UUID:
    """The data key id a sealed value was encrypted under."""
    if len(sealed) < 1 + 16 + NONCE_BYTES + 16 or sealed[:1] != SEALED_VERSION:
        raise DecryptionFailed("not a sealed value")
    return uuid.UUID(bytes=sealed[1:17])


def open_sealed(data_key: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Decrypt a value produced by :func:`seal`; raises ``DecryptionFailed``."""
    sealed_data_key_id(sealed)
    nonce = sealed[17 : 17 + NONCE_BYTES]
    try:
        return AESGCM(data_key).decrypt(nonce, sealed[17 + NONCE_BYTES :], aad)
    except InvalidTag as exc:
        raise DecryptionFailed("sealed value does not authenticate for this row and field") from exc
