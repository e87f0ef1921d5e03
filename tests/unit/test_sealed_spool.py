"""The sealed upload spool (issue 10, item 20b): what reaches the disk is ciphertext, what is read
back is the plaintext, and a changed block fails the read."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from frontier_review.web.uploads import BLOCK, SealedSpool

MARKER = b"CONFIDENTIAL-WEIGHTS-MARKER-7731 "


def _disk(spool: SealedSpool) -> bytes:
    raw = spool._file  # the temporary file under the spool
    raw.flush()
    with open(f"/proc/self/fd/{raw.fileno()}", "rb") as on_disk:
        return on_disk.read()


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads the unnamed file through /proc")
def test_the_disk_holds_only_ciphertext_and_reads_give_back_the_plaintext(tmp_path: Path) -> None:
    data = MARKER * (3 * BLOCK // len(MARKER)) + b"tail"
    spool = SealedSpool(tmp_path)
    for start in range(0, len(data), 1000):  # arbitrary write sizes, as the parser delivers them
        spool.write(data[start : start + 1000])
    assert MARKER not in _disk(spool)
    assert spool.seek(0) == 0
    assert MARKER not in _disk(spool)
    read = b"".join(iter(lambda: spool.read(300_000), b""))
    assert hashlib.sha256(read).digest() == hashlib.sha256(data).digest()
    spool.seek(0)
    assert spool.read() == data
    assert spool.seek(0, os.SEEK_END) == len(data)
    spool.close()
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_a_changed_block_fails_the_read(tmp_path: Path) -> None:
    spool = SealedSpool(tmp_path)
    spool.write(MARKER * 5000)
    spool.seek(0)
    raw = spool._file
    raw.seek(10)
    byte = raw.read(1)[0]
    raw.seek(10)
    raw.write(bytes([byte ^ 0xFF]))  # flipped: writing a fixed byte left it unchanged one time in 256
    raw.seek(0)
    with pytest.raises(InvalidTag):
        spool.read()


def test_writing_after_reading_and_seeking_elsewhere_are_refused(tmp_path: Path) -> None:
    spool = SealedSpool(tmp_path)
    spool.write(b"abc")
    with pytest.raises(OSError, match="rewinds"):
        spool.seek(1)
    spool.seek(0)
    with pytest.raises(OSError, match="written first"):
        spool.write(b"more")
    assert spool.read(2) == b"ab"
    assert spool.read() == b"c"
