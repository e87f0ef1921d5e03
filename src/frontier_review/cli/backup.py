"""``frontier-review backup``: back up and restore the whole instance (see ``ops.backup``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from frontier_review.cli.common import Group, container, echo, fail, handle_errors
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.security.tags import SecurityTag

if TYPE_CHECKING:
    from frontier_review.ops.manifest import Manifest

app = Group(no_args_is_help=True)  # its help is in cli.main.GROUPS

_PASSPHRASE_FILE = click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Read the backup passphrase from the first line of this file instead of prompting (for scripts).",
)


def _from_file(path: Path) -> str:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0] if lines else ""


def _described(manifest: Manifest, *, keys: bool) -> dict[str, Any]:
    """What the audit entry says of a backup: no path, no passphrase, no key."""
    return {
        "backup_created_at": manifest.created_at.isoformat(),
        "backend": manifest.backend,
        "schema_revision": manifest.schema_revision,
        "rows": sum(manifest.row_counts.values()),
        "master_keys": keys,
    }


@app.command("create")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--without-keys",
    is_flag=True,
    help="Leave the master keys out: the backup then restores only where the instance's master key is configured.",
)
@_PASSPHRASE_FILE
@handle_errors
def create(directory: Path, without_keys: bool, passphrase_file: Path | None) -> None:
    """Back up the database, the master keys (sealed under a passphrase) and the audit witness into DIRECTORY.

    Safe while servers run: SQLite is copied with its online backup API, PostgreSQL with
    pg_dump on one snapshot. DIRECTORY must be new or empty; its manifest.json is written last.
    """
    from datetime import UTC, datetime

    from frontier_review.audit import service as audit
    from frontier_review.ops import create_backup
    from frontier_review.policies import authorize

    c = container()
    system = Principal.system("backup-create")
    with c.uow() as uow:
        authorize(uow, system, Permission.BACKUP, None)
    passphrase: str | None = None
    if not without_keys:
        passphrase = (
            _from_file(passphrase_file)
            if passphrase_file
            else click.prompt("Backup passphrase (seals the master keys)", hide_input=True, confirmation_prompt=True, err=True)
        )
    manifest = create_backup(c.settings, directory, passphrase=passphrase, now=datetime.now(UTC))
    rows = sum(manifest.row_counts.values())
    keys = "master keys sealed under the passphrase" if manifest.keys_file else "master keys left out (--without-keys)"
    # Recorded in the instance backed up, after its snapshot: the log says when each backup was taken.
    with c.uow() as uow:
        audit.record(uow, system, SecurityTag.BACKUP_CREATED, details=_described(manifest, keys=manifest.keys_file is not None))
    echo(f"backup written to {directory}: {manifest.backend} schema {manifest.schema_revision}, {rows} rows, {keys}")


@app.command("restore")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database, key file or witness file that is not empty.")
@_PASSPHRASE_FILE
@handle_errors
def restore(directory: Path, force: bool, passphrase_file: Path | None) -> None:
    """Restore the backup in DIRECTORY into the configured database, key file and witness file.

    Checks first, changes nothing until all pass: the manifest and every file's SHA-256, the
    schema revision (never newer than this release), the passphrase and that the master keys
    open the backed-up data, and that the target is empty (unless --force). Stop every server first.
    """
    from frontier_review.audit import service as audit
    from frontier_review.config import load_settings
    from frontier_review.ops import BackupKeysRefused, restore_backup
    from frontier_review.policies import authorize

    def passphrase() -> str:
        if passphrase_file is not None:
            return _from_file(passphrase_file)
        answer: str = click.prompt("Backup passphrase", hide_input=True, err=True)
        return answer

    try:
        report = restore_backup(load_settings(), directory, passphrase=passphrase, force=force)
    except BackupKeysRefused as exc:
        raise fail(exc.message, 2) from None
    manifest = report.manifest
    # Recorded in the restored instance, continuing the chain the backup carried.
    c = container()
    system = Principal.system("backup-restore")
    with c.uow() as uow:
        authorize(uow, system, Permission.BACKUP, None)
        details = {**_described(manifest, keys=report.key_file_written is not None), "forced": force}
        if report.upgraded_from:
            details["upgraded_from"] = report.upgraded_from
        audit.record(uow, system, SecurityTag.BACKUP_RESTORED, details=details)
    echo(f"restored the {manifest.backend} backup of {manifest.created_at.isoformat()} (schema {manifest.schema_revision})")
    if report.upgraded_from:
        echo(f"migrated the schema from {report.upgraded_from} to this release's")
    if report.key_file_written:
        echo(f"master key file written to {report.key_file_written}")
    echo("next: `frontier-review audit verify`, then start the servers")
