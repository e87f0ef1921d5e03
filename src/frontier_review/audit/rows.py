"""The chain check over rows as the database returns them: the fast path of verification.

Verifying a log of millions of entries is dominated by what is done per entry. The exact path
(:func:`~frontier_review.audit.domain.entry_problem`) builds an ORM object, an ``EntryFields``
and a dict per entry and hands the dict to ``json.dumps``: about 50 µs an entry. Here the
canonical JSON is written straight from the columns' text, and only the ``details`` object
goes through the JSON decoder and encoder — or not even that, when it is stored in the
canonical spelling already (as entries are since ``orm.CanonicalJSON``): a few µs an entry.

The fast path may only ever *accept* an entry. Every piece it writes is a JSON token (strings
through the JSON string encoder, ``details`` through the encoder with the canonical settings),
so when its bytes hash to the stored hash they are the bytes the entry was hashed from, and the
exact path, which reads the same values, writes them too. Details taken as stored are no token
of ours, but the rest is: the text before them ends with the top-level key ``"details":`` and
the text after them starts with the top-level key ``"id"``, each of which the hashed text holds
once, so equal bytes put the stored details exactly where the hashed details were: the same
canonical text, which the exact path decodes and encodes back to itself.

Anything else — a hash that differs, a link or sequence number out of place, a value in an
unexpected form (an upper-case UUID, a timestamp with an offset, a stray byte string) — is
handed to ``exact``, which reads that entry the exact way, and
:func:`~frontier_review.audit.domain.entry_problem` decides. So the report, its messages and
where it stops are the exact path's, entry for entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from json.encoder import encode_basestring
from typing import Any, cast

from frontier_review.audit.domain import ChainWalk, StoredEntry, canonical_json

__all__ = ["ROW_COLUMNS", "Row", "row_text", "walk_rows"]

#: What each row holds, in order (the reader's SELECT produces exactly this).
ROW_COLUMNS = (
    "seq",  # int
    "id",  # the UUID's text (36 characters, as str() writes it) or its 32 hexadecimal digits
    "occurred_at",  # "YYYY-MM-DDTHH:MM:SS.ffffffZ" in UTC
    "actor_label",
    "actor_user_id",  # as id, or None
    "actor_org_id",  # as id, or None
    "action",
    "outcome",
    "target_type",
    "target_id",
    "reason",
    "details",  # the stored JSON text
    "prev_hash",  # 64 lower-case hexadecimal digits
    "hash",
)
Row = Sequence[Any]


def _unsupported(value: object) -> object:
    raise TypeError(f"{type(value).__name__} is not JSON")


def _loads_at_start(text: str, _index: int) -> tuple[Any, int]:
    return json.loads(text), len(text)


def _dumps_canonical(value: object, _indent: int) -> tuple[str]:
    return (canonical_json(value).decode("utf-8"),)


_scan: Callable[[str, int], tuple[Any, int]] = _loads_at_start
_encode: Callable[[object, int], Iterable[str]] = _dumps_canonical
try:  # the C accelerators json.loads and json.dumps use, without their set-up on every call
    from _json import make_encoder, make_scanner
except ImportError:  # pragma: no cover - CPython always has them
    pass
else:
    # What json.loads(text) runs, for a text that starts with no whitespace.
    _scan = make_scanner(cast(make_scanner, json.JSONDecoder()))
    # canonical_json's encoder: no circularity check (parsed JSON has no cycles), no indent,
    # compact separators, sorted keys, no skipped keys, no NaN.
    _encode = make_encoder(None, _unsupported, encode_basestring, None, ":", ",", True, False, False)

_DIGEST = hashlib.sha256
_FAST_PATH_ERRORS = (TypeError, ValueError, AttributeError, LookupError, StopIteration, RecursionError)


class _Unusual(ValueError):
    """A value is not in the form the fast path writes from; the exact path reads the entry."""


def _details(text: str) -> str:
    value, end = _scan(text, 0)
    if end != len(text):  # trailing text: json.loads would refuse it (or skip whitespace)
        raise _Unusual
    return "".join(_encode(value, 0))


def _uuid(text: str | None) -> str:
    if text is None:
        return "null"
    if len(text) == 36:  # PostgreSQL's text form, which is str()'s
        return encode_basestring(text)
    return encode_basestring(f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}")  # SQLite's


def _text(value: str | None) -> str:
    return "null" if value is None else encode_basestring(value)


# The pieces of text around details, id, time, prev_hash and seq repeat from entry to entry
# (one actor makes many calls on one engagement), so they are written once per distinct
# values. Bounded: emptied when full. Only ever filled from str and None (the encoder
# refuses anything else), so no two keys that compare equal write differently.
_CACHE_LIMIT = 4096
_HEADS: dict[tuple[Any, ...], str] = {}
_TAILS: dict[tuple[Any, ...], tuple[str, str, str]] = {}


def _head(key: tuple[Any, ...]) -> str:
    action, label, user, org = key
    actor = f'{{"label":{encode_basestring(label)},"org_id":{_uuid(org)},"user_id":{_uuid(user)}}}'
    head = f'{{"action":{encode_basestring(action)},"actor":{actor},"details":'
    if len(_HEADS) >= _CACHE_LIMIT:
        _HEADS.clear()
    _HEADS[key] = head
    return head


def _tail(key: tuple[Any, ...]) -> tuple[str, str, str]:
    outcome, reason, target_type, target_id = key
    tail = (
        f',"outcome":{encode_basestring(outcome)},"prev_hash":"',
        f'","reason":{_text(reason)},"seq":',
        f',"target":{{"id":{_text(target_id)},"type":{_text(target_type)}}}}}',
    )
    if len(_TAILS) >= _CACHE_LIMIT:
        _TAILS.clear()
    _TAILS[key] = tail
    return tail


def row_text(row: Row, *, details_as_stored: bool = False) -> str:
    """``prev_hash``, a newline and the canonical JSON of the entry in ``row``: the text its hash covers.

    Equal, character for character, to what ``entry_hash`` hashes for the same entry whenever
    the row's values are in the forms ``ROW_COLUMNS`` names (the tests hold them equal); the
    caller checks ``prev_hash``, which is written as it is (the chain's walk compares it with the
    previous entry's hash before it asks for the text). With ``details_as_stored``, the stored
    details text goes in as it is, which is the canonical text only if it was stored so. Raises
    ``TypeError``, ``ValueError``, ``AttributeError`` … when a value is in no form it writes.
    """
    seq, ident, at, label, user, org, action, outcome, ttype, tid, reason, details, prev, _ = row
    if type(seq) is not int:  # json.dumps writes a float or a bool differently
        raise _Unusual
    head_key = (action, label, user, org)
    head = _HEADS.get(head_key) or _head(head_key)
    tail_key = (outcome, reason, ttype, tid)
    outcome_prev, reason_seq, target = _TAILS.get(tail_key) or _tail(tail_key)
    # The keys in sorted order, as canonical_json writes them.
    return (
        f'{prev}\n{head}{details if details_as_stored else _details(details)},"id":{_uuid(ident)},'
        f'"occurred_at":{encode_basestring(at)}'
        f"{outcome_prev}{prev}{reason_seq}{seq}{target}"
    )


def walk_rows(walk: ChainWalk, batches: Iterable[Sequence[Row]], exact: Callable[[Row], StoredEntry]) -> None:
    """Walk ``batches`` of rows (in ``seq`` order) onwards from ``walk``, stopping at the first broken entry.

    ``exact`` reads a row's entry the exact way; it is called only for a row the fast path does
    not accept, and that entry is then judged exactly as :func:`domain.verify_chain` judges it.
    """
    # Locals, not attributes, in the loop: it runs once per entry.
    expected_seq, expected_prev, wanted, kept = walk.next_seq, walk.prev_hash, walk.wanted, walk.kept
    digest = _DIGEST
    passed = 0
    try:
        for batch in batches:
            for row in batch:
                seq, stored = row[0], row[13]
                try:
                    accepted = seq == expected_seq and row[12] == expected_prev
                    if accepted:
                        # Details in the canonical spelling are hashed as they are; json.dumps'
                        # spelling (": ", and so entries written before CanonicalJSON) and non-ASCII
                        # text (stored as \u escapes, written raw) would differ, so are re-encoded.
                        spelling = row[11]
                        accepted = (
                            '": ' not in spelling
                            and "\\u" not in spelling
                            and digest(row_text(row, details_as_stored=True).encode("utf-8")).hexdigest() == stored
                        ) or digest(row_text(row).encode("utf-8")).hexdigest() == stored
                except _FAST_PATH_ERRORS:
                    accepted = False
                if not accepted:
                    walk.next_seq, walk.prev_hash = expected_seq, expected_prev
                    walk.entries += passed
                    passed = 0
                    if not walk.step(exact(row)):
                        return
                    expected_seq, expected_prev = walk.next_seq, walk.prev_hash
                    continue
                if seq in wanted:
                    kept[seq] = stored
                passed += 1
                expected_seq += 1
                expected_prev = stored
    finally:
        walk.next_seq, walk.prev_hash = expected_seq, expected_prev
        walk.entries += passed
