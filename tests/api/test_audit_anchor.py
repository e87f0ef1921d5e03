"""DESIGN A3: the chain is anchored outside the database (witness file, published checkpoints,
``audit verify --anchor/--expect``), so a tail truncated together with the head row is detected."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import sqlalchemy as sa

from frontier_review.audit import service as audit
from frontier_review.audit.orm import AuditChainHead, AuditCheckpoint, AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind
from tests.cli import run_cli
from tests.factories.identity import SYSTEM, make_org

WELL_KNOWN = "/.well-known/frontier-review/audit-checkpoints"


def _activity(container: Container, n: int) -> None:
    for _ in range(n):
        make_org(container, OrgKind.AGENCY)


def _truncate_tail(container: Container, keep: int) -> None:
    """What someone with write access to the database does: drop the tail, the checkpoints that
    signed it, and point the head row at the new last entry."""
    with container.sessions() as session, session.begin():
        tip = session.scalars(sa.select(AuditEntry.hash).where(AuditEntry.seq == keep)).one()
        session.execute(sa.delete(AuditEntry).where(AuditEntry.seq > keep))
        session.execute(sa.delete(AuditCheckpoint).where(AuditCheckpoint.seq > keep))
        session.execute(sa.update(AuditChainHead).values(last_seq=keep, last_hash=tip))


def test_truncated_tail_passes_plain_verify_but_fails_against_the_anchors(
    container: Container, http: httpx.Client, tmp_path: Path
) -> None:
    _activity(container, 5)
    with container.uow() as uow:
        cp = audit.create_checkpoint(uow, SYSTEM)
    assert cp is not None
    witness = container.settings.resolved_audit_witness_path
    assert witness.parent != container.settings.data_dir  # not beside the SQLite file
    lines = witness.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [cp.seq]
    published = http.get(WELL_KNOWN)  # public: no credentials
    assert published.status_code == 200
    assert [c["entry_hash"] for c in published.json()["checkpoints"]] == [cp.entry_hash]
    saved = tmp_path / "published.json"
    saved.write_text(published.text, encoding="utf-8")
    _activity(container, 12)

    intact = run_cli(container, "audit", "verify", "--anchor", str(witness), "--anchor", str(saved))
    assert intact.returncode == 0, intact.stderr
    assert "2 anchor checkpoint(s) held outside the database match the log" in intact.stdout

    with container.sessions() as session:
        last = session.scalar(sa.select(sa.func.max(AuditEntry.seq)))
    assert last is not None
    keep = last - 17
    assert keep < cp.seq
    _truncate_tail(container, keep)

    plain = run_cli(container, "audit", "verify")
    assert plain.returncode == 0, plain.stderr  # the database alone cannot tell (documented)
    assert "not checked against an anchor" in plain.stdout
    for args in (("--anchor", str(witness)), ("--anchor", str(saved)), ("--expect", f"{cp.seq}:{cp.entry_hash}")):
        caught = run_cli(container, "audit", "verify", *args)
        assert caught.returncode == 1, (args, caught.stdout)
        assert f"the log ends at #{keep}, but the anchor shows it reached #{cp.seq}" in caught.stderr
        assert "deleted from the tail" in caught.stderr


def test_forged_and_malformed_anchors_get_clear_errors(container: Container, tmp_path: Path) -> None:
    _activity(container, 3)
    with container.uow() as uow:
        cp = audit.create_checkpoint(uow, SYSTEM)
    assert cp is not None
    line = json.loads(container.settings.resolved_audit_witness_path.read_text(encoding="utf-8"))
    forged = tmp_path / "forged.jsonl"
    forged.write_text(json.dumps({**line, "entry_hash": "ab" * 32}) + "\n", encoding="utf-8")
    refused = run_cli(container, "audit", "verify", "--anchor", str(forged))
    assert refused.returncode == 1
    assert "signature does not verify" in refused.stderr
    wrong_hash = run_cli(container, "audit", "verify", "--expect", f"{cp.seq}:{'cd' * 32}")
    assert wrong_hash.returncode == 1
    assert f"entry #{cp.seq} differs from the anchor" in wrong_hash.stderr

    cases = {
        "not-json.jsonl": ("{not json\n", "line 1: not JSON"),
        "empty.jsonl": ("\n", "holds no checkpoints"),
        "partial.json": (json.dumps({"checkpoints": [{"seq": 3}]}), "item 1: checkpoint lacks entry_hash"),
        "bad-seq.jsonl": (json.dumps({**line, "seq": -4}) + "\n", "seq must be a positive whole number"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = run_cli(container, "audit", "verify", "--anchor", str(path))
        assert result.returncode == 2, (name, result.stderr)
        assert message in result.stderr, (name, result.stderr)
    for value, message in (("12", "use SEQ:HASH"), ("3:xyz", "64 lower-case hexadecimal")):
        result = run_cli(container, "audit", "verify", "--expect", value)
        assert result.returncode == 2 and message in result.stderr, (value, result.stderr)
    missing = run_cli(container, "audit", "verify", "--anchor", str(tmp_path / "nowhere.jsonl"))
    assert missing.returncode == 2 and "cannot read it" in missing.stderr
