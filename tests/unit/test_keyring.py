"""Where master keys come from: FR_MASTER_KEY or a 0600 key file, generated in dev only."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest
from pydantic import SecretStr

from frontier_review.config import ConfigurationError, Environment, Settings, load_settings
from frontier_review.security.envelope import (
    MasterKeys,
    encode_key,
    generate_key,
    master_key_id,
    unwrap_data_key,
    wrap_data_key,
)
from frontier_review.security.keyring import KeyringSource, keyring_document, write_private_file


def dev(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(data_dir=tmp_path, **overrides)


def prod(tmp_path: Path, **overrides: object) -> Settings:
    return load_settings(env=Environment.PROD, data_dir=tmp_path, **overrides)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_operator_file(path: Path, keys: list[bytes]) -> None:
    write_private_file(path, json.dumps(keyring_document(keys, origin="operator")))


# the key file --------------------------------------------------------------------------


def test_dev_generates_a_private_key_file(tmp_path: Path) -> None:
    source = KeyringSource(dev(tmp_path))
    path = tmp_path / "keys" / "master.keys"
    assert source.path == path
    assert source.from_file
    assert mode(path) == 0o600
    doc = json.loads(path.read_text())
    assert doc["version"] == 1
    assert doc["origin"] == "generated"
    assert doc["active"] == source.current().active_id
    assert [k["id"] for k in doc["keys"]] == [source.current().active_id]
    assert not path.with_name("master.keys.tmp").exists()


def test_generated_file_is_reused(tmp_path: Path) -> None:
    first = KeyringSource(dev(tmp_path)).current()
    assert KeyringSource(dev(tmp_path)).current() == first


@pytest.mark.parametrize("loose", [0o640, 0o604, 0o660])
def test_refuses_a_file_readable_by_others(tmp_path: Path, loose: int) -> None:
    KeyringSource(dev(tmp_path))
    (tmp_path / "keys" / "master.keys").chmod(loose)
    with pytest.raises(ConfigurationError, match="chmod 600"):
        KeyringSource(dev(tmp_path))


def test_prod_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        KeyringSource(prod(tmp_path))
    assert not (tmp_path / "keys" / "master.keys").exists()


def test_prod_refuses_a_generated_file(tmp_path: Path) -> None:
    KeyringSource(dev(tmp_path))
    with pytest.raises(ConfigurationError, match="generated master key file"):
        KeyringSource(prod(tmp_path))


def test_prod_accepts_an_operator_file(tmp_path: Path) -> None:
    key = generate_key()
    path = tmp_path / "operator.keys"
    write_operator_file(path, [key])
    source = KeyringSource(prod(tmp_path, master_key_file=path))
    assert source.current() == MasterKeys.from_keys([key])


def test_dev_refuses_a_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        KeyringSource(dev(tmp_path, master_key_file=tmp_path / "nowhere.keys"))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read master key file"),
        ("[]", "is not a Frontier Review key file"),
        (json.dumps({"version": 2, "keys": []}), "is not a Frontier Review key file"),
        (json.dumps({"version": 1, "active": "mk_nope", "keys": []}), "active key 'mk_nope' is not in the file"),
    ],
)
def test_refuses_a_malformed_file(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.keys"
    write_private_file(path, content)
    with pytest.raises(ConfigurationError, match=message):
        KeyringSource(dev(tmp_path, master_key_file=path))


def test_write_private_file_modes(tmp_path: Path) -> None:
    path = tmp_path / "new" / "secret.json"
    write_private_file(path, "one")
    write_private_file(path, "two")
    assert path.read_text() == "two"
    assert mode(path) == 0o600
    assert list(path.parent.iterdir()) == [path]


def test_write_private_file_creates_every_missing_directory_private(tmp_path: Path) -> None:
    """``mkdir(parents=True)`` would leave the upper directories it creates readable by all."""
    tmp_path.chmod(0o755)
    path = tmp_path / "data" / "keys" / "master.keys"
    write_private_file(path, "{}")
    assert (mode(tmp_path / "data"), mode(tmp_path / "data" / "keys"), mode(path)) == (0o700, 0o700, 0o600)
    assert mode(tmp_path) == 0o755  # a directory that already existed is left as it was


def test_keyring_document_first_key_active() -> None:
    first, second = generate_key(), generate_key()
    doc = keyring_document([first, second], origin="operator")
    assert doc["active"] == master_key_id(first)
    assert [k["key"] for k in doc["keys"]] == [encode_key(first), encode_key(second)]


# FR_MASTER_KEY -------------------------------------------------------------------------


def test_environment_keys_first_is_active(tmp_path: Path) -> None:
    first, second = generate_key(), generate_key()
    source = KeyringSource(dev(tmp_path, master_key=SecretStr(f"{encode_key(first)}, {encode_key(second)},")))
    keys = source.current()
    assert keys.active_id == master_key_id(first)
    assert set(keys.keys) == {master_key_id(first), master_key_id(second)}
    assert not source.from_file
    assert not (tmp_path / "keys").exists()


def test_environment_key_works_in_prod_without_a_file(tmp_path: Path) -> None:
    key = generate_key()
    assert KeyringSource(prod(tmp_path, master_key=SecretStr(encode_key(key)))).current().active_id == master_key_id(key)


@pytest.mark.parametrize("value", ["", " , ", "not-base64!", "c2hvcnQ="], ids=["empty", "blank", "garbage", "short"])
def test_bad_environment_key(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigurationError, match="FR_MASTER_KEY"):
        KeyringSource(dev(tmp_path, master_key=SecretStr(value)))


def test_environment_keys_cannot_be_rotated_through_the_file(tmp_path: Path) -> None:
    source = KeyringSource(dev(tmp_path, master_key=SecretStr(encode_key(generate_key()))))
    with pytest.raises(ConfigurationError, match="FR_MASTER_KEY"):
        source.add_active_key(generate_key())
    with pytest.raises(ConfigurationError, match="FR_MASTER_KEY"):
        source.retire_keys(set())


# rotation ------------------------------------------------------------------------------


def test_add_active_key_keeps_old_keys_for_decryption(tmp_path: Path) -> None:
    source = KeyringSource(dev(tmp_path))
    before = source.current()
    data_key_id = uuid.uuid4()
    data_key = generate_key()
    old_id, wrapped = wrap_data_key(before, data_key_id, data_key)

    new_key = generate_key()
    after = source.add_active_key(new_key)

    assert after.active_id == master_key_id(new_key)
    assert set(after.keys) == {master_key_id(new_key), old_id}
    assert source.current() == after
    assert unwrap_data_key(after, old_id, data_key_id, wrapped) == data_key
    assert wrap_data_key(after, data_key_id, data_key)[0] == master_key_id(new_key)
    assert mode(source.path) == 0o600
    doc = json.loads(source.path.read_text())
    assert doc["origin"] == "generated"
    assert doc["active"] == master_key_id(new_key)
    assert KeyringSource(dev(tmp_path)).current() == after


def test_retire_keys_keeps_the_active_key_and_those_asked_for(tmp_path: Path) -> None:
    source = KeyringSource(dev(tmp_path))
    first = source.current().active_id
    second, third = generate_key(), generate_key()
    source.add_active_key(second)
    source.add_active_key(third)
    assert set(source.current().keys) == {first, master_key_id(second), master_key_id(third)}

    dropped = source.retire_keys({first})
    assert dropped == [master_key_id(second)]
    assert set(source.current().keys) == {master_key_id(third), first}

    dropped = source.retire_keys(set())
    assert dropped == [first]
    assert source.current() == MasterKeys.from_keys([third])
    assert KeyringSource(dev(tmp_path)).current() == MasterKeys.from_keys([third])


def test_current_sees_a_rotation_by_another_process(tmp_path: Path) -> None:
    server = KeyringSource(dev(tmp_path))
    operator = KeyringSource(dev(tmp_path))
    old = server.current()
    new_key = generate_key()
    operator.add_active_key(new_key)
    # The server watches the key file: no restart or explicit reload is needed.
    seen = server.current()
    assert seen.active_id == master_key_id(new_key)
    assert old.active_id in seen.keys
    reloaded = server.reload()
    assert reloaded.active_id == master_key_id(new_key)
    assert server.current() == reloaded
