"""Anchors (checkpoints kept outside the database): parsing and checking, as pure functions."""

from __future__ import annotations

import json

import pytest

from frontier_review.audit.domain import (
    AnchorError,
    AnchorRecord,
    VerifyReport,
    parse_anchor_document,
    parse_expectation,
    verify_chain,
)
from tests.unit.audit_chains import build_chain

LINE = {
    "type": "frontier-review/audit-checkpoint/v1",
    "id": "0b6f8a9e-0000-4000-8000-000000000001",
    "seq": 3,
    "entry_hash": "ab" * 32,
    "created_at": "2026-06-02T12:00:03.000000Z",
    "key_id": "ed25519_0011223344556677",
    "signature": "c2lnbmF0dXJl",
}


def test_witness_lines_published_list_and_api_list_all_parse() -> None:
    jsonl = json.dumps(LINE) + "\n\n" + json.dumps({**LINE, "seq": 5}) + "\n"
    assert [a.seq for a in parse_anchor_document(jsonl, source="w")] == [3, 5]
    published = json.dumps({"type": "frontier-review/audit-checkpoints/v1", "checkpoints": [LINE]})
    assert parse_anchor_document(published, source="p")[0].signed
    assert parse_anchor_document(json.dumps([LINE]), source="a")[0].origin == "a item 1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no checkpoints"),
        ('{"checkpoints": []}', "holds no checkpoints"),
        ("{oops", "line 1: not JSON"),
        ("42", "expected checkpoints"),
        (json.dumps({**LINE, "seq": True}), "seq must be a positive whole number"),
        (json.dumps({**LINE, "entry_hash": "AB" * 32}), "64 lower-case hexadecimal"),
        (json.dumps({**LINE, "created_at": "yesterday"}), "created_at is not an ISO 8601 time"),
        (json.dumps({**LINE, "created_at": "2026-06-02T12:00:03"}), "no UTC offset"),
        (json.dumps({**LINE, "signature": "not base64!"}), "signature is not base64"),
        (json.dumps({k: v for k, v in LINE.items() if k != "key_id"}), "lacks key_id"),
    ],
)
def test_malformed_anchor_documents_are_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(AnchorError, match=message):
        parse_anchor_document(text, source="anchor.jsonl")


@pytest.mark.parametrize("value", ["", "12", "x:" + "ab" * 32, "0:" + "ab" * 32, "3:abc", "-1:" + "ab" * 32])
def test_malformed_expectations_are_refused(value: str) -> None:
    with pytest.raises(AnchorError):
        parse_expectation(value)


def test_expectation_accepts_upper_case_hex() -> None:
    point = parse_expectation("7:" + "AB" * 32)
    assert (point.seq, point.entry_hash, point.signed) == (7, "ab" * 32, False)


def test_anchor_catches_a_tail_truncated_with_its_head() -> None:
    chain = build_chain([{"n": i} for i in range(1, 11)])
    kept = chain[:6]  # entries 7-10 deleted, head reset to #6
    head = (kept[-1].fields.seq, kept[-1].hash)
    assert verify_chain(kept, head_seq=head[0], head_hash=head[1]).ok
    anchor = AnchorRecord(8, chain[7].hash, "witness", signature_valid=True)
    report = verify_chain(kept, head_seq=head[0], head_hash=head[1], anchors=[anchor])
    assert not report.ok
    assert report.first_bad_seq == 7
    assert "the log ends at #6, but the anchor shows it reached #8" in report.problems[0]


def test_anchor_matches_rewrite_and_forgery() -> None:
    chain = build_chain([{"n": i} for i in range(1, 6)])

    def check(anchor: AnchorRecord) -> VerifyReport:
        return verify_chain(chain, head_seq=5, head_hash=chain[-1].hash, anchors=[anchor])

    good = check(AnchorRecord(3, chain[2].hash, "w", True))
    assert good.ok and good.anchors == 1
    assert "entry #3 differs from the anchor" in check(AnchorRecord(3, "cd" * 32, "w", None)).problems[0]
    assert "signature does not verify" in check(AnchorRecord(3, chain[2].hash, "w", False)).problems[0]
