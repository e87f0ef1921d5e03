"""The audit log over HTTP: scoped reading, verification, checkpoints, export, denials audited."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from frontier_review.audit.domain import GENESIS_HASH, canonical_json, checkpoint_message
from frontier_review.bootstrap import Container
from frontier_review.composition import build_container
from frontier_review.config import Settings
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.clock import FrozenClock
from tests.api.helpers import assert_problem, bearer
from tests.factories.identity import api_token, make_org, make_superuser, make_user


def test_denials_are_audited_with_their_reason(container: Container, http: httpx.Client) -> None:
    dev = make_org(container, OrgKind.DEVELOPER)
    dev_admin = make_user(container, dev, role=Role.ADMIN)
    refused = http.post(
        "/api/v1/organizations", json={"name": "Sneaky Org", "kind": "agency"}, headers=bearer(api_token(container, dev_admin))
    )
    assert_problem(refused, 403)
    root = make_superuser(container)
    denied = http.get("/api/v1/audit/entries", params={"outcome": "denied"}, headers=bearer(api_token(container, root))).json()
    assert len(denied) == 1
    entry = denied[0]
    assert entry["action"] == "identity:organization:create"
    assert entry["actor"]["label"] == dev_admin.email
    assert entry["reason"] == "only a platform operator may do this"
    assert entry["details"]["request"]["ip"] == "127.0.0.1"


def test_audit_reading_is_scoped_by_role(container: Container, http: httpx.Client) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    dev = make_org(container, OrgKind.DEVELOPER)
    other = make_org(container, OrgKind.DEVELOPER)
    po_admin = make_user(container, po, role=Role.ADMIN)
    po_member = make_user(container, po)
    dev_admin = make_user(container, dev, role=Role.ADMIN)
    dev_member = make_user(container, dev)
    other_admin = make_user(container, other, role=Role.ADMIN)
    api_token(container, other_admin, name="other org activity")
    everything = http.get("/api/v1/audit/entries", params={"limit": 500}, headers=bearer(api_token(container, po_admin))).json()
    assert any(e["actor"]["org_id"] == str(other.id) for e in everything)
    own = http.get("/api/v1/audit/entries", params={"limit": 500}, headers=bearer(api_token(container, dev_admin))).json()
    assert own and all(e["actor"]["org_id"] == str(dev.id) for e in own)
    assert_problem(http.get("/api/v1/audit/entries", headers=bearer(api_token(container, dev_member))), 403)
    assert_problem(http.get("/api/v1/audit/entries", headers=bearer(api_token(container, po_member))), 403)
    assert_problem(http.get("/api/v1/audit/verify", headers=bearer(api_token(container, dev_admin))), 403)
    assert_problem(http.get("/api/v1/audit/export", headers=bearer(api_token(container, dev_admin))), 403)
    assert_problem(
        http.get("/api/v1/audit/entries", params={"outcome": "maybe"}, headers=bearer(api_token(container, po_admin))),
        422,
        field="outcome",
    )
    assert_problem(
        http.get("/api/v1/audit/entries", params={"limit": 0}, headers=bearer(api_token(container, po_admin))), 422, field="limit"
    )


def test_checkpoint_verify_and_export_can_be_checked_independently(container: Container, http: httpx.Client) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    po_admin = make_user(container, po, role=Role.ADMIN)
    auth = bearer(api_token(container, po_admin))
    first = http.post("/api/v1/audit/checkpoints", headers=auth)
    assert first.status_code == 201, first.text
    again = http.post("/api/v1/audit/checkpoints", headers=auth)
    assert again.status_code == 204
    verify = http.get("/api/v1/audit/verify", headers=auth).json()
    assert verify["ok"] is True and verify["checkpoints"] == 1 and verify["problems"] == []

    exported = http.get("/api/v1/audit/export", headers=auth)
    assert exported.status_code == 200
    lines = [json.loads(line) for line in exported.text.splitlines()]
    prev = GENESIS_HASH
    for entry in lines:
        stored = entry.pop("hash")
        assert entry["prev_hash"] == prev
        digest = hashlib.sha256(prev.encode() + b"\n" + canonical_json(entry)).hexdigest()
        assert digest == stored, entry["seq"]
        prev = stored

    checkpoint = first.json()
    keys = {k["key_id"]: k for k in http.get("/api/v1/audit/public-keys", headers=auth).json()}
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(keys[checkpoint["key_id"]]["public_key"]))
    from datetime import datetime

    message = checkpoint_message(
        checkpoint["seq"], checkpoint["entry_hash"], datetime.fromisoformat(checkpoint["created_at"]), checkpoint["key_id"]
    )
    public.verify(base64.b64decode(checkpoint["signature"]), message)  # raises when invalid
    exported_entry = next(e for e in lines if e["seq"] == checkpoint["seq"])
    assert exported_entry["action"] != ""

    audited = http.get("/api/v1/audit/entries", params={"action": "audit:log:exported"}, headers=auth).json()
    assert len(audited) == 1


def test_times_without_offset_are_taken_as_utc(container: Container, http: httpx.Client) -> None:
    root = make_superuser(container)
    auth = bearer(api_token(container, root))
    entries = http.get("/api/v1/audit/entries", params={"since": "2026-06-02T11:00:00"}, headers=auth)
    assert entries.status_code == 200, entries.text
    assert len(entries.json()) >= 1
    none_yet = http.get("/api/v1/audit/entries", params={"since": "2026-06-02T13:00:00"}, headers=auth)
    assert none_yet.json() == []
    assert_problem(http.get("/api/v1/audit/entries", params={"since": "yesterday"}, headers=auth), 422, field="since")
    export = http.get("/api/v1/audit/export", params={"until": "2026-06-02T12:30:00"}, headers=auth)
    assert export.status_code == 200
    assert len(export.text.splitlines()) >= 1


def test_a_wrong_master_key_is_a_503_not_a_tampering_report(container: Container, settings: Settings, clock: FrozenClock) -> None:
    import os

    from tests.live import serve

    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    po_admin = make_user(container, po, role=Role.ADMIN)
    token = api_token(container, po_admin)
    with container.uow() as uow:
        from frontier_review.audit import service as audit
        from tests.factories.identity import SYSTEM

        assert audit.create_checkpoint(uow, SYSTEM) is not None
    from pydantic import SecretStr

    other_key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    misconfigured = build_container(settings.model_copy(update={"master_key": other_key}), clock=clock)
    try:
        with serve(misconfigured) as url, httpx.Client(base_url=url) as client:
            response = client.get("/api/v1/audit/verify", headers=bearer(token))
            body = assert_problem(response, 503)
            assert "master key" in str(body["detail"])
    finally:
        misconfigured.close()


def test_public_keys_lists_only_keys_that_open_under_the_master_key(container: Container, http: httpx.Client) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    from frontier_review.audit import service as audit
    from frontier_review.security.orm import InstanceKey
    from frontier_review.security.service import public_key_id
    from tests.conftest import START
    from tests.factories.identity import SYSTEM

    with container.uow() as uow:
        audit.create_checkpoint(uow, SYSTEM)
    root = make_superuser(container)
    planted = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with container.sessions() as session, session.begin():
        session.add(
            InstanceKey(
                id=public_key_id(planted),
                purpose="audit-signing",
                public_key=planted,
                private_key_sealed=b"\x01" + b"\x00" * 60,
                active=True,
                created_at=START,
            )
        )
    keys = http.get("/api/v1/audit/public-keys", headers=bearer(api_token(container, root))).json()
    assert len(keys) == 1
    assert keys[0]["key_id"] != public_key_id(planted)
