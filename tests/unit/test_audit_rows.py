"""The fast path of verification (``audit.rows``): the exact path's bytes, and the exact path's reports.

The fast path writes an entry's canonical JSON straight from its stored columns. These tests
hold it to the exact path (``EntryFields.canonical`` through ``canonical_json``) over generated
entries — any text, any detail values a log may hold, details stored in any JSON spelling — and
hold the walk over rows to ``verify_chain`` over the same entries read the exact way, whatever
was done to the rows.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from frontier_review.audit import rows
from frontier_review.audit.domain import (
    GENESIS_HASH,
    ChainWalk,
    CheckpointRecord,
    EntryFields,
    StoredEntry,
    VerifyReport,
    canonical_json,
    check_details,
    entry_hash,
    finish_report,
    verify_chain,
    wanted_seqs,
)
from tests.unit.test_audit_canonical import DOCUMENTED_ENTRY

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)  # lone surrogates are refused on the way in
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | TEXT
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=10
)
DETAILS = st.dictionaries(TEXT, VALUES, max_size=5).map(check_details)
ZONES = st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))])
TIMES = st.datetimes(min_value=datetime(1000, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES)
# Few distinct actors and targets, as in a real log, so the fast path's caches are hit and missed.
LABELS = st.sampled_from(["ann@example.org", 'quote"d\\label', "ünïcode 👩‍🔬", ""]) | TEXT
IDS = st.sampled_from([uuid.UUID(int=1), uuid.UUID(int=2**128 - 1)]) | st.uuids()
OPTIONAL_TEXT = st.none() | st.sampled_from(["null", "", "engagement"]) | TEXT


@st.composite
def entry_fields(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "id": draw(st.uuids()),
        "occurred_at": draw(TIMES),
        "actor_label": draw(LABELS),
        "actor_user_id": draw(st.none() | IDS),
        "actor_org_id": draw(st.none() | IDS),
        "action": draw(st.sampled_from(["gateway:call", "identity:user:created"]) | TEXT),
        "outcome": draw(st.sampled_from(["success", "denied", "failure"]) | TEXT),
        "target_type": draw(OPTIONAL_TEXT),
        "target_id": draw(OPTIONAL_TEXT),
        "reason": draw(OPTIONAL_TEXT),
        "details": draw(DETAILS),
    }


def chain(entries: Sequence[dict[str, Any]]) -> list[StoredEntry]:
    out: list[StoredEntry] = []
    prev = GENESIS_HASH
    for seq, values in enumerate(entries, start=1):
        f = EntryFields(seq=seq, prev_hash=prev, **values)
        out.append(StoredEntry(f, entry_hash(f)))
        prev = out[-1].hash
    return out


def sqlite_time(value: datetime) -> str:
    """The time as SQLite stores it (SQLAlchemy's format, UTC), then as the verifier's SELECT rewrites it."""
    u = value.astimezone(UTC)
    stored = f"{u.year:04d}-{u.month:02d}-{u.day:02d} {u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}"
    return stored.replace(" ", "T") + "Z"


def stored_spelling(details: Any) -> str:
    """Details as ``orm.CanonicalJSON`` stores them."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"), allow_nan=False)


def legacy_spelling(details: Any) -> str:
    """Details as SQLAlchemy's JSON type stored them before ``CanonicalJSON``."""
    return json.dumps(details)


def as_row(stored: StoredEntry, details_text: str | None = None, *, dashed: bool = False) -> list[Any]:
    """The row the verifier's SELECT returns for ``stored``.

    Details as ``CanonicalJSON`` stores them unless ``details_text`` is given; UUIDs as SQLite
    stores them, or ``dashed`` as PostgreSQL writes them.
    """
    f = stored.fields

    def text(value: uuid.UUID | None) -> str | None:
        return None if value is None else str(value) if dashed else value.hex

    return [
        f.seq,
        text(f.id),
        sqlite_time(f.occurred_at),
        f.actor_label,
        text(f.actor_user_id),
        text(f.actor_org_id),
        f.action,
        f.outcome,
        f.target_type,
        f.target_id,
        f.reason,
        stored_spelling(dict(f.details)) if details_text is None else details_text,
        f.prev_hash,
        stored.hash,
    ]


def read_exactly(row: Sequence[Any]) -> StoredEntry:
    """The entry as the ORM reads the row (the test's stand-in for the exact path's query)."""
    seq, ident, at, label, user, org, action, outcome, ttype, tid, reason, details, prev, digest = row
    return StoredEntry(
        EntryFields(
            seq=seq,
            id=uuid.UUID(ident),
            occurred_at=datetime.fromisoformat(at.removesuffix("Z")).replace(tzinfo=UTC),
            actor_label=label,
            actor_user_id=uuid.UUID(user) if user is not None else None,
            actor_org_id=uuid.UUID(org) if org is not None else None,
            action=action,
            outcome=outcome,
            target_type=ttype,
            target_id=tid,
            reason=reason,
            details=json.loads(details),
            prev_hash=prev,
        ),
        digest,
    )


# The text: byte for byte ------------------------------------------------------------------------


def spellings(details: dict[str, Any]) -> list[str]:
    """The same details in the JSON spellings a database may hold them in."""
    backwards = dict(reversed(list(details.items())))
    return [
        stored_spelling(details),
        legacy_spelling(details),  # ASCII escapes, ", " and ": "
        json.dumps(details, ensure_ascii=False),
        json.dumps(backwards, separators=(",", ":")),
        json.dumps(details, indent=2),
        canonical_json(details).decode(),
    ]


@given(entry_fields(), st.from_regex(r"[0-9a-f]{64}", fullmatch=True), st.integers(min_value=1, max_value=2**62))
@settings(max_examples=300)
def test_row_text_is_the_exact_paths_text_byte_for_byte(values: dict[str, Any], prev: str, seq: int) -> None:
    f = EntryFields(seq=seq, prev_hash=prev, **values)
    stored = StoredEntry(f, entry_hash(f))
    exact = f"{prev}\n".encode("ascii") + canonical_json(f.canonical())
    for text in spellings(dict(f.details)):
        for dashed in (False, True):
            fast = rows.row_text(as_row(stored, text, dashed=dashed)).encode("utf-8")
            assert fast == exact
            assert hashlib.sha256(fast).hexdigest() == stored.hash
    # Taken as stored, the canonical spelling is the exact text; CanonicalJSON's is, for ASCII text.
    canonical = canonical_json(dict(f.details)).decode()
    assert rows.row_text(as_row(stored, canonical), details_as_stored=True).encode("utf-8") == exact
    if canonical.isascii():
        assert rows.row_text(as_row(stored), details_as_stored=True).encode("utf-8") == exact


def test_row_text_of_a_documented_entry() -> None:
    """The expected text of test_audit_canonical's formula test, from the row a database returns."""
    f = DOCUMENTED_ENTRY
    row = as_row(StoredEntry(f, entry_hash(f)))
    assert row[1:3] == ["12345678123456781234567812345678", "2026-06-02T12:30:15.123456Z"]
    assert rows.row_text(row) == "ab" * 32 + "\n" + canonical_json(f.canonical()).decode()


# The walk: the exact path's report, whatever was done to the rows -------------------------------------


Tamper = Callable[[list[list[Any]], int, Any], None]


def _set(column: int) -> Tamper:
    def tamper(table: list[list[Any]], i: int, value: Any) -> None:
        table[i][column] = value

    return tamper


def _details_respelled(table: list[list[Any]], i: int, _: Any) -> None:
    table[i][11] = json.dumps(dict(reversed(list(json.loads(table[i][11]).items()))), indent=1, ensure_ascii=False)


def _details_trailing(table: list[list[Any]], i: int, text: str) -> None:
    table[i][11] = table[i][11] + text


def _id_upper_case(table: list[list[Any]], i: int, _: Any) -> None:
    table[i][1] = table[i][1].upper()


def _id_hex(table: list[list[Any]], i: int, _: Any) -> None:
    table[i][1] = uuid.UUID(table[i][1]).hex


def _id_dashed(table: list[list[Any]], i: int, _: Any) -> None:
    table[i][1] = str(uuid.UUID(table[i][1]))


def _details_text_edited(table: list[list[Any]], i: int, edit: tuple[int, int, str]) -> None:
    """A character of the stored text replaced, removed or added, wherever: structure, keys, values."""
    at, length, text = edit
    stored = table[i][11]
    at %= len(stored) + 1
    table[i][11] = stored[:at] + text + stored[at + length :]


def _details_in_legacy_spelling(table: list[list[Any]], i: int, _: Any) -> None:
    table[i][11] = legacy_spelling(json.loads(table[i][11]))


def _time_plus_a_microsecond(table: list[list[Any]], i: int, _: Any) -> None:
    at = datetime.fromisoformat(table[i][2].removesuffix("Z")) + timedelta(microseconds=1)
    table[i][2] = at.isoformat(timespec="microseconds") + "Z"


def _deleted(table: list[list[Any]], i: int, _: Any) -> None:
    del table[i]


def _swapped_with_next(table: list[list[Any]], i: int, _: Any) -> None:
    if i + 1 < len(table):
        table[i], table[i + 1] = table[i + 1], table[i]


def _repeated(table: list[list[Any]], i: int, _: Any) -> None:
    table.insert(i, list(table[i]))


TAMPERINGS: dict[str, tuple[Tamper, st.SearchStrategy[Any]]] = {
    "nothing": (lambda table, i, v: None, st.none()),
    "seq": (_set(0), st.integers(min_value=0, max_value=9) | st.floats(min_value=0, max_value=9) | st.booleans()),
    "time": (_time_plus_a_microsecond, st.none()),
    "label": (_set(3), TEXT | st.binary(max_size=3)),
    "user": (_set(4), st.none() | st.uuids().map(lambda u: u.hex)),
    "action": (_set(6), TEXT),
    "outcome": (_set(7), TEXT),
    "target type": (_set(8), OPTIONAL_TEXT),
    "target id": (_set(9), OPTIONAL_TEXT),
    "reason": (_set(10), OPTIONAL_TEXT),
    "details": (_set(11), DETAILS.map(json.dumps)),
    "details respelled": (_details_respelled, st.none()),
    "details in the legacy spelling": (_details_in_legacy_spelling, st.none()),
    "details text edited": (
        _details_text_edited,
        st.tuples(
            st.integers(min_value=0),
            st.integers(min_value=0, max_value=2),
            st.sampled_from([*'{}[],:" \\u0aZ', "", ',"id":', "\\u00e9"]),
        ),
    ),
    "details with trailing text": (_details_trailing, st.sampled_from([" ", "\n", "x", "{}", ' "a"'])),
    "id in upper case": (_id_upper_case, st.none()),
    "id with dashes": (_id_dashed, st.none()),
    "id as hexadecimal digits": (_id_hex, st.none()),
    "prev_hash": (_set(12), st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
    "hash": (_set(13), st.from_regex(r"[0-9a-f]{64}", fullmatch=True)),
    "deleted": (_deleted, st.none()),
    "swapped": (_swapped_with_next, st.none()),
    "repeated": (_repeated, st.none()),
}


def outcome(run: Callable[[], VerifyReport]) -> VerifyReport | type[BaseException]:
    try:
        return run()
    except Exception as exc:  # the exact path raises on some values (bytes where text is stored): both must
        return type(exc)


@given(
    st.lists(entry_fields(), min_size=1, max_size=6),
    st.sampled_from(sorted(TAMPERINGS)),
    st.data(),
)
@settings(max_examples=400)
def test_walk_over_rows_reports_what_verify_chain_reports(entries: list[dict[str, Any]], name: str, data: st.DataObject) -> None:
    original = chain(entries)
    dashed = data.draw(st.booleans())  # PostgreSQL's form of UUIDs, or SQLite's
    table = [as_row(stored, dashed=dashed) for stored in original]
    tamper, values = TAMPERINGS[name]
    tamper(table, data.draw(st.integers(min_value=0, max_value=len(table) - 1)), data.draw(values))
    signed_at = data.draw(st.integers(min_value=1, max_value=len(original)))
    checkpoints = [CheckpointRecord(uuid.UUID(int=9), signed_at, original[signed_at - 1].hash, signature_valid=True)]
    head_seq, head_hash = len(original), original[-1].hash
    cut = data.draw(st.integers(min_value=0, max_value=len(table)))  # where one batch of rows ends

    def exact_path() -> VerifyReport:
        entries = [read_exactly(row) for row in table]
        return verify_chain(entries, head_seq=head_seq, head_hash=head_hash, checkpoints=checkpoints)

    exact_reads: list[int] = []

    def read(row: Sequence[Any]) -> StoredEntry:
        exact_reads.append(row[0])
        return read_exactly(row)

    def fast_path() -> VerifyReport:
        walk = ChainWalk(start_seq=0, start_hash=GENESIS_HASH, wanted=wanted_seqs(checkpoints, []))
        rows.walk_rows(walk, [table[:cut], table[cut:]], read)
        return finish_report(walk, head_seq=head_seq, head_hash=head_hash, checkpoints=checkpoints, anchors=[])

    assert outcome(fast_path) == outcome(exact_path)
    if name == "nothing":
        assert exact_reads == []  # every untouched entry is accepted by the fast path itself


def test_a_year_before_1000_is_left_to_the_exact_path() -> None:
    """strftime writes such a year without its leading zero on some platforms: the fast path does not guess."""
    values = {
        "id": uuid.UUID(int=5),
        "occurred_at": datetime(999, 12, 31, 23, 59, tzinfo=UTC),
        "actor_label": "ann@example.org",
        "actor_user_id": None,
        "actor_org_id": None,
        "action": "gateway:call",
        "outcome": "success",
        "target_type": None,
        "target_id": None,
        "reason": None,
        "details": {},
    }
    stored = chain([values])
    table = [as_row(s) for s in stored]
    walk = ChainWalk(start_seq=0, start_hash=GENESIS_HASH, wanted=[])
    rows.walk_rows(walk, [table], read_exactly)
    report = finish_report(walk, head_seq=1, head_hash=stored[0].hash, checkpoints=[], anchors=[])
    assert report == verify_chain(stored, head_seq=1, head_hash=stored[0].hash)
