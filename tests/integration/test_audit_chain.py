"""The hash chain on real SQLite and PostgreSQL: same-transaction writes and tamper detection (A1, A2)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa

from frontier_review.audit import service as audit
from frontier_review.audit.domain import VerifyReport
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind
from frontier_review.identity.orm import Organization
from frontier_review.kernel.principal import Principal
from frontier_review.kernel.tags import AuditTag
from tests.cli import cli_env
from tests.conftest import START as START_TIME
from tests.factories.identity import SYSTEM, make_org

ACTOR = Principal.system("tests")


class _TestTag(AuditTag):
    WRITE = "tests:concurrency:write"


def _fill(container: Container, n: int = 6) -> None:
    for i in range(n):
        make_org(container, OrgKind.AGENCY, name=f"Agency {i}")


def _verify(container: Container) -> VerifyReport:
    with container.uow() as uow:
        return audit.verify_log(uow.session, container.keyring)


def _raw(container: Container, sql: str, **params: object) -> None:
    with container.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def test_intact_log_verifies_with_checkpoint(container: Container) -> None:
    _fill(container)
    with container.uow() as uow:
        info = audit.create_checkpoint(uow, ACTOR)
    assert info is not None
    report = _verify(container)
    assert report.ok, report.problems
    assert report.entries == 7  # six organizations and the checkpoint's own entry
    assert report.checkpoints == 1


def test_entry_is_written_in_the_same_transaction_as_the_change(container: Container) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom), container.uow() as uow:
        identity.create_organization(uow, SYSTEM, name="Rolled Back Agency", kind=OrgKind.AGENCY)
        raise Boom
    with container.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 0
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0
    make_org(container, OrgKind.AGENCY, name="Kept Agency")
    with container.uow() as uow:
        entries = uow.session.scalars(sa.select(AuditEntry)).all()
    assert [e.action for e in entries] == ["identity:organization:created"]
    assert entries[0].details["name"] == "Kept Agency"
    assert _verify(container).ok


def test_edited_entry_is_detected_and_named(container: Container) -> None:
    _fill(container)
    with container.engine.begin() as conn:
        details = conn.execute(sa.text("SELECT details FROM audit_entries WHERE seq = 3")).scalar_one()
    loaded = details if isinstance(details, dict) else json.loads(details)
    loaded["name"] = "Someone Else"
    _raw(container, "UPDATE audit_entries SET details = :d WHERE seq = 3", d=json.dumps(loaded))
    report = _verify(container)
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "entry #3" in report.problems[0] and "edited" in report.problems[0]


def test_edited_timestamp_is_detected(container: Container) -> None:
    _fill(container)
    _raw(container, "UPDATE audit_entries SET actor_label = 'nobody' WHERE seq = 5")
    report = _verify(container)
    assert report.first_bad_seq == 5


def test_deleted_entry_is_detected(container: Container) -> None:
    _fill(container)
    _raw(container, "DELETE FROM audit_entries WHERE seq = 2")
    report = _verify(container)
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "deleted or inserted" in report.problems[0]


def test_deleted_tail_is_detected_by_the_head(container: Container) -> None:
    _fill(container)
    _raw(container, "DELETE FROM audit_entries WHERE seq = 6")
    report = _verify(container)
    assert not report.ok
    assert report.first_bad_seq == 6
    assert "missing" in report.problems[0]


def test_inserted_entry_is_detected(container: Container) -> None:
    _fill(container)
    _raw(
        container,
        "INSERT INTO audit_entries (seq, id, occurred_at, actor_label, action, outcome, details, prev_hash, hash) "
        "VALUES (7, :id, :at, 'forger', 'identity:organization:created', 'success', '{}', :prev, :h)",
        id=uuid.uuid4().hex,  # both backends accept the undashed form
        at="2026-06-02 12:00:00",
        prev="0" * 64,
        h="f" * 64,
    )
    report = _verify(container)
    assert not report.ok
    assert report.first_bad_seq == 7


def test_reordered_entries_are_detected(container: Container) -> None:
    _fill(container)
    # Swap the contents of entries 2 and 4 by renumbering them.
    _raw(container, "UPDATE audit_entries SET seq = 1000 WHERE seq = 2")
    _raw(container, "UPDATE audit_entries SET seq = 2 WHERE seq = 4")
    _raw(container, "UPDATE audit_entries SET seq = 4 WHERE seq = 1000")
    report = _verify(container)
    assert not report.ok
    assert report.first_bad_seq == 2


def test_rewritten_chain_is_caught_by_the_signed_checkpoint(container: Container) -> None:
    """Recomputing every hash after an edit defeats the chain alone, not the signature."""
    from frontier_review.audit.domain import entry_hash
    from frontier_review.audit.orm import AuditChainHead

    _fill(container, 3)
    with container.uow() as uow:
        assert audit.create_checkpoint(uow, ACTOR) is not None
    with container.sessions() as session, session.begin():
        rows = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.seq)).all()
        rows[0].details = {**rows[0].details, "name": "Forged"}
        prev = "0" * 64
        for row in rows:
            row.prev_hash = prev
            row.hash = entry_hash(audit.stored_entry(row).fields)
            prev = row.hash
        head = session.get(AuditChainHead, 1)
        assert head is not None
        head.last_hash = prev
    report = _verify(container)
    assert not report.ok
    assert any("checkpoint" in p for p in report.problems)


def test_cli_verify_exits_non_zero_naming_the_entry(container: Container, tmp_path: object) -> None:
    _fill(container)
    env = cli_env(container)
    ok = subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", "audit", "verify"], env=env, capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert "intact" in ok.stdout
    _raw(container, "UPDATE audit_entries SET action = 'identity:nothing' WHERE seq = 4")
    bad = subprocess.run(
        [sys.executable, "-m", "frontier_review.cli", "audit", "verify"], env=env, capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1
    assert "#4" in bad.stderr


def test_concurrent_appends_keep_one_unbroken_chain(container: Container) -> None:
    """Writers in parallel transactions serialise on the head row: no fork, no gap."""
    import threading

    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(5):
                with container.uow() as uow:
                    audit.record(uow, ACTOR, _TestTag.WRITE, details={"writer": n, "i": i})
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    report = _verify(container)
    assert report.ok, report.problems
    assert report.entries == 30


def test_a_key_planted_in_the_database_is_not_trusted(container: Container) -> None:
    """Someone with database access but not the master key cannot re-sign a rewritten log."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from frontier_review.audit.domain import checkpoint_message
    from frontier_review.audit.orm import AuditCheckpoint
    from frontier_review.security.orm import InstanceKey
    from frontier_review.security.service import public_key_id

    _fill(container, 2)
    with container.uow() as uow:
        assert audit.create_checkpoint(uow, ACTOR) is not None
    forger = Ed25519PrivateKey.generate()
    public_raw = forger.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    forged_id = public_key_id(public_raw)
    with container.sessions() as session, session.begin():
        session.add(
            InstanceKey(
                id=forged_id,
                purpose="audit-signing",
                public_key=public_raw,
                private_key_sealed=b"\x01" + b"\x00" * 60,
                active=True,
                created_at=START_TIME,
            )
        )
        for cp in session.scalars(sa.select(AuditCheckpoint)):
            cp.key_id = forged_id
            cp.signature = forger.sign(checkpoint_message(cp.seq, cp.entry_hash, cp.created_at, forged_id))
    report = _verify(container)
    assert not report.ok
    assert "does not verify under a trusted key" in report.problems[0]


def test_tail_verification_starts_at_the_latest_signed_checkpoint(container: Container) -> None:
    _fill(container, 3)
    with container.uow() as uow:
        assert audit.create_checkpoint(uow, ACTOR) is not None  # signs #3; its own entry is #4
    _fill_more = [make_org(container, OrgKind.AGENCY, name=f"Later {i}") for i in range(2)]
    assert len(_fill_more) == 2
    with container.uow() as uow:
        tail = audit.verify_log(uow.session, container.keyring, tail_only=True)
    assert tail.ok
    assert (tail.from_seq, tail.entries, tail.last_seq) == (3, 3, 6)
    _raw(container, "UPDATE audit_entries SET actor_label = 'x' WHERE seq = 5")
    with container.uow() as uow:
        assert audit.verify_log(uow.session, container.keyring, tail_only=True).first_bad_seq == 5
    _raw(container, "UPDATE audit_entries SET actor_label = 'x' WHERE seq = 3")
    with container.uow() as uow:
        anchored = audit.verify_log(uow.session, container.keyring, tail_only=True)
    assert anchored.first_bad_seq == 3
    assert "signed checkpoint" in anchored.problems[0]


def test_cli_verify_with_an_external_public_key(container: Container) -> None:
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from frontier_review.security import service as security

    _fill(container, 2)
    with container.uow() as uow:
        assert audit.create_checkpoint(uow, ACTOR) is not None
        key = security.find_signing_key(uow.session, container.keyring)
    assert key is not None
    real = base64.b64encode(key.public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    other = base64.b64encode(Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()
    env = cli_env(container)
    cmd = [sys.executable, "-m", "frontier_review.cli", "audit", "verify", "--public-key"]
    good = subprocess.run([*cmd, real], env=env, capture_output=True, text=True, check=False)
    assert good.returncode == 0, good.stderr
    assert "under the given key" in good.stdout
    wrong = subprocess.run([*cmd, other], env=env, capture_output=True, text=True, check=False)
    assert wrong.returncode == 1
    assert "trusted key" in wrong.stderr
    junk = subprocess.run([*cmd, "not-base64!"], env=env, capture_output=True, text=True, check=False)
    assert junk.returncode == 2
    assert "Traceback" not in junk.stderr


def test_a_planted_key_under_an_unknown_master_key_is_untrusted_not_a_configuration_error(container: Container) -> None:
    """Only a process that holds none of the data's master keys reports a configuration problem."""
    import uuid

    from frontier_review.security.orm import DataKey, InstanceKey

    _fill(container, 2)
    with container.uow() as uow:
        assert audit.create_checkpoint(uow, ACTOR) is not None
    fake_key = uuid.uuid4()
    with container.sessions() as session, session.begin():
        session.add(
            DataKey(
                id=fake_key,
                master_key_id="mk_0000000000000000",
                wrapped_key=b"\x00" * 60,
                owner_table="instance_keys",
                owner_id="planted",
                owner_field="private_key_sealed",
                created_at=START_TIME,
            )
        )
        session.add(
            InstanceKey(
                id="ed25519_planted",
                purpose="audit-signing",
                public_key=b"\x00" * 32,
                private_key_sealed=b"\x01" + fake_key.bytes + b"\x00" * 40,
                active=False,
                created_at=START_TIME,
            )
        )
    report = _verify(container)
    assert report.ok, report.problems
