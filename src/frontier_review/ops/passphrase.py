"""The backup's key file, sealed under an operator passphrase: scrypt, then AES-256-GCM.

A backup that carries the master keys must not let whoever holds the backup read the sealed
data, so the keys travel only under a passphrase the operator keeps elsewhere. The KDF's
parameters are stored with the ciphertext so they can be raised later without breaking old
backups; the ones read back are bounded, so a doctored file cannot make restore allocate
gigabytes.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from frontier_review.ops.manifest import BackupInvalid, BackupKeysRefused

__all__ = ["MIN_PASSPHRASE", "open_keys", "seal_keys"]

MIN_PASSPHRASE = 12
# 128 MiB and about half a second on a small machine: the OWASP recommendation for scrypt.
_N, _R, _P = 2**17, 8, 1
_MAX_N = 2**20
_AAD = b"frontier-review backup keys v1"


def _kdf(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def seal_keys(document: dict[str, Any], passphrase: str) -> bytes:
    """The key file ``document`` encrypted under ``passphrase``, as the bytes of ``keys.enc``."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupKeysRefused(f"the backup passphrase must be at least {MIN_PASSPHRASE} characters")
    salt, nonce = os.urandom(16), os.urandom(12)
    key = _kdf(passphrase, salt, _N, _R, _P)
    ciphertext = AESGCM(key).encrypt(nonce, json.dumps(document).encode("utf-8"), _AAD)
    sealed = {
        "kdf": {"name": "scrypt", "n": _N, "r": _R, "p": _P, "salt": base64.b64encode(salt).decode()},
        "cipher": "AES-256-GCM",
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ciphertext).decode(),
    }
    return (json.dumps(sealed, indent=2, sort_keys=True) + "\n").encode("utf-8")


def open_keys(data: bytes, passphrase: str) -> dict[str, Any]:
    """The key file document inside ``keys.enc``; a wrong passphrase is ``BackupKeysRefused``."""
    try:
        sealed = json.loads(data)
        kdf = sealed["kdf"]
        n, r, p = int(kdf["n"]), int(kdf["r"]), int(kdf["p"])
        if kdf["name"] != "scrypt" or sealed["cipher"] != "AES-256-GCM" or not (2 <= n <= _MAX_N and r <= 32 and p <= 16):
            raise BackupInvalid("keys.enc uses parameters this release does not accept")
        salt = base64.b64decode(kdf["salt"], validate=True)
        nonce = base64.b64decode(sealed["nonce"], validate=True)
        ciphertext = base64.b64decode(sealed["ciphertext"], validate=True)
    except BackupInvalid:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupInvalid(f"keys.enc is malformed ({type(exc).__name__})") from exc
    try:
        plain = AESGCM(_kdf(passphrase, salt, n, r, p)).decrypt(nonce, ciphertext, _AAD)
    except (InvalidTag, ValueError) as exc:
        raise BackupKeysRefused("wrong backup passphrase: the backup's key file does not decrypt with it") from exc
    document: dict[str, Any] = json.loads(plain)
    return document
