"""Envelope encryption against the database and master-key rotation without downtime."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from frontier_review.audit import service as audit
from frontier_review.bootstrap import Container
from frontier_review.composition import build_container
from frontier_review.config import Settings
from frontier_review.kernel.clock import FrozenClock
from frontier_review.security import envelope
from frontier_review.security import service as security
from frontier_review.security.orm import DataKey
from tests.factories.identity import SYSTEM


def _file_keyed(settings: Settings) -> Settings:
    return settings.model_copy(update={"master_key": None})


def test_sealed_field_is_bound_to_its_row_and_field(container: Container) -> None:
    with container.uow() as uow:
        sealed = security.seal_field(uow, b"upstream-api-key-123", table="upstreams", row_id="row-1", field="api_key")
    assert b"upstream-api-key-123" not in sealed
    with container.uow() as uow:
        opened = security.open_field(uow.session, container.keyring, sealed, table="upstreams", row_id="row-1", field="api_key")
        assert opened == b"upstream-api-key-123"
        with pytest.raises(envelope.DecryptionFailed):
            security.open_field(uow.session, container.keyring, sealed, table="upstreams", row_id="row-2", field="api_key")
        with pytest.raises(envelope.DecryptionFailed):
            security.open_field(uow.session, container.keyring, sealed, table="upstreams", row_id="row-1", field="base_url")


def test_rotation_rewraps_every_data_key_while_old_processes_keep_reading(settings: Settings, clock: FrozenClock) -> None:
    server = build_container(_file_keyed(settings), clock=clock)  # a long-running process
    operator = build_container(_file_keyed(settings), clock=clock)  # the `keys rotate` process
    try:
        with server.uow() as uow:
            sealed = [security.seal_field(uow, f"secret-{i}".encode(), table="t", row_id=str(i), field="f") for i in range(7)]
            audit.create_checkpoint(uow, SYSTEM)  # creates the sealed signing key as well
        old_id = server.keyring.current().active_id
        operator.keyring.add_active_key(envelope.generate_key())
        moved = security.rewrap_data_keys(operator.sessions, operator.keyring, clock, batch_size=3)
        assert moved == 8
        with operator.sessions() as session:
            assert set(session.scalars(sa.select(DataKey.master_key_id))) == {operator.keyring.current().active_id}
        # The server loaded only the old key; it notices the rewritten key file by itself.
        with server.uow() as uow:
            for i, value in enumerate(sealed):
                assert (
                    security.open_field(uow.session, server.keyring, value, table="t", row_id=str(i), field="f")
                    == f"secret-{i}".encode()
                )
            assert security.find_signing_key(uow.session, server.keyring) is not None
        assert server.keyring.current().active_id == operator.keyring.current().active_id != old_id
        with server.uow() as uow:  # and seals new secrets under the new key without a restart
            security.seal_field(uow, b"after rotation", table="t", row_id="new", field="f")
        with operator.sessions() as session:
            assert set(session.scalars(sa.select(DataKey.master_key_id))) == {operator.keyring.current().active_id}
        dropped = operator.keyring.retire_keys(keep=set())
        assert dropped == [old_id]
        doc = json.loads(settings.resolved_master_key_file.read_text())
        assert [k["id"] for k in doc["keys"]] == [operator.keyring.current().active_id]
        assert oct(settings.resolved_master_key_file.stat().st_mode & 0o777) == "0o600"
    finally:
        server.close()
        operator.close()


def test_keys_rotate_cli(settings: Settings, clock: FrozenClock, tmp_path: Path) -> None:
    settings = _file_keyed(settings)
    c = build_container(settings, clock=clock)
    with c.uow() as uow:
        audit.create_checkpoint(uow, SYSTEM)
        security.seal_field(uow, b"x", table="t", row_id="1", field="f")
    before = c.keyring.current().active_id
    c.close()
    env = {
        **os.environ,
        "FR_DATA_DIR": str(settings.data_dir),
        "FR_DATABASE_URL": settings.resolved_database_url,
        "FR_SESSION_SECRET": "s" * 40,
        "COLUMNS": "200",
    }
    env.pop("FR_MASTER_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", "keys", "rotate"], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "data keys re-wrapped" in done.stdout
    doc = json.loads(settings.resolved_master_key_file.read_text())
    assert doc["active"] != before
    assert sorted(k["id"] for k in doc["keys"]) == sorted([doc["active"], before])  # the old key stays until retired
    status = subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", "keys", "status"], env=env, capture_output=True, text=True, check=False
    )
    assert doc["active"] in status.stdout and "active" in status.stdout
    verify = subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", "audit", "verify"], env=env, capture_output=True, text=True, check=False
    )
    assert verify.returncode == 0, verify.stderr
    retired = subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", "keys", "retire"], env=env, capture_output=True, text=True, check=False
    )
    assert retired.returncode == 0, retired.stderr
    assert f"retired {before}" in retired.stdout
    assert [k["id"] for k in json.loads(settings.resolved_master_key_file.read_text())["keys"]] == [doc["active"]]


def test_staged_key_is_activated_by_rotate_and_env_keys_are_not_retired_by_the_cli(
    settings: Settings, clock: FrozenClock
) -> None:
    from tests.cli import cli_env

    file_settings = _file_keyed(settings)
    c = build_container(file_settings, clock=clock)
    with c.uow() as uow:
        security.seal_field(uow, b"x", table="t", row_id="1", field="f")
    first = c.keyring.current().active_id
    env = cli_env(c)
    run = [sys.executable, "-m", "frontier_review.cli", "keys"]
    staged = subprocess.run([*run, "stage"], env=env, capture_output=True, text=True, check=False)
    assert staged.returncode == 0, staged.stderr
    doc = json.loads(file_settings.resolved_master_key_file.read_text())
    staged_id = next(k["id"] for k in doc["keys"] if k.get("staged"))
    assert doc["active"] == first  # nothing uses the staged key yet
    with c.uow() as uow:
        security.seal_field(uow, b"y", table="t", row_id="2", field="f")
    with c.sessions() as session:
        assert set(session.scalars(sa.select(DataKey.master_key_id))) == {first}
    status = subprocess.run([*run, "status"], env=env, capture_output=True, text=True, check=False)
    assert "staged" in status.stdout
    rotated = subprocess.run([*run, "rotate"], env=env, capture_output=True, text=True, check=False)
    assert rotated.returncode == 0, rotated.stderr
    assert c.keyring.current().active_id == staged_id
    c.close()
    env_keyed = build_container(settings, clock=clock)
    try:
        refused = subprocess.run([*run, "retire"], env=cli_env(env_keyed), capture_output=True, text=True, check=False)
        assert refused.returncode == 2
        assert "FR_MASTER_KEY" in refused.stderr
    finally:
        env_keyed.close()
