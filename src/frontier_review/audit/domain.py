r"""Pure rules of the hash chain: canonical form, hashing and verification.

An entry's hash is ``SHA-256(prev_hash || "\n" || canonical JSON of its fields)``. The
canonical JSON has sorted keys, no insignificant whitespace and UTF-8 text, so any party
can recompute it from an export.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "AnchorError",
    "AnchorPoint",
    "AnchorRecord",
    "ChainWalk",
    "CheckpointRecord",
    "EntryFields",
    "Outcome",
    "StoredEntry",
    "VerifyReport",
    "canonical_json",
    "check_details",
    "checkpoint_document",
    "checkpoint_message",
    "entry_hash",
    "entry_problem",
    "finish_report",
    "format_instant",
    "parse_anchor_document",
    "parse_expectation",
    "verify_chain",
    "wanted_seqs",
]

GENESIS_HASH = "0" * 64


class Outcome(StrEnum):
    """What happened to the audited action."""

    SUCCESS = "success"
    DENIED = "denied"
    FAILURE = "failure"


@dataclass(frozen=True)
class EntryFields:
    """Everything an entry commits to (all but its own hash)."""

    seq: int
    id: uuid.UUID
    occurred_at: datetime
    actor_label: str
    actor_user_id: uuid.UUID | None
    actor_org_id: uuid.UUID | None
    action: str
    outcome: str
    target_type: str | None
    target_id: str | None
    reason: str | None
    details: Mapping[str, Any]
    prev_hash: str

    def canonical(self) -> dict[str, Any]:
        """The JSON object that is hashed and exported."""
        return {
            "seq": self.seq,
            "id": str(self.id),
            "occurred_at": format_instant(self.occurred_at),
            "actor": {
                "label": self.actor_label,
                "user_id": str(self.actor_user_id) if self.actor_user_id else None,
                "org_id": str(self.actor_org_id) if self.actor_org_id else None,
            },
            "action": self.action,
            "outcome": self.outcome,
            "target": {"type": self.target_type, "id": self.target_id},
            "reason": self.reason,
            "details": dict(self.details),
            "prev_hash": self.prev_hash,
        }


def format_instant(value: datetime) -> str:
    """ISO 8601 in UTC with microseconds, identical on every backend."""
    if value.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_json(value: Any) -> bytes:
    """Deterministic JSON bytes of ``value``."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


def _text(value: str, path: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"audit detail {path} is not valid UTF-8 text") from exc
    return value


def check_details(details: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse detail values that would not survive a JSON round trip unchanged."""

    def mapping(value: Mapping[Any, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = _text(str(key), path)
            if name in out:
                raise ValueError(f"audit detail {path} has two keys that both read {name!r}")
            out[name] = walk(item, f"{path}.{name}" if path else name)
        return out

    def walk(value: Any, path: str) -> Any:  # noqa: PLR0911 - one branch per JSON type reads best
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, str):
            return _text(value, path)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"audit detail {path} is not a finite number")
            return value
        if isinstance(value, list | tuple):
            return [walk(item, f"{path}[{i}]") for i, item in enumerate(value)]
        if isinstance(value, Mapping):
            return mapping(value, path)
        if isinstance(value, uuid.UUID):
            return str(value)
        if isinstance(value, datetime):
            return format_instant(value)
        raise ValueError(f"audit detail {path} has unsupported type {type(value).__name__}")

    return mapping(details, "")


def entry_hash(fields: EntryFields) -> str:
    """The hash an entry must carry."""
    digest = hashlib.sha256()
    digest.update(fields.prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical_json(fields.canonical()))
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredEntry:
    """An entry as read back from storage: its fields and the hash stored with it."""

    fields: EntryFields
    hash: str


@dataclass(frozen=True)
class CheckpointRecord:
    """A stored checkpoint, with the outcome of checking its signature."""

    id: uuid.UUID
    seq: int
    entry_hash: str
    signature_valid: bool


@dataclass
class VerifyReport:
    """Outcome of verifying the chain; ``problems`` is empty when the log is intact."""

    entries: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    checkpoints: int = 0
    problems: list[str] = field(default_factory=list)
    first_bad_seq: int | None = None
    from_seq: int = 0  # hashing started after this entry (0: from genesis)
    anchors: int = 0  # checkpoints held outside the database that were checked

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, seq: int | None, message: str) -> None:
        if self.first_bad_seq is None and seq is not None:
            self.first_bad_seq = seq
        self.problems.append(message)


def entry_problem(stored: StoredEntry, expected_seq: int, expected_prev: str) -> str | None:
    """What is wrong with ``stored`` where the chain expects entry ``expected_seq`` after ``expected_prev``."""
    f = stored.fields
    label = f"entry #{f.seq} ({f.id}, {f.action})"
    if f.seq != expected_seq:
        return f"{label}: expected entry #{expected_seq} here — an entry was deleted or inserted before it"
    if f.prev_hash != expected_prev:
        return f"{label}: link to the previous entry is broken — entries were deleted, inserted or reordered"
    if entry_hash(f) != stored.hash:
        return f"{label}: content does not match its hash — the entry was edited"
    return None


class ChainWalk:
    """Where a walk along the chain stands: the entry expected next, and the hashes it must keep.

    Only the hashes of the entries named by checkpoints and anchors are kept (``wanted``), so a
    walk over millions of entries holds a handful of hashes, not one per entry.
    """

    def __init__(self, *, start_seq: int, start_hash: str, wanted: Iterable[int]) -> None:
        self.next_seq = start_seq + 1
        self.prev_hash = start_hash
        self.entries = 0
        self.wanted = frozenset(wanted)
        self.kept: dict[int, str] = {start_seq: start_hash} if start_seq else {}
        self.problem: tuple[int, str] | None = None  # the first broken entry: its seq and what is wrong

    def step(self, stored: StoredEntry) -> bool:
        """Take ``stored`` as the next entry; False (and the walk ends) when it is broken."""
        problem = entry_problem(stored, self.next_seq, self.prev_hash)
        if problem is not None:
            self.problem = (stored.fields.seq, problem)
            return False
        self.passed(stored.fields.seq, stored.hash)
        return True

    def passed(self, seq: int, digest: str) -> None:
        """Entry ``seq`` (the one expected) checked out with hash ``digest``."""
        if seq in self.wanted:
            self.kept[seq] = digest
        self.entries += 1
        self.prev_hash = digest
        self.next_seq = seq + 1


def verify_chain(
    entries: Iterable[StoredEntry],
    *,
    head_seq: int,
    head_hash: str,
    checkpoints: Iterable[CheckpointRecord] = (),
    start_seq: int = 0,
    start_hash: str = GENESIS_HASH,
    anchors: Iterable[AnchorRecord] = (),
) -> VerifyReport:
    """Check links, hashes, sequence, the head row, each checkpoint and each outside anchor.

    ``entries`` must be ordered by ``seq`` and start right after ``start_seq``, whose hash is
    ``start_hash`` (genesis by default; a verified checkpoint for a quick check of the tail).
    Verification stops at the first broken entry (everything after it is unanchored) but
    still reports head and checkpoint problems. ``anchors`` are checkpoints a verifier kept
    outside the database; they catch a tail truncated together with the head row and the
    database's own checkpoints, which nothing stored in the database can reveal.
    """
    checkpoints, anchors = list(checkpoints), list(anchors)
    walk = ChainWalk(start_seq=start_seq, start_hash=start_hash, wanted=wanted_seqs(checkpoints, anchors))
    for stored in entries:
        if not walk.step(stored):
            break
    return finish_report(walk, head_seq=head_seq, head_hash=head_hash, checkpoints=checkpoints, anchors=anchors)


def wanted_seqs(checkpoints: Iterable[CheckpointRecord], anchors: Iterable[AnchorRecord]) -> set[int]:
    """The entries whose hashes the checkpoints and anchors are compared with."""
    return {cp.seq for cp in checkpoints} | {a.seq for a in anchors}


def finish_report(
    walk: ChainWalk,
    *,
    head_seq: int,
    head_hash: str,
    checkpoints: Iterable[CheckpointRecord],
    anchors: Iterable[AnchorRecord],
) -> VerifyReport:
    """The report of a finished walk: its first broken entry, then the head, checkpoints and anchors."""
    report = VerifyReport(entries=walk.entries, last_seq=walk.next_seq - 1, last_hash=walk.prev_hash)
    if walk.problem is not None:
        report.fail(*walk.problem)
    if report.ok:
        _check_head(report, head_seq, head_hash)
    _check_checkpoints(report, checkpoints, walk.kept)
    _check_anchors(report, anchors, walk.kept)
    return report


def _check_head(report: VerifyReport, head_seq: int, head_hash: str) -> None:
    """The head row must name the last entry: catches a truncated or extended tail."""
    if (head_seq, head_hash) == (report.last_seq, report.last_hash):
        return
    if head_seq > report.last_seq:
        report.fail(report.last_seq + 1, f"entries after #{report.last_seq} are missing: the chain head records #{head_seq}")
    elif head_seq == report.last_seq:
        report.fail(head_seq, f"entry #{head_seq}: hash differs from the chain head — the log was rewritten")
    else:
        report.fail(
            head_seq + 1, f"entry #{head_seq + 1} onwards were appended outside the log: the chain head records #{head_seq}"
        )


def _check_checkpoints(report: VerifyReport, checkpoints: Iterable[CheckpointRecord], hashes_by_seq: dict[int, str]) -> None:
    for cp in checkpoints:
        report.checkpoints += 1
        if not cp.signature_valid:
            report.fail(cp.seq, f"checkpoint {cp.id} at #{cp.seq}: signature does not verify under a trusted key")
        elif cp.seq in hashes_by_seq and hashes_by_seq[cp.seq] != cp.entry_hash:
            report.fail(
                cp.seq, f"checkpoint {cp.id} at #{cp.seq}: the signed hash differs from entry #{cp.seq} — the log was rewritten"
            )
        elif cp.seq > report.last_seq and report.ok:
            report.fail(cp.seq, f"checkpoint {cp.id} signs entry #{cp.seq}, which is missing")


def checkpoint_message(seq: int, entry_hash_hex: str, created_at: datetime, key_id: str) -> bytes:
    """The bytes an audit checkpoint signature covers."""
    return canonical_json(
        {
            "type": "frontier-review/audit-checkpoint/v1",
            "seq": seq,
            "entry_hash": entry_hash_hex,
            "created_at": format_instant(created_at),
            "key_id": key_id,
        }
    )


# Anchors: checkpoints held outside the database (DESIGN A3) -----------------------------

CHECKPOINT_TYPE = "frontier-review/audit-checkpoint/v1"
CHECKPOINTS_DOCUMENT_TYPE = "frontier-review/audit-checkpoints/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")


class AnchorError(ValueError):
    """An anchor (witness file, saved checkpoint list or ``SEQ:HASH``) that cannot be read."""


@dataclass(frozen=True)
class AnchorPoint:
    """A checkpoint a verifier kept: entry ``seq`` had ``entry_hash``.

    Signed anchors (from the witness file or the published list) carry what the signature
    covers; a bare ``SEQ:HASH`` expectation carries no signature and is trusted as given.
    """

    seq: int
    entry_hash: str
    origin: str
    created_at: datetime | None = None
    key_id: str | None = None
    signature: bytes | None = None

    @property
    def signed(self) -> bool:
        return self.signature is not None


@dataclass(frozen=True)
class AnchorRecord:
    """An anchor with the outcome of checking its signature (None: unsigned expectation)."""

    seq: int
    entry_hash: str
    origin: str
    signature_valid: bool | None


def checkpoint_document(
    *, id: uuid.UUID, seq: int, entry_hash_hex: str, created_at: datetime, key_id: str, signature: bytes
) -> dict[str, Any]:
    """One checkpoint as the witness file and the published list carry it (and anchors read it)."""
    return {
        "type": CHECKPOINT_TYPE,
        "id": str(id),
        "seq": seq,
        "entry_hash": entry_hash_hex,
        "created_at": format_instant(created_at),
        "key_id": key_id,
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def _check_seq_hash(seq: object, entry_hash: object, where: str) -> tuple[int, str]:
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise AnchorError(f"{where}: seq must be a positive whole number, not {seq!r}")
    if not isinstance(entry_hash, str) or not _HEX64.fullmatch(entry_hash):
        raise AnchorError(f"{where}: entry_hash must be 64 lower-case hexadecimal characters")
    return seq, entry_hash


def _anchor_from_object(obj: object, where: str) -> AnchorPoint:
    if not isinstance(obj, dict):
        raise AnchorError(f"{where}: expected a checkpoint object with seq, entry_hash, created_at, key_id and signature")
    missing = [k for k in ("seq", "entry_hash", "created_at", "key_id", "signature") if k not in obj]
    if missing:
        raise AnchorError(f"{where}: checkpoint lacks {', '.join(missing)}")
    seq, digest = _check_seq_hash(obj["seq"], obj["entry_hash"], where)
    try:
        created = datetime.fromisoformat(str(obj["created_at"]).replace("Z", "+00:00"))
    except ValueError as exc:
        raise AnchorError(f"{where}: created_at is not an ISO 8601 time") from exc
    if created.tzinfo is None:
        raise AnchorError(f"{where}: created_at has no UTC offset")
    key_id = obj["key_id"]
    if not isinstance(key_id, str) or not key_id:
        raise AnchorError(f"{where}: key_id must be a non-empty string")
    try:
        signature = base64.b64decode(str(obj["signature"]), validate=True)
    except ValueError as exc:
        raise AnchorError(f"{where}: signature is not base64") from exc
    return AnchorPoint(seq, digest, where, created.astimezone(UTC), key_id, signature)


def parse_anchor_document(text: str, *, source: str) -> list[AnchorPoint]:
    """Read checkpoints kept outside the database.

    The document is a witness file (JSON Lines), a saved copy of the published list
    (``{"checkpoints": [...]}``) or of ``GET /api/v1/audit/checkpoints`` (a JSON array).

    Raises:
        AnchorError: naming the line or item that cannot be read; an empty document is refused
            too, since checking against nothing would wrongly reassure.
    """
    stripped = text.strip()
    if not stripped:
        raise AnchorError(f"{source}: holds no checkpoints")
    items: list[tuple[object, str]]
    try:
        whole = json.loads(stripped)
    except ValueError:
        whole = None
        items = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                items.append((json.loads(line), f"{source} line {number}"))
            except ValueError as exc:
                raise AnchorError(f"{source} line {number}: not JSON") from exc
    else:
        if isinstance(whole, dict) and "checkpoints" in whole:
            whole = whole["checkpoints"]
        if isinstance(whole, dict):
            items = [(whole, f"{source} line 1")]
        elif isinstance(whole, list):
            items = [(item, f"{source} item {i}") for i, item in enumerate(whole, 1)]
        else:
            raise AnchorError(f"{source}: expected checkpoints (JSON Lines, a list, or an object with 'checkpoints')")
    anchors = [_anchor_from_object(obj, where) for obj, where in items]
    if not anchors:
        raise AnchorError(f"{source}: holds no checkpoints")
    return anchors


def parse_expectation(value: str) -> AnchorPoint:
    """``SEQ:HASH`` (as ``audit verify`` prints a tip, in full) → an unsigned anchor.

    Raises:
        AnchorError: when ``value`` is not ``SEQ:HASH``.
    """
    seq_text, sep, digest = value.strip().partition(":")
    if not sep or not seq_text.isdigit():
        raise AnchorError(f"--expect {value!r}: use SEQ:HASH, e.g. 42:{'0' * 64}")
    seq, digest = _check_seq_hash(int(seq_text), digest.lower(), f"--expect {value!r}")
    return AnchorPoint(seq, digest, f"--expect {seq}")


def _check_anchors(report: VerifyReport, anchors: Iterable[AnchorRecord], hashes_by_seq: dict[int, str]) -> None:
    chain_ok = report.ok
    for anchor in sorted(anchors, key=lambda a: a.seq):
        report.anchors += 1
        name = f"anchor {anchor.origin} (entry #{anchor.seq}, {anchor.entry_hash[:16]}…)"
        if anchor.signature_valid is False:
            report.fail(
                None, f"{name}: its signature does not verify under a trusted key — it is not this instance's, or it was altered"
            )
        elif anchor.seq in hashes_by_seq:
            if hashes_by_seq[anchor.seq] != anchor.entry_hash:
                report.fail(anchor.seq, f"{name}: entry #{anchor.seq} differs from the anchor — the log was rewritten")
        elif anchor.seq > report.last_seq and chain_ok:
            report.fail(
                report.last_seq + 1,
                f"{name}: the log ends at #{report.last_seq}, but the anchor shows it reached #{anchor.seq} — "
                "entries were deleted from the tail (and the chain head reset)",
            )
        elif not chain_ok:
            report.fail(None, f"{name}: cannot be confirmed, the chain is broken before it")
