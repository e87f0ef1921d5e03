"""``frontier-review backup``: a busy instance backed up, restored on a fresh data directory and database.

Every table's rows come back, sealed artifacts open, the audit chain verifies (against the
witness file too), and a wrong passphrase, a wrong master key, a partial or altered backup, a
newer schema or a non-empty target are refused with one line, changing nothing.
"""

from __future__ import annotations

import io
import json
import shutil
import stat
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.composition import Base, build_container
from frontier_review.config import Settings
from frontier_review.engagements.materials import service as artifacts
from frontier_review.identity.domain import OrgKind
from frontier_review.identity.orm import Organization
from frontier_review.kernel.errors import DomainError
from frontier_review.ops import BackupInvalid, BackupKeysRefused, BackupRefused, create_backup, databases, restore_backup
from tests.cli import cli_env, run_cli
from tests.conftest import PG_URL, _psycopg
from tests.factories import clearinghouse, home, incidents
from tests.factories.identity import make_org, principal_of

PASSPHRASE = "correct horse battery staple"
ARTIFACT = b"ATLAS-SYSTEM-CARD " * 90_000  # about 1.6 MiB: two sealed chunks


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The master key in a key file in the data directory, as a single-machine install keeps it."""
    return settings.model_copy(update={"master_key": None})


@dataclass(frozen=True)
class Target:
    """A fresh place to restore into: a data directory and an empty database."""

    data_dir: Path
    database_url: str

    def env(self, container: Container, **extra: str) -> dict[str, str]:
        env = cli_env(container, FR_DATA_DIR=str(self.data_dir), FR_DATABASE_URL=self.database_url)
        env.pop("FR_MASTER_KEY", None)  # the restored key file, unless a test names a key
        return {**env, **extra}

    def settings(self, source: Settings) -> Settings:
        return source.model_copy(update={"data_dir": self.data_dir, "database_url": self.database_url, "master_key": None})


@pytest.fixture
def fresh(container: Container, tmp_path: Path) -> Iterator[list[Target]]:
    """Fresh targets on the container's backend (PostgreSQL: databases this test creates and drops)."""
    made: list[str] = []
    targets: list[Target] = []
    admin = sa.create_engine(_psycopg(PG_URL), isolation_level="AUTOCOMMIT") if not container.settings.is_sqlite else None
    for n in range(3):
        data_dir = tmp_path / f"restored-{n}"
        if admin is None:
            targets.append(Target(data_dir, f"sqlite+pysqlite:///{data_dir / 'frontier-review.db'}"))
            continue
        name = f"fr_restore_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        targets.append(Target(data_dir, _psycopg(PG_URL).rsplit("/", 1)[0] + f"/{name}"))
    try:
        yield targets
    finally:
        if admin is not None:
            with admin.connect() as conn:
                for name in made:
                    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def _refused(done: subprocess.CompletedProcess[str], code: int, words: str) -> None:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and words in lines[0], done.stderr


@dataclass(frozen=True)
class Sealed:
    """An artifact sealed in the source instance, and a reviewer who may download it."""

    artifact_id: uuid.UUID
    engagement_id: uuid.UUID
    reviewer_id: uuid.UUID


def _busy_instance(container: Container) -> Sealed:
    """Demo-like data from the factories: engagements, findings, inquiries, runs, reports, an artifact, checkpoints."""
    world = home.make_world(container)
    people = incidents.make_world(container)
    incidents.triage_and_refer(container, people, incidents.report(container, people.reporter).id)
    clearinghouse.submit(container, people.reporter, tlp="TLP:GREEN")
    with container.uow() as uow:
        artifact = artifacts.upload(
            uow,
            world.main.developer.principal,
            world.main.engagement.id,
            kind="system_card",
            filename="atlas-system-card.pdf",
            content_type="application/pdf",
            stream=io.BytesIO(ARTIFACT),
        )
    _ok(run_cli(container, "audit", "checkpoint"))  # the signing key, and a line in the witness file
    return Sealed(artifact.id, world.main.engagement.id, world.main.reviewer.user.id)


def _writer(container: Container, stop: threading.Event, made: list[uuid.UUID]) -> None:
    while not stop.is_set():
        made.append(make_org(container, OrgKind.AGENCY, name=f"Agency {uuid.uuid4().hex[:8]}").id)


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return databases.count_rows(conn)
    finally:
        engine.dispose()


def test_a_busy_instance_restores_whole_on_a_fresh_data_directory(
    container: Container, tmp_path: Path, fresh: list[Target]
) -> None:
    sealed = _busy_instance(container)
    backup = tmp_path / "backup"
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    stop, made = threading.Event(), list[uuid.UUID]()
    writer = threading.Thread(target=_writer, args=(container, stop, made))
    writer.start()
    try:
        while len(made) < 3:  # writes are under way before the backup starts, and go on during it
            stop.wait(0.01)
        before = list(made)
        _ok(run_cli(container, "backup", "create", str(backup), "--passphrase-file", str(secret)))
    finally:
        stop.set()
        writer.join(timeout=30)
    manifest = json.loads((backup / "manifest.json").read_text())
    assert {f["path"] for f in manifest["files"]} == {manifest["database"]["file"], "keys.enc", "audit-witness.jsonl"}
    assert manifest["schema_revision"] and manifest["key_samples"]
    # The backed-up instance records the backup, after its snapshot, naming no path or passphrase.
    with container.sessions() as session:
        created = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "security:backup:created")).one()
    assert created.actor_label == "system:backup-create"
    assert created.details["rows"] == sum(manifest["database"]["row_counts"].values())
    assert created.details["master_keys"] is True and created.details["backend"] == manifest["database"]["backend"]
    assert PASSPHRASE not in json.dumps(created.details) and str(backup) not in json.dumps(created.details)

    target = fresh[0]
    restored = run_cli(container, "backup", "restore", str(backup), "--passphrase-file", str(secret), env=target.env(container))
    assert "master key file written" in _ok(restored)
    assert stat.S_IMODE(target.data_dir.stat().st_mode) == 0o700  # private, as every command creates it

    counts = _counts(target.database_url)
    expected = dict(manifest["database"]["row_counts"])
    expected["audit_entries"] += 1  # the restore's own entry, appended to the chain it brought back
    assert counts == expected
    assert set(Base.metadata.tables) <= set(counts)  # every table of the models was counted
    assert counts["sealed_chunks"] >= 2 and counts["audit_checkpoints"] >= 1 and counts["findings"] >= 4
    assert counts["incidents"] >= 1 and counts["reports"] >= 1
    again = build_container(target.settings(container.settings), clock=container.clock)
    try:
        with again.sessions() as session:
            orgs = set(session.scalars(sa.select(Organization.id)))
        assert set(before) <= orgs  # every write acknowledged before the backup began
        with again.uow() as uow:
            reviewer = principal_of(again, sealed.reviewer_id)
            got = artifacts.download_artifact(uow, reviewer, sealed.engagement_id, sealed.artifact_id)
        assert b"".join(got.chunks) == ARTIFACT
        with again.sessions() as session:
            last = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
        assert last.action == "security:backup:restored" and last.actor_label == "system:backup-restore"
        assert last.details["backup_created_at"] == manifest["created_at"] and last.details["forced"] is False
        assert "upgraded_from" not in last.details
    finally:
        again.close()
    witness = target.data_dir / "witness" / "audit-checkpoints.jsonl"
    verified = _ok(run_cli(container, "audit", "verify", "--anchor", str(witness), env=target.env(container)))
    assert "audit log intact" in verified and "anchor checkpoint(s)" in verified

    # A second restore onto the now-populated target is refused unless told.
    onto_full = run_cli(container, "backup", "restore", str(backup), "--passphrase-file", str(secret), env=target.env(container))
    _refused(onto_full, 1, "not empty")

    # The wrong passphrase: exit 2, one line naming it, the fresh target left as it was.
    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all\n")
    other = fresh[1]
    refused = run_cli(container, "backup", "restore", str(backup), "--passphrase-file", str(wrong), env=other.env(container))
    _refused(refused, 2, "wrong backup passphrase")
    assert databases.is_empty(other.database_url)
    assert not (other.data_dir / "keys").exists()


def test_without_keys_a_wrong_master_key_is_refused_and_nothing_changes(
    container: Container, tmp_path: Path, fresh: list[Target], master_key: str
) -> None:
    _ok(run_cli(container, "audit", "checkpoint"))
    make_org(container, OrgKind.AGENCY, name="Cyber Command")
    backup = tmp_path / "backup"
    _ok(run_cli(container, "backup", "create", str(backup), "--without-keys"))
    assert "keys.enc" not in {p.name for p in backup.iterdir()}
    target = fresh[0]
    wrong_key = run_cli(container, "backup", "restore", str(backup), env=target.env(container, FR_MASTER_KEY=master_key))
    _refused(wrong_key, 2, "wrong master key")
    no_key = run_cli(container, "backup", "restore", str(backup), env=target.env(container))
    _refused(no_key, 2, "--without-keys")
    assert databases.is_empty(target.database_url)
    # With the instance's own key file in place, the same backup restores and verifies.
    key_file = container.settings.resolved_master_key_file
    (target.data_dir / "keys").mkdir(parents=True, mode=0o700)
    shutil.copy2(key_file, target.data_dir / "keys" / "master.keys")
    _ok(run_cli(container, "backup", "restore", str(backup), env=target.env(container)))
    assert "audit log intact" in _ok(run_cli(container, "audit", "verify", env=target.env(container)))


def test_partial_altered_or_newer_backups_are_refused(container: Container, tmp_path: Path, fresh: list[Target]) -> None:
    make_org(container, OrgKind.AGENCY, name="Cyber Command")
    backup = tmp_path / "backup"
    create_backup(container.settings, backup, passphrase=None, now=container.clock.now())
    target = fresh[0]
    settings = target.settings(container.settings).model_copy(
        update={"master_key_file": container.settings.resolved_master_key_file}
    )

    def refused(directory: Path, error: type[DomainError], words: str) -> None:
        with pytest.raises(error) as caught:
            restore_backup(settings, directory, passphrase=lambda: PASSPHRASE)
        assert words in caught.value.message

    with pytest.raises(BackupRefused, match="not empty"):
        create_backup(container.settings, backup, passphrase=None, now=container.clock.now())
    with pytest.raises(BackupKeysRefused, match="at least 12"):
        create_backup(container.settings, tmp_path / "short", passphrase="short", now=container.clock.now())

    def variant(name: str, edit: Callable[[Path, dict[str, Any]], None]) -> Path:
        copy = tmp_path / name
        shutil.copytree(backup, copy)
        document = json.loads((copy / "manifest.json").read_text())
        edit(copy, document)
        if (copy / "manifest.json").exists():
            (copy / "manifest.json").write_text(json.dumps(document))
        return copy

    def append_byte(copy: Path, document: dict[str, Any]) -> None:
        with (copy / document["database"]["file"]).open("ab") as handle:
            handle.write(b"\0")

    refused(variant("altered", append_byte), BackupInvalid, "does not match its SHA-256")
    refused(variant("partial", lambda copy, _: (copy / "manifest.json").unlink()), BackupInvalid, "did not finish")
    refused(variant("newer", lambda _, d: d.update(schema_revision="9999")), BackupRefused, "newer than this release")
    refused(variant("climbing", lambda _, d: d["files"][0].update(path="../../etc/passwd")), BackupInvalid, "outside the backup")
    refused(variant("unknown", lambda _, d: d.update(version=99)), BackupInvalid, "not supported")
    other_backend = "postgresql" if container.settings.is_sqlite else "sqlite"
    refused(variant("backend", lambda _, d: d["database"].update(backend=other_backend)), BackupRefused, "names a")
    assert databases.is_empty(target.database_url)
    assert not target.data_dir.exists() or not any(target.data_dir.iterdir())

    # The CLI says each in one line: onto the live instance itself, which is not empty.
    _refused(run_cli(container, "backup", "restore", str(backup)), 1, "not empty")
