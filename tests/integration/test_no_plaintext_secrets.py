"""A dump of either database contains no plaintext password, token or key.

The secrets are stored through the real paths that store them (sign-in sessions, API and gateway
tokens, a token waiting to be shown once, an engagement's upstream, a benchmark target), never by
sealing a value by hand, so a path that forgets to seal is caught here.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from frontier_review.audit import service as audit
from frontier_review.bootstrap import Container
from frontier_review.engagements.access import reveals
from frontier_review.engagements.access import service as access
from frontier_review.evals import targets
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.security import envelope
from frontier_review.security import service as security
from tests.factories.engagements import make_engagement
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
    setup = make_engagement(container)
    upstream_url = "http://127.0.0.1:9/v1/upstream-path-secret-4417"
    upstream_key = "sk-upstream-credential-5521"
    target_url = "http://127.0.0.1:9/v1/target-path-secret-8830"
    target_key = "sk-target-credential-6604"
    with container.uow() as uow:
        # The developer's upstream (URL and key), through the service the REST and web routes use.
        access.set_upstream(
            uow,
            setup.developer.principal,
            setup.engagement.id,
            variant="standard",
            base_url=upstream_url,
            api_key=upstream_key,
            upstream_model="candidate",
            require_https=False,
            allow_private=True,
        )
    with container.uow() as uow:
        # A benchmark target registered by the program office (its URL may carry a key too).
        targets.create_target(
            uow,
            setup.program_office.principal,
            name="secret-target",
            model="openai-api/lab/candidate",
            base_url=target_url,
            api_key=target_key,
            reference_model="a public reference model",
        )
    with container.uow() as uow:
        gateway = access.issue_token(uow, setup.reviewer.principal, setup.engagement.id, name="notebook")
    with container.uow() as uow:
        # A second gateway token waiting to be shown once (the web's one-time display record).
        waiting = access.issue_token(uow, setup.reviewer.principal, setup.engagement.id, name="playground")
        reveals.stash(uow, setup.reviewer.principal, setup.engagement.id, waiting.plaintext)
    with container.uow() as uow:
        signed_in = identity.login(uow, email=person.user.email, password=PASSWORD)
    assert isinstance(signed_in, identity.LoginResult)
    with container.uow() as uow:
        audit.create_checkpoint(uow, SYSTEM)
        signing = security.find_signing_key(uow.session, container.keyring)
    assert signing is not None
    master = container.keyring.current().keys[container.keyring.current().active_id]
    private_raw = signing.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    secrets = {
        "password": PASSWORD.encode(),
        "API token": token.encode(),
        "API token secret part": token.split("_", 2)[2].encode(),
        "gateway token": gateway.plaintext.encode(),
        "gateway token secret part": gateway.plaintext.split("_", 2)[2].encode(),
        "gateway token waiting to be shown": waiting.plaintext.encode(),
        "session key": signed_in.session_key.encode(),
        "upstream URL": b"upstream-path-secret-4417",
        "upstream credential": upstream_key.encode(),
        "benchmark target URL": b"target-path-secret-8830",
        "benchmark target credential": target_key.encode(),
        "master key (base64)": envelope.encode_key(master).encode(),
        "master key (raw)": master,
        "signing key (raw)": private_raw,
        "signing key (base64)": base64.b64encode(private_raw),
        "signing key (hex)": private_raw.hex().encode(),
        "session secret": container.session_secret.encode(),
    }
    dump = _dump(container)
    assert person.email.encode() in dump  # the dump is real and readable
    assert b"secret-target" in dump  # and holds the rows written above
    leaked = [name for name, value in secrets.items() if value in dump]
    assert not leaked, f"found in the database dump: {leaked}"
