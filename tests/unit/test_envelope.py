"""Envelope encryption: sealed values bound to their row and field, data keys wrapped by master keys."""

from __future__ import annotations

import base64
import uuid

import pytest

from frontier_review.security.envelope import (
    KEY_BYTES,
    DecryptionFailed,
    MasterKeys,
    UnknownMasterKey,
    decode_key,
    encode_key,
    field_aad,
    generate_key,
    master_key_id,
    open_sealed,
    seal,
    sealed_data_key_id,
    unwrap_data_key,
    wrap_data_key,
)

DATA_KEY_ID = uuid.UUID(int=0xDA7A)
ROW = "5f0c2b1e-0000-0000-0000-000000000001"
AAD = field_aad("model_targets", ROW, "credential")


def flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


# seal / open --------------------------------------------------------------------------


def test_seal_and_open_round_trip() -> None:
    key = generate_key()
    sealed = seal(DATA_KEY_ID, key, b"sk-upstream-secret", AAD)
    assert b"sk-upstream-secret" not in sealed
    assert open_sealed(key, sealed, AAD) == b"sk-upstream-secret"
    assert sealed_data_key_id(sealed) == DATA_KEY_ID


def test_empty_plaintext_round_trips() -> None:
    key = generate_key()
    assert open_sealed(key, seal(DATA_KEY_ID, key, b"", AAD), AAD) == b""


def test_each_seal_uses_a_fresh_nonce() -> None:
    key = generate_key()
    assert seal(DATA_KEY_ID, key, b"same", AAD) != seal(DATA_KEY_ID, key, b"same", AAD)


@pytest.mark.parametrize(
    "other_aad",
    [
        field_aad("model_targets", "5f0c2b1e-0000-0000-0000-000000000002", "credential"),  # another row
        field_aad("model_targets", ROW, "base_url"),  # another field
        field_aad("engagements", ROW, "credential"),  # another table
    ],
    ids=["other-row", "other-field", "other-table"],
)
def test_ciphertext_moved_elsewhere_does_not_open(other_aad: bytes) -> None:
    key = generate_key()
    sealed = seal(DATA_KEY_ID, key, b"secret", AAD)
    with pytest.raises(DecryptionFailed):
        open_sealed(key, sealed, other_aad)


def test_wrong_data_key_does_not_open() -> None:
    sealed = seal(DATA_KEY_ID, generate_key(), b"secret", AAD)
    with pytest.raises(DecryptionFailed):
        open_sealed(generate_key(), sealed, AAD)


@pytest.mark.parametrize("where", ["nonce", "ciphertext", "tag"])
def test_tampered_sealed_value_does_not_open(where: str) -> None:
    key = generate_key()
    sealed = seal(DATA_KEY_ID, key, b"a secret long enough", AAD)
    index = {"nonce": 17, "ciphertext": 17 + 12, "tag": len(sealed) - 1}[where]
    with pytest.raises(DecryptionFailed):
        open_sealed(key, flip(sealed, index), AAD)


@pytest.mark.parametrize("bad", [b"", b"\x01" + b"\x00" * 20, b"\x02" + b"\x00" * 60], ids=["empty", "short", "version"])
def test_not_a_sealed_value(bad: bytes) -> None:
    with pytest.raises(DecryptionFailed, match="not a sealed value"):
        sealed_data_key_id(bad)
    with pytest.raises(DecryptionFailed):
        open_sealed(generate_key(), bad, AAD)


def test_field_aad_names_table_row_and_field() -> None:
    assert field_aad("t", "r", "f") == b"fr:field:v1:t:r:f"


# master keys and data-key wrapping ------------------------------------------------------


def test_master_key_id_is_stable_distinct_and_not_the_key() -> None:
    key = generate_key()
    assert master_key_id(key) == master_key_id(bytes(key))
    assert master_key_id(key).startswith("mk_")
    assert len(master_key_id(key)) == 3 + 16
    assert master_key_id(key) != master_key_id(generate_key())
    assert encode_key(key) not in master_key_id(key)


def test_master_keys_from_keys_first_is_active() -> None:
    first, second = generate_key(), generate_key()
    keys = MasterKeys.from_keys([first, second])
    assert keys.active_id == master_key_id(first)
    assert dict(keys.keys) == {master_key_id(first): first, master_key_id(second): second}


def test_master_keys_needs_a_key_and_an_active_one_it_holds() -> None:
    with pytest.raises(ValueError, match="at least one"):
        MasterKeys.from_keys([])
    key = generate_key()
    with pytest.raises(ValueError, match="not in the keyring"):
        MasterKeys(active_id="mk_missing", keys={master_key_id(key): key})


def test_wrap_and_unwrap_round_trip() -> None:
    master = MasterKeys.from_keys([generate_key()])
    data_key = generate_key()
    master_id, wrapped = wrap_data_key(master, DATA_KEY_ID, data_key)
    assert master_id == master.active_id
    assert data_key not in wrapped
    assert unwrap_data_key(master, master_id, DATA_KEY_ID, wrapped) == data_key


def test_wrapped_key_is_bound_to_its_data_key_id() -> None:
    master = MasterKeys.from_keys([generate_key()])
    master_id, wrapped = wrap_data_key(master, DATA_KEY_ID, generate_key())
    with pytest.raises(DecryptionFailed):
        unwrap_data_key(master, master_id, uuid.UUID(int=0xBEEF), wrapped)


def test_tampered_wrapped_key_fails() -> None:
    master = MasterKeys.from_keys([generate_key()])
    master_id, wrapped = wrap_data_key(master, DATA_KEY_ID, generate_key())
    with pytest.raises(DecryptionFailed):
        unwrap_data_key(master, master_id, DATA_KEY_ID, flip(wrapped, len(wrapped) - 1))


@pytest.mark.parametrize("length", [0, 5, 11, 20])
def test_truncated_wrapped_key_fails_as_decryption_failure(length: int) -> None:
    """unwrap_data_key documents ``UnknownMasterKey`` or ``DecryptionFailed`` only."""
    master = MasterKeys.from_keys([generate_key()])
    master_id, wrapped = wrap_data_key(master, DATA_KEY_ID, generate_key())
    with pytest.raises(DecryptionFailed):
        unwrap_data_key(master, master_id, DATA_KEY_ID, wrapped[:length])


def test_same_id_but_different_key_material_fails() -> None:
    real, impostor = generate_key(), generate_key()
    master_id, wrapped = wrap_data_key(MasterKeys.from_keys([real]), DATA_KEY_ID, generate_key())
    fake = MasterKeys(active_id=master_id, keys={master_id: impostor})
    with pytest.raises(DecryptionFailed):
        unwrap_data_key(fake, master_id, DATA_KEY_ID, wrapped)


def test_unknown_master_key() -> None:
    old = MasterKeys.from_keys([generate_key()])
    master_id, wrapped = wrap_data_key(old, DATA_KEY_ID, generate_key())
    other = MasterKeys.from_keys([generate_key()])
    with pytest.raises(UnknownMasterKey, match=master_id):
        unwrap_data_key(other, master_id, DATA_KEY_ID, wrapped)


def test_rotation_wraps_under_new_key_and_old_wraps_still_open() -> None:
    old_key, new_key = generate_key(), generate_key()
    data_key = generate_key()
    old_id, old_wrapped = wrap_data_key(MasterKeys.from_keys([old_key]), DATA_KEY_ID, data_key)
    rotated = MasterKeys.from_keys([new_key, old_key])
    new_id, new_wrapped = wrap_data_key(rotated, DATA_KEY_ID, data_key)
    assert new_id == master_key_id(new_key) != old_id
    assert unwrap_data_key(rotated, old_id, DATA_KEY_ID, old_wrapped) == data_key
    assert unwrap_data_key(rotated, new_id, DATA_KEY_ID, new_wrapped) == data_key
    retired = MasterKeys.from_keys([new_key])
    with pytest.raises(UnknownMasterKey):
        unwrap_data_key(retired, old_id, DATA_KEY_ID, old_wrapped)


def test_sealed_value_survives_master_key_rotation() -> None:
    """Rotation re-wraps the data key only; the sealed value itself never changes."""
    data_key = generate_key()
    sealed = seal(DATA_KEY_ID, data_key, b"secret", AAD)
    old_id, _old_wrapped = wrap_data_key(MasterKeys.from_keys([generate_key()]), DATA_KEY_ID, data_key)
    new_master = MasterKeys.from_keys([generate_key()])
    _new_id, rewrapped = wrap_data_key(new_master, DATA_KEY_ID, data_key)
    assert old_id != new_master.active_id
    assert open_sealed(unwrap_data_key(new_master, new_master.active_id, DATA_KEY_ID, rewrapped), sealed, AAD) == b"secret"


# key encoding ------------------------------------------------------------------------


def test_generate_key_length_and_randomness() -> None:
    assert len(generate_key()) == KEY_BYTES
    assert generate_key() != generate_key()


def test_encode_decode_round_trip_and_whitespace() -> None:
    key = generate_key()
    assert decode_key(encode_key(key)) == key
    assert decode_key(f"  {encode_key(key)}\n") == key


@pytest.mark.parametrize("text", ["not base64!", "abc", "é" * 44], ids=["symbols", "padding", "non-ascii"])
def test_decode_key_refuses_invalid_base64(text: str) -> None:
    with pytest.raises(ValueError, match="not valid base64"):
        decode_key(text)


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_decode_key_refuses_wrong_length(length: int) -> None:
    with pytest.raises(ValueError, match=f"must be 32 bytes, got {length}"):
        decode_key(base64.b64encode(b"k" * length).decode())
