"""verify_chain on hand-built chains: every kind of tampering is detected and named (A1)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from frontier_review.audit.domain import (
    GENESIS_HASH,
    CheckpointRecord,
    EntryFields,
    StoredEntry,
    VerifyReport,
    entry_hash,
    verify_chain,
)
from tests.unit.audit_chains import build_chain, chain_of, fields, head, relink

CP_ID = uuid.UUID(int=0xC9)


def verify(chain: list[StoredEntry], head_at: tuple[int, str], checkpoints: list[CheckpointRecord] | None = None) -> VerifyReport:
    return verify_chain(chain, head_seq=head_at[0], head_hash=head_at[1], checkpoints=checkpoints or [])


def test_intact_chain() -> None:
    chain = chain_of(5)
    report = verify(chain, head(chain))
    assert report.ok
    assert report.problems == []
    assert report.first_bad_seq is None
    assert (report.entries, report.last_seq, report.last_hash) == (5, 5, chain[-1].hash)


def test_empty_log_with_genesis_head_is_intact() -> None:
    report = verify([], (0, GENESIS_HASH))
    assert report.ok
    assert (report.entries, report.last_seq, report.last_hash) == (0, 0, GENESIS_HASH)


def test_first_entry_links_to_genesis() -> None:
    assert chain_of(1)[0].fields.prev_hash == GENESIS_HASH
    forged = StoredEntry(fields(1, "1" * 64), entry_hash(fields(1, "1" * 64)))
    report = verify([forged], head([forged]))
    assert report.first_bad_seq == 1
    assert "link" in report.problems[0]


def test_edited_entry() -> None:
    chain = chain_of(5)
    original = head(chain)
    chain[2] = StoredEntry(replace(chain[2].fields, details={"n": 3, "name": "Someone Else"}), chain[2].hash)
    report = verify(chain, original)
    assert not report.ok
    assert report.first_bad_seq == 3
    assert "entry #3" in report.problems[0]
    assert "edited" in report.problems[0]
    assert report.entries == 2
    assert len(report.problems) == 1  # head is not re-reported once the chain broke


def test_edited_stored_hash() -> None:
    chain = chain_of(4)
    original = head(chain)
    chain[1] = StoredEntry(chain[1].fields, "0" * 64)
    report = verify(chain, original)
    assert report.first_bad_seq == 2


def test_deleted_entry_in_the_middle() -> None:
    chain = chain_of(5)
    original = head(chain)
    del chain[2]
    report = verify(chain, original)
    assert not report.ok
    # the first entry that fails is the one found where #3 was expected
    assert report.first_bad_seq == 4
    assert "expected entry #3" in report.problems[0]
    assert "deleted or inserted" in report.problems[0]


def test_deleted_entry_and_renumbered_rest() -> None:
    chain = chain_of(5)
    original = head(chain)
    rest = [StoredEntry(replace(s.fields, seq=s.fields.seq - 1), s.hash) for s in chain[3:]]
    report = verify([*chain[:2], *rest], original)
    assert report.first_bad_seq == 3
    assert "link" in report.problems[0]


def test_inserted_entry_in_the_middle() -> None:
    chain = chain_of(4)
    original = head(chain)
    forged_fields = replace(fields(3, chain[1].hash), actor_label="forger")
    forged = StoredEntry(forged_fields, entry_hash(forged_fields))
    renumbered = [StoredEntry(replace(s.fields, seq=s.fields.seq + 1), s.hash) for s in chain[2:]]
    report = verify([*chain[:2], forged, *renumbered], original)
    assert not report.ok
    assert report.first_bad_seq == 4
    assert "broken" in report.problems[0]


def test_inserted_entry_with_duplicate_seq() -> None:
    chain = chain_of(4)
    original = head(chain)
    report = verify([*chain[:2], chain[1], *chain[2:]], original)
    assert not report.ok
    assert report.entries == 2
    assert "expected entry #3" in report.problems[0]


def test_entry_appended_outside_the_log() -> None:
    chain = chain_of(3)
    original = head(chain)
    extra_fields = fields(4, chain[-1].hash)
    report = verify([*chain, StoredEntry(extra_fields, entry_hash(extra_fields))], original)
    assert not report.ok
    assert report.first_bad_seq == 4
    assert "appended outside the log" in report.problems[0]


def test_swapped_entries() -> None:
    chain = chain_of(5)
    original = head(chain)
    chain[1], chain[2] = chain[2], chain[1]
    report = verify(chain, original)
    assert not report.ok
    assert report.entries == 1
    assert "expected entry #2" in report.problems[0]


def test_reordered_by_renumbering() -> None:
    chain = chain_of(5)
    original = head(chain)
    second, fourth = chain[1], chain[3]
    chain[1] = StoredEntry(replace(fourth.fields, seq=2), fourth.hash)
    chain[3] = StoredEntry(replace(second.fields, seq=4), second.hash)
    report = verify(chain, original)
    assert report.first_bad_seq == 2
    assert "reordered" in report.problems[0]


def test_truncated_tail_is_caught_by_the_head() -> None:
    chain = chain_of(5)
    original = head(chain)
    report = verify(chain[:3], original)
    assert not report.ok
    assert report.entries == 3
    assert report.first_bad_seq == 4
    assert "after #3 are missing" in report.problems[0]


def test_rewritten_tail_is_caught_by_the_head() -> None:
    chain = chain_of(3)
    report = verify(chain, (3, "f" * 64))
    assert report.first_bad_seq == 3
    assert "hash differs from the chain head" in report.problems[0]


def test_valid_checkpoint() -> None:
    chain = chain_of(4)
    report = verify(chain, head(chain), [CheckpointRecord(CP_ID, 2, chain[1].hash, signature_valid=True)])
    assert report.ok
    assert report.checkpoints == 1


def test_checkpoint_with_invalid_signature() -> None:
    chain = chain_of(4)
    report = verify(chain, head(chain), [CheckpointRecord(CP_ID, 2, chain[1].hash, signature_valid=False)])
    assert not report.ok
    assert report.first_bad_seq == 2
    assert "signature does not verify" in report.problems[0]


def test_checkpoint_with_mismatching_hash() -> None:
    chain = chain_of(4)
    report = verify(chain, head(chain), [CheckpointRecord(CP_ID, 3, "a" * 64, signature_valid=True)])
    assert report.first_bad_seq == 3
    assert "signed hash differs" in report.problems[0]


def test_checkpoint_beyond_the_tip() -> None:
    chain = chain_of(2)
    report = verify(chain, head(chain), [CheckpointRecord(CP_ID, 5, "a" * 64, signature_valid=True)])
    assert report.first_bad_seq == 5
    assert "missing" in report.problems[0]


def test_fully_rewritten_chain_is_caught_only_by_the_checkpoint() -> None:
    chain = chain_of(4)
    checkpoint = CheckpointRecord(CP_ID, 4, chain[-1].hash, signature_valid=True)
    chain[0] = StoredEntry(replace(chain[0].fields, details={"name": "Forged"}), chain[0].hash)
    forged = relink(chain)
    assert verify(forged, head(forged)).ok  # the chain alone cannot tell
    report = verify(forged, head(forged), [checkpoint])
    assert not report.ok
    assert report.first_bad_seq == 4


def test_checkpoint_problems_are_reported_after_a_broken_entry() -> None:
    chain = chain_of(4)
    original = head(chain)
    checkpoint = CheckpointRecord(CP_ID, 1, chain[0].hash, signature_valid=False)
    chain[2] = StoredEntry(replace(chain[2].fields, action="identity:nothing"), chain[2].hash)
    report = verify(chain, original, [checkpoint])
    assert report.first_bad_seq == 3
    assert len(report.problems) == 2
    assert "signature" in report.problems[1]


# Properties ---------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
details_dicts = st.dictionaries(st.text(max_size=8), json_values, max_size=4)

Mutation = Callable[[StoredEntry], StoredEntry]


def _field(**changes: Any) -> Mutation:
    return lambda s: StoredEntry(replace(s.fields, **changes), s.hash)


def _with(update: Callable[[EntryFields], dict[str, Any]]) -> Mutation:
    return lambda s: StoredEntry(replace(s.fields, **update(s.fields)), s.hash)


MUTATIONS: dict[str, Mutation] = {
    "details": _with(lambda f: {"details": {**f.details, "\x00tampered": True}}),
    "id": _with(lambda f: {"id": uuid.UUID(int=f.id.int ^ 1)}),
    "occurred_at": _with(lambda f: {"occurred_at": f.occurred_at + timedelta(microseconds=1)}),
    "actor_label": _with(lambda f: {"actor_label": f.actor_label + "x"}),
    "actor_user_id": _field(actor_user_id=None),
    "actor_org_id": _field(actor_org_id=uuid.UUID(int=0xBAD)),
    "action": _field(action="identity:organization:deleted"),
    "outcome": _field(outcome="denied"),
    "target_type": _field(target_type="user"),
    "target_id": _field(target_id=None),
    "reason": _field(reason="because"),
    "prev_hash": _with(lambda f: {"prev_hash": f.prev_hash[:-1] + ("1" if f.prev_hash[-1] != "1" else "2")}),
    "stored_hash": lambda s: StoredEntry(s.fields, s.hash[:-1] + ("1" if s.hash[-1] != "1" else "2")),
}


@given(st.lists(details_dicts, min_size=1, max_size=8))
def test_any_chain_built_by_the_rules_verifies(details: list[dict[str, Any]]) -> None:
    chain = build_chain(details)
    report = verify(chain, head(chain))
    assert report.ok, report.problems
    assert report.entries == len(details)


@given(st.data())
def test_mutating_any_one_entry_names_that_entry(data: st.DataObject) -> None:
    chain = build_chain(data.draw(st.lists(details_dicts, min_size=1, max_size=8), label="details"))
    original = head(chain)
    index = data.draw(st.integers(min_value=0, max_value=len(chain) - 1), label="index")
    mutation = data.draw(st.sampled_from(sorted(MUTATIONS)), label="mutation")
    chain[index] = MUTATIONS[mutation](chain[index])
    report = verify(chain, original)
    assert not report.ok
    assert report.first_bad_seq == index + 1
    assert report.entries == index
