"""The audit entry's canonical form: JSON bytes, hashing, timestamps and detail values."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.audit.domain import (
    GENESIS_HASH,
    EntryFields,
    canonical_json,
    check_details,
    checkpoint_message,
    entry_hash,
    format_instant,
)
from tests.unit.audit_chains import fields

# canonical_json ------------------------------------------------------------------------


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert canonical_json({"b": 1, "a": [1.5, "é", None, True]}) == '{"a":[1.5,"é",null,true],"b":1}'.encode()


@given(st.dictionaries(st.text(max_size=6), st.integers() | st.text(max_size=6), max_size=8))
def test_canonical_json_ignores_insertion_order(value: dict[str, Any]) -> None:
    reversed_order = dict(reversed(list(value.items())))
    assert canonical_json(value) == canonical_json(reversed_order)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_canonical_json_refuses_non_finite_numbers(bad: float) -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        canonical_json({"x": bad})


# The entry whose hash the formula test spells out (test_audit_rows reads it back from a row).
DOCUMENTED_ENTRY = EntryFields(
    seq=7,
    id=uuid.UUID("12345678-1234-5678-1234-567812345678"),
    occurred_at=datetime(2026, 6, 2, 14, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2))),
    actor_label="ann@example.org",
    actor_user_id=uuid.UUID(int=1),
    actor_org_id=None,
    action="identity:user:created",
    outcome="success",
    target_type="user",
    target_id="u-1",
    reason=None,
    details={"email": "bob@example.org"},
    prev_hash="ab" * 32,
)


# entry_hash ----------------------------------------------------------------------------


def test_entry_hash_follows_the_documented_formula() -> None:
    """SHA-256(prev_hash || "\\n" || canonical JSON), so anyone can recompute it from an export."""
    f = DOCUMENTED_ENTRY
    expected_json = (
        '{"action":"identity:user:created",'
        '"actor":{"label":"ann@example.org","org_id":null,"user_id":"00000000-0000-0000-0000-000000000001"},'
        '"details":{"email":"bob@example.org"},'
        '"id":"12345678-1234-5678-1234-567812345678",'
        '"occurred_at":"2026-06-02T12:30:15.123456Z",'
        '"outcome":"success",'
        '"prev_hash":"' + "ab" * 32 + '",'
        '"reason":null,'
        '"seq":7,'
        '"target":{"id":"u-1","type":"user"}}'
    ).encode()
    assert canonical_json(f.canonical()) == expected_json
    assert entry_hash(f) == hashlib.sha256(("ab" * 32 + "\n").encode() + expected_json).hexdigest()


def test_entry_hash_is_deterministic() -> None:
    a = fields(3, GENESIS_HASH, {"b": 2, "a": [1, 2]})
    b = fields(3, GENESIS_HASH, {"a": [1, 2], "b": 2})
    assert entry_hash(a) == entry_hash(b)
    assert len(entry_hash(a)) == 64


CHANGES: dict[str, Any] = {
    "seq": 4,
    "id": uuid.UUID(int=99),
    "occurred_at": datetime(2026, 6, 2, 12, 0, 3, 1, tzinfo=UTC),
    "actor_label": "someone-else@example.org",
    "actor_user_id": None,
    "actor_org_id": uuid.UUID(int=0x201),
    "action": "identity:organization:deleted",
    "outcome": "failure",
    "target_type": "user",
    "target_id": "other",
    "reason": "a reason",
    "details": {"n": 4},
    "prev_hash": "1" * 64,
}


def test_changes_cover_every_field() -> None:
    assert set(CHANGES) == {f.name for f in dataclass_fields(EntryFields)}


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_entry_hash_changes_when_any_field_changes(name: str) -> None:
    original = fields(3, GENESIS_HASH, {"n": 3})
    changed = replace(original, **{name: CHANGES[name]})
    assert getattr(changed, name) != getattr(original, name)
    assert entry_hash(changed) != entry_hash(original)


# format_instant and checkpoint_message -------------------------------------------------------


def test_format_instant_is_utc_with_microseconds() -> None:
    assert format_instant(datetime(2026, 6, 2, 12, 0, tzinfo=UTC)) == "2026-06-02T12:00:00.000000Z"
    east = datetime(2026, 6, 2, 1, 2, 3, 45, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert format_instant(east) == "2026-06-01T19:32:03.000045Z"


def test_format_instant_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_instant(datetime(2026, 6, 2, 12, 0))


def test_checkpoint_message_bytes() -> None:
    message = checkpoint_message(42, "c" * 64, datetime(2026, 6, 2, 12, 0, tzinfo=UTC), "ik_1")
    assert (
        message
        == (
            '{"created_at":"2026-06-02T12:00:00.000000Z","entry_hash":"' + "c" * 64 + '","key_id":"ik_1",'
            '"seq":42,"type":"frontier-review/audit-checkpoint/v1"}'
        ).encode()
    )
    assert checkpoint_message(43, "c" * 64, datetime(2026, 6, 2, 12, 0, tzinfo=UTC), "ik_1") != message


# check_details -------------------------------------------------------------------------


def test_check_details_keeps_json_values() -> None:
    value = {"s": "x", "i": 3, "f": 1.25, "b": False, "n": None, "l": [1, "2"], "d": {"k": [True]}}
    assert check_details(value) == value


def test_check_details_converts_uuid_datetime_tuple_and_keys() -> None:
    ident = uuid.UUID(int=5)
    when = datetime(2026, 6, 2, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    details: dict[Any, Any] = {"id": ident, "at": when, "t": (1, ident), 7: {"nested": when}}
    result = check_details(details)
    assert result == {
        "id": "00000000-0000-0000-0000-000000000005",
        "at": "2026-06-02T12:00:00.000000Z",
        "t": [1, "00000000-0000-0000-0000-000000000005"],
        "7": {"nested": "2026-06-02T12:00:00.000000Z"},
    }


def test_check_details_keeps_bool_distinct_from_int() -> None:
    result = check_details({"flag": True})
    assert result["flag"] is True


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_check_details_refuses_non_finite_numbers_with_their_path(bad: float) -> None:
    with pytest.raises(ValueError, match=r"audit detail outer\.inner\[1\] is not a finite number"):
        check_details({"outer": {"inner": [0.0, bad]}})


@pytest.mark.parametrize(
    ("bad", "type_name"),
    [(b"bytes", "bytes"), ({1, 2}, "set"), (Decimal("1.5"), "Decimal"), (object(), "object")],
)
def test_check_details_refuses_unsupported_types(bad: object, type_name: str) -> None:
    with pytest.raises(ValueError, match=rf"audit detail x has unsupported type {type_name}"):
        check_details({"x": bad})


def test_check_details_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        check_details({"at": datetime(2026, 6, 2, 12, 0)})


def test_check_details_refuses_text_that_cannot_be_encoded() -> None:
    """A lone surrogate has no UTF-8 form, so the entry could not be hashed or stored."""
    with pytest.raises(ValueError, match="audit detail"):
        check_details({"name": "Mallory \ud800"})


def test_check_details_refuses_keys_that_collide_once_stringified() -> None:
    """Both ``1`` and ``"1"`` become the key ``"1"``; one value must not vanish silently."""
    with pytest.raises(ValueError, match="audit detail"):
        details: dict[Any, str] = {1: "first", "1": "second"}
        check_details(details)
