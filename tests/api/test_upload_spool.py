"""During an upload, no file the server holds contains the plaintext (issue 10, item 20b).

The multipart body is sent in two halves: after the first 3 MiB of a distinctive file the client
pauses, and the test reads every file the server process has open and every file under its data
directory (the spool is an unnamed temporary file, so it is found through ``/proc``). Then the
upload completes and the artifact is sealed as usual."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.config import Settings
from frontier_review.engagements.materials.orm import Artifact
from tests.api.helpers import csrf_from, web_login
from tests.factories.engagements import make_engagement

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="inspects open files through /proc")

MiB = 1024 * 1024
MARKER = b"TRADE-SECRET-EVAL-RESULTS-MARKER-5519 "
FIRST = 3 * MiB
BOUNDARY = "frontier-review-test-boundary"


def _open_files() -> dict[str, str]:
    """Every regular file this process has open: ``/proc`` link → the path it names."""
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        link = f"/proc/self/fd/{fd}"
        try:
            target = os.readlink(link)
        except OSError:
            continue
        if target.startswith("/") and not target.startswith(("/dev/", "/proc/", "/sys/")):
            found[link] = target
    return found


def _contains(path: str, needle: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            tail = b""
            while block := handle.read(MiB):
                if needle in tail + block:
                    return True
                tail = block[-len(needle) :]
    except OSError:
        return False
    return False


def _spool_size(spool_dir: Path) -> int:
    sizes = [os.stat(link).st_size for link, target in _open_files().items() if target.startswith(str(spool_dir))]
    return max(sizes, default=0)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"artifact_max_bytes": 8 * MiB})


def test_no_file_holds_the_plaintext_while_an_upload_spools(
    container: Container, settings: Settings, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As ``frontier-review serve`` does: temporary files go to the instance's own directory.
    spool_dir = settings.data_dir / "tmp"
    spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    monkeypatch.setattr(tempfile, "tempdir", str(spool_dir))
    setup = make_engagement(container)
    page = f"/engagements/{setup.engagement.id}"
    content = (MARKER * (6 * MiB // len(MARKER) + 1))[: 6 * MiB]
    paused, resume = threading.Event(), threading.Event()
    outcome: dict[str, httpx.Response] = {}

    with httpx.Client(base_url=base_url, timeout=60, follow_redirects=False) as client:
        assert web_login(client, setup.developer.email, setup.developer.password).status_code == 303
        csrf = csrf_from(client.get(page).text)

        def body() -> Iterator[bytes]:
            yield (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{csrf}\r\n'
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n'
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="results.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
            for start in range(0, FIRST, 64 * 1024):
                yield content[start : start + 64 * 1024]
            paused.set()
            resume.wait(60)
            for start in range(FIRST, len(content), 64 * 1024):
                yield content[start : start + 64 * 1024]
            yield f"\r\n--{BOUNDARY}--\r\n".encode()

        def send() -> None:
            outcome["response"] = client.post(
                f"{page}/artifacts", content=body(), headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
            )

        sender = threading.Thread(target=send)
        sender.start()
        try:
            assert paused.wait(30), "the client sent the first half"
            deadline = time.monotonic() + 30
            while _spool_size(spool_dir) < FIRST - 64 * 1024:  # the server has spooled the first half
                assert time.monotonic() < deadline, "no spool file under the data directory grew with the upload"
                time.sleep(0.05)
            leaks = [target for link, target in _open_files().items() if _contains(link, MARKER)]
            leaks += [str(p) for p in settings.data_dir.rglob("*") if p.is_file() and _contains(str(p), MARKER)]
            assert leaks == [], leaks
        finally:
            resume.set()
            sender.join(60)

    response = outcome["response"]
    assert response.status_code == 303, response.text
    with container.sessions() as session:
        artifact = session.scalar(sa.select(Artifact).where(Artifact.filename == "results.pdf"))
        assert artifact is not None
        assert (artifact.size, artifact.sha256) == (len(content), hashlib.sha256(content).hexdigest())
    assert list((settings.data_dir / "tmp").iterdir()) == []  # nothing left behind
