"""Verification over a few thousand bulk-written entries, on SQLite and PostgreSQL (issue 13 item 8).

The full check reads plain rows and hashes them on a fast path (details as stored when they are
in the canonical spelling, as ``CanonicalJSON`` stores them; decoded and encoded again when not, as
in a log written before it); an entry the fast path does not accept is read again as an ORM object
and judged the exact way. Here each log, intact or
tampered with in the middle, gets the same report from the fast path as from the exact path
alone (the reader for a database without a fast form), and the fast path does the work: the
exact path reads only the entries it is handed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from frontier_review.audit import service as audit
from frontier_review.audit import verifying
from frontier_review.audit.domain import Outcome, VerifyReport
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.engagements.tags import GatewayTag
from frontier_review.kernel.principal import Principal
from tests.conftest import START

ENTRIES = 2_400
MIDDLE = 1_700  # after the checkpoint, which signs #1000 (its own entry is #1001)
ACTOR = Principal.system("tests")


def _fill(container: Container) -> None:
    """``ENTRIES`` entries the way the access-log chainer writes them, and a checkpoint at #1000."""
    made = 0
    while made < ENTRIES:
        size = min(400, (1_000 if made < 1_000 else ENTRIES) - made)
        batch: list[dict[str, Any]] = [
            {
                "actor_label": ["ann@example.org", 'mal"lory\\', "zoë 👩‍🔬"][i % 3],
                "actor_user_id": uuid.UUID(int=i % 7) if i % 5 else None,
                "actor_org_id": uuid.UUID(int=0x100 + i % 2),
                "action": GatewayTag.CALL,
                "outcome": Outcome.DENIED if i % 11 == 0 else Outcome.SUCCESS,
                "target_type": "engagement" if i % 13 else None,
                "target_id": str(uuid.UUID(int=0x200 + i % 3)) if i % 13 else None,
                "reason": "quota\nexceeded" if i % 11 == 0 else None,
                "occurred_at": START + timedelta(seconds=i, microseconds=i % 1_000_000),
                "details": {
                    "n": i,
                    "ratio": i / 7,
                    "text": "tab\there, “quotes”, \u0001 and 🚀",
                    "nested": {"z": [1, None, True, {"b": -0.0}], "a": "x"},
                    "access_log": str(uuid.UUID(int=i)),
                },
            }
            for i in range(made, made + size)
        ]
        with container.uow() as uow:
            audit.append_many(uow, batch)
        made += size
        if made == 1_000:
            with container.uow() as uow:
                assert audit.create_checkpoint(uow, ACTOR) is not None
            made += 1


@pytest.fixture
def exact_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The entries the fast path hands to the exact path, by seq."""
    seen: list[int] = []
    original = verifying.stored_entry

    def counting(row: AuditEntry) -> Any:
        seen.append(row.seq)
        return original(row)

    monkeypatch.setattr(verifying, "stored_entry", counting)
    return seen


def _fast(container: Container) -> VerifyReport:
    with container.uow() as uow:
        return audit.verify_log(uow.session, container.keyring)


def _exact(container: Container, monkeypatch: pytest.MonkeyPatch) -> VerifyReport:
    with monkeypatch.context() as patch:
        patch.setattr(verifying, "_row_columns", lambda dialect: None)
        with container.uow() as uow:
            return audit.verify_log(uow.session, container.keyring)


def _sql(*statements: str, postgresql: tuple[str, ...] = (), **params: str) -> Callable[[Container], None]:
    """Run ``statements`` (on PostgreSQL, ``postgresql`` if given) on the entry at ``MIDDLE``."""

    def run(container: Container) -> None:
        with container.engine.begin() as conn:
            for statement in postgresql if postgresql and conn.dialect.name == "postgresql" else statements:
                conn.execute(sa.text(statement), {"seq": MIDDLE, **params})

    return run


def _edit_details(container: Container) -> None:
    with container.engine.begin() as conn:
        text = conn.execute(sa.text("SELECT details FROM audit_entries WHERE seq = :s"), {"s": MIDDLE}).scalar_one()
        details = text if isinstance(text, dict) else json.loads(text)
        details["ratio"] = details["ratio"] + 1e-12
        conn.execute(sa.text("UPDATE audit_entries SET details = :d WHERE seq = :s"), {"d": json.dumps(details), "s": MIDDLE})


def _respell_details(container: Container) -> None:
    """The same details in another JSON spelling: keys reversed, spaces, raw Unicode."""
    with container.engine.begin() as conn:
        text = conn.execute(sa.text("SELECT details FROM audit_entries WHERE seq = :s"), {"s": MIDDLE}).scalar_one()
        details = text if isinstance(text, dict) else json.loads(text)
        respelled = " " + json.dumps(dict(reversed(list(details.items()))), indent=3, ensure_ascii=False) + "\n"
        conn.execute(sa.text("UPDATE audit_entries SET details = :d WHERE seq = :s"), {"d": respelled, "s": MIDDLE})


def _legacy_spelling(container: Container) -> None:
    """Every entry's details as SQLAlchemy's JSON type stored them before ``CanonicalJSON``: a log written before."""
    with container.engine.begin() as conn:
        stored = conn.execute(sa.text("SELECT seq, details FROM audit_entries")).all()
        respelled = [{"s": seq, "d": json.dumps(d if isinstance(d, dict) else json.loads(d))} for seq, d in stored]
        conn.execute(sa.text("UPDATE audit_entries SET details = :d WHERE seq = :s"), respelled)


def _move_time(container: Container) -> None:
    with container.sessions() as session, session.begin():
        row = session.get(AuditEntry, MIDDLE)
        assert row is not None
        row.occurred_at = row.occurred_at + timedelta(microseconds=1)


TAMPERINGS: dict[str, tuple[Callable[[Container], None], int | None, str]] = {
    "nothing": (lambda container: None, None, ""),
    "details edited": (_edit_details, MIDDLE, "edited"),
    "details respelled (same values)": (_respell_details, None, ""),
    "every entry in json.dumps' spelling (written before)": (_legacy_spelling, None, ""),
    "time moved by a microsecond": (_move_time, MIDDLE, "edited"),
    "label edited": (_sql("UPDATE audit_entries SET actor_label = 'nobody' WHERE seq = :seq"), MIDDLE, "edited"),
    # SQLite keeps the text it is given; PostgreSQL keeps only the value, so there it is the details' spelling.
    "same id and time, other spelling": (
        _sql(
            "UPDATE audit_entries SET id = upper(id), occurred_at = replace(occurred_at, ' ', 'T') WHERE seq = :seq",
            postgresql=("UPDATE audit_entries SET details = ('  ' || details::text || ' ')::json WHERE seq = :seq",),
        ),
        None,
        "",
    ),
    "entry deleted": (_sql("DELETE FROM audit_entries WHERE seq = :seq"), MIDDLE + 1, "deleted"),
    "link broken": (_sql("UPDATE audit_entries SET prev_hash = :h WHERE seq = :seq", h="0" * 64), MIDDLE, "link"),
    "hash replaced": (_sql("UPDATE audit_entries SET hash = :h WHERE seq = :seq", h="f" * 64), MIDDLE, "edited"),
    "entries swapped": (
        _sql(
            "UPDATE audit_entries SET seq = -1 WHERE seq = :seq",
            "UPDATE audit_entries SET seq = :seq WHERE seq = :seq + 1",
            "UPDATE audit_entries SET seq = :seq + 1 WHERE seq = -1",
        ),
        MIDDLE,
        "link",
    ),
}


@pytest.mark.parametrize("tampering", sorted(TAMPERINGS))
def test_the_fast_path_reports_what_the_exact_path_reports(
    container: Container, monkeypatch: pytest.MonkeyPatch, exact_reads: list[int], tampering: str
) -> None:
    _fill(container)
    tamper, first_bad, words = TAMPERINGS[tampering]
    tamper(container)
    exact = _exact(container, monkeypatch)
    exact_reads.clear()
    fast = _fast(container)
    assert fast == exact
    assert fast.first_bad_seq == first_bad, fast.problems
    assert fast.checkpoints == 1
    if first_bad is None:
        assert fast.ok, fast.problems
        assert fast.entries == ENTRIES
    else:
        assert words in fast.problems[0]
        assert fast.entries == MIDDLE - 1
    # Only the tampered entry, if any, reached the exact path: the fast path checked the rest.
    assert set(exact_reads) <= {MIDDLE, MIDDLE + 1}, exact_reads
    if tampering in {"nothing", "every entry in json.dumps' spelling (written before)"}:
        assert exact_reads == []


def test_details_are_stored_in_the_spelling_the_hash_covers(container: Container) -> None:
    """Sorted keys and no spaces, so the full check hashes them as stored; non-ASCII text escaped."""
    with container.uow() as uow:
        audit.append(
            uow,
            actor_label="ann@example.org",
            actor_user_id=None,
            actor_org_id=None,
            action=GatewayTag.CALL,
            details={"b": 1, "a": "zoë", "c": [1.5, None, {"y": True, "x": 'q"uote'}]},
        )
    with container.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT CAST(details AS TEXT) FROM audit_entries")).scalar_one()
    assert stored == '{"a":"zo\\u00eb","b":1,"c":[1.5,null,{"x":"q\\"uote","y":true}]}'
    with container.uow() as uow:
        entry = uow.session.scalars(sa.select(AuditEntry)).one()
        assert entry.details == {"a": "zoë", "b": 1, "c": [1.5, None, {"x": 'q"uote', "y": True}]}
    assert _fast(container).ok
