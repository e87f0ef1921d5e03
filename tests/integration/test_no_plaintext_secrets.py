"""A dump of either database contains no plaintext password, token or key."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from frontier_review.audit import service as audit
from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.security import envelope
from frontier_review.security import service as security
from tests.factories.identity import SYSTEM, api_token, make_org, make_user

PASSWORD = "a distinctive password 9f3k"


def _dump(container: Container) -> bytes:
    url = container.settings.resolved_database_url
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        # The raw file (with its WAL) and a logical dump both count.
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        logical = subprocess.run(["sqlite3", str(path), ".dump"], capture_output=True, check=True).stdout
        return raw + logical
    if shutil.which("pg_dump") is None:  # pragma: no cover - the machine has it
        pytest.fail("pg_dump is needed for this test")
    plain = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return subprocess.run(["pg_dump", "--no-owner", plain], capture_output=True, check=True).stdout


def test_dump_has_no_plaintext_secrets(container: Container) -> None:
    org = make_org(container, OrgKind.DEVELOPER)
    person = make_user(container, org, role=Role.ADMIN, password=PASSWORD)
    token = api_token(container, person)
    upstream_key = "sk-upstream-credential-5521"
    with container.uow() as uow:
        security.seal_field(uow, upstream_key.encode(), table="upstreams", row_id="1", field="api_key")
        audit.create_checkpoint(uow, SYSTEM)
        signing = security.load_signing_key(uow.session, container.keyring)
    assert signing is not None
    master = container.keyring.current().keys[container.keyring.current().active_id]
    private_raw = signing.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    secrets = {
        "password": PASSWORD.encode(),
        "token": token.encode(),
        "token secret part": token.split("_", 2)[2].encode(),
        "upstream credential": upstream_key.encode(),
        "master key (base64)": envelope.encode_key(master).encode(),
        "master key (raw)": master,
        "signing key (raw)": private_raw,
        "signing key (base64)": base64.b64encode(private_raw),
        "signing key (hex)": private_raw.hex().encode(),
        "session secret": container.session_secret.encode(),
    }
    dump = _dump(container)
    assert person.email.encode() in dump  # the dump is real and readable
    leaked = [name for name, value in secrets.items() if value in dump]
    assert not leaked, f"found in the database dump: {leaked}"
