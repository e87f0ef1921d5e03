"""Operating an instance: backup and restore of the whole state (``frontier-review backup``)."""

from frontier_review.ops.backup import RestoreReport, create_backup, read_manifest, restore_backup
from frontier_review.ops.manifest import BackupInvalid, BackupKeysRefused, BackupRefused, Manifest

__all__ = [
    "BackupInvalid",
    "BackupKeysRefused",
    "BackupRefused",
    "Manifest",
    "RestoreReport",
    "create_backup",
    "read_manifest",
    "restore_backup",
]
