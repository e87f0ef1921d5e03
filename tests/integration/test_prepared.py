"""Prepared statements on SQLite and PostgreSQL: the same values as SQLAlchemy's own execution.

``PreparedSelect`` and ``PreparedWrite`` skip SQLAlchemy's per-call machinery but keep the
column types' conversions; each test here holds a prepared result against ``Connection.execute``
(or the ORM) on the same rows.
"""

from __future__ import annotations

import gc
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import bindparam, create_engine, insert, select, update

from frontier_review import engagements as service
from frontier_review.bootstrap import Container
from frontier_review.db import changes, prepared
from frontier_review.db.prepared import PreparedSelect, PreparedWrite
from frontier_review.engagements.access import recorder, upstreams
from frontier_review.engagements.access import service as access
from frontier_review.engagements.access.context import QUERY
from frontier_review.engagements.access.orm import AccessLog, GatewayToken
from frontier_review.engagements.access.recorder import COLUMNS, IN_FLIGHT, OUTCOME_COLUMNS, AccessRecord
from frontier_review.engagements.lifecycle.orm import Participant
from frontier_review.security.tokens import digest_token
from tests.factories.engagements import gateway_token, make_engagement

LATE = datetime(2026, 6, 2, 23, 59, 59, 999_999, tzinfo=UTC)


def same(prepared: tuple[Any, ...] | None, expected: tuple[Any, ...]) -> None:
    """Equal values of the same types (``1 == True`` and naive/aware datetimes would slip past ``==``)."""
    assert prepared is not None
    assert prepared == expected
    assert [type(value) for value in prepared] == [type(value) for value in expected]
    for value in prepared:
        if isinstance(value, datetime):
            assert value.utcoffset() == timedelta(0)


def records(engagement_id: uuid.UUID) -> list[AccessRecord]:
    return [
        AccessRecord(
            kind="gateway",
            at=LATE,
            engagement_id=engagement_id,
            actor_label="reviewer@agency.example",
            status=200,
            outcome="ok",
            participant_id=uuid.uuid4(),
            organization_id=uuid.uuid4(),
            user_id=uuid.uuid4(),
            token_id=uuid.uuid4(),
            variant="standard",
            prompt_tokens=12,
            completion_tokens=34,
            latency_ms=12.345678,
            detail={"stream": True, "model": "atlas", "nested": {"n": [1, 2.5, None]}, "text": "café ✓"},
        ),
        AccessRecord(
            kind="artifact_download",
            at=datetime(2026, 6, 3, 5, 0, 1, tzinfo=timezone(timedelta(hours=5))),  # 00:00:01 UTC
            engagement_id=engagement_id,
            actor_label="partner@grid.example",
            status=403,
            outcome="participant_revoked",
        ),
    ]


def stored(row: AccessLog) -> dict[str, Any]:
    return {name: getattr(row, name) for name in COLUMNS}


# PreparedSelect --------------------------------------------------------------------------


def test_the_gateway_query_returns_what_connection_execute_returns(container: Container) -> None:
    setup = make_engagement(container, transcripts=True)
    reviewer = gateway_token(container, setup.reviewer, setup)
    admin = gateway_token(container, setup.agency_admin, setup)
    partner = gateway_token(container, setup.partner_reviewer, setup)
    revoked = gateway_token(container, setup.reviewer, setup)
    with container.uow() as uow:  # NULLs, true flags and timestamps in the row as well as their absence
        service.revoke_user(uow, setup.developer.principal, setup.engagement.id, setup.agency_admin.user.id)
        partner_participant = uow.session.scalar(
            select(Participant.id).where(
                Participant.engagement_id == setup.engagement.id, Participant.organization_id == setup.partner.id
            )
        )
        assert partner_participant is not None
        service.revoke_participant(uow, setup.developer.principal, setup.engagement.id, partner_participant)
        newest = access.list_my_tokens(uow, setup.reviewer.principal, setup.engagement.id)
        (to_revoke,) = [t for t in newest if revoked.startswith(f"frg_{t.lookup}_")]
        access.revoke_token(uow, setup.reviewer.principal, to_revoke.id)

    prepared = PreparedSelect(container.engine, QUERY)
    rows: dict[str, tuple[Any, ...]] = {}
    with container.engine.connect() as conn:
        for name, token in {"reviewer": reviewer, "admin": admin, "partner": partner, "revoked": revoked}.items():
            expected = conn.execute(QUERY, {"digest": digest_token(token)}).first()
            assert expected is not None
            same(prepared.first({"digest": digest_token(token)}), tuple(expected))
            rows[name] = tuple(expected)
        assert conn.execute(QUERY, {"digest": digest_token("frg_nothing")}).first() is None
    assert prepared.first({"digest": digest_token("frg_nothing")}) is None

    # The rows differ where they should, so the comparisons above covered each kind of value.
    token_revoked, user_revoked, participant_revoked, protections = 1, 25, 21, 27
    assert rows["reviewer"][token_revoked] is None and isinstance(rows["revoked"][token_revoked], datetime)
    assert (rows["reviewer"][user_revoked], rows["admin"][user_revoked]) == (False, True)
    assert rows["reviewer"][participant_revoked] is None and isinstance(rows["partner"][participant_revoked], datetime)
    assert isinstance(rows["reviewer"][0], uuid.UUID)
    assert rows["reviewer"][protections]["transcript_retention"] is True


def test_a_select_of_typed_columns_round_trips(container: Container) -> None:
    setup = make_engagement(container)
    written = records(setup.engagement.id)
    with container.uow() as uow:
        recorder.write(uow, written)
    query = select(
        AccessLog.ref,
        AccessLog.at,
        AccessLog.day,
        AccessLog.detail,
        AccessLog.participant_id,
        AccessLog.variant,
        AccessLog.transcript_sealed,
        AccessLog.status,
    ).where(AccessLog.ref == bindparam("ref"))
    prepared = PreparedSelect(container.engine, query)
    with container.engine.connect() as conn:
        for record in written:
            expected = conn.execute(query, {"ref": record.ref}).first()
            assert expected is not None
            same(prepared.first({"ref": record.ref}), tuple(expected))
    first = prepared.first({"ref": written[0].ref})
    assert first is not None
    assert first[:4] == (written[0].ref, LATE, date(2026, 6, 2), written[0].detail)
    assert prepared.first({"ref": uuid.uuid4()}) is None


def test_a_select_of_a_float_column(container: Container) -> None:
    setup = make_engagement(container)
    written = records(setup.engagement.id)
    with container.uow() as uow:
        recorder.write(uow, written)
    query = select(AccessLog.latency_ms).where(AccessLog.ref == bindparam("ref"))
    same(PreparedSelect(container.engine, query).first({"ref": written[0].ref}), (12.346,))


def test_a_select_with_a_value_of_its_own(container: Container) -> None:
    setup = make_engagement(container)
    written = records(setup.engagement.id)
    with container.uow() as uow:
        recorder.write(uow, written)
    query = select(AccessLog.ref).where(AccessLog.kind == "gateway", AccessLog.engagement_id == bindparam("e")).limit(1)
    assert PreparedSelect(container.engine, query).first({"e": setup.engagement.id}) == (written[0].ref,)


# PreparedWrite ---------------------------------------------------------------------------

SEALED = b"\x00sealed\xff\x80"  # stands in for a sealed transcript: arbitrary bytes


def run_prepared(container: Container, statement: PreparedWrite, rows: list[dict[str, Any]], *, commit: bool = True) -> None:
    """As the recorder does: the prepared statement on a pooled driver connection."""
    raw = container.engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            statement.execute(cursor, rows)
        finally:
            cursor.close()
        if commit:
            raw.commit()
        else:
            raw.rollback()
    finally:
        raw.close()


def insert_prepared(container: Container, rows: list[dict[str, Any]], *, commit: bool = True) -> None:
    run_prepared(container, PreparedWrite(container.engine, insert(AccessLog), COLUMNS), rows, commit=commit)


def all_rows(container: Container) -> dict[uuid.UUID, dict[str, Any]]:
    with container.uow() as uow:
        return {row.ref: stored(row) for row in uow.session.scalars(select(AccessLog))}


def test_a_prepared_insert_writes_what_the_orm_reads_back(container: Container) -> None:
    setup = make_engagement(container)
    written = records(setup.engagement.id)
    insert_prepared(container, recorder._rows(written, {written[0].ref: SEALED}))
    rows = all_rows(container)
    assert set(rows) == {record.ref for record in written}
    full, bare = rows[written[0].ref], rows[written[1].ref]
    assert full == {
        "ref": written[0].ref,
        "at": LATE,
        "kind": "gateway",
        "engagement_id": setup.engagement.id,
        "participant_id": written[0].participant_id,
        "organization_id": written[0].organization_id,
        "user_id": written[0].user_id,
        "actor_label": "reviewer@agency.example",
        "token_id": written[0].token_id,
        "variant": "standard",
        "status": 200,
        "outcome": "ok",
        "prompt_tokens": 12,
        "completion_tokens": 34,
        "latency_ms": 12.346,
        "day": date(2026, 6, 2),
        "detail": {"stream": True, "model": "atlas", "nested": {"n": [1, 2.5, None]}, "text": "café ✓"},
        "transcript_sealed": SEALED,
        "audit_entry_id": None,
    }
    assert full["at"].utcoffset() == timedelta(0)
    assert bare["at"] == datetime(2026, 6, 3, 0, 0, 1, tzinfo=UTC)
    assert bare["at"].utcoffset() == timedelta(0)
    assert (bare["participant_id"], bare["variant"], bare["detail"], bare["transcript_sealed"]) == (None, None, {}, None)


def test_a_prepared_insert_matches_the_orm_insert(container: Container) -> None:
    setup = make_engagement(container)
    prepared, through_orm = records(setup.engagement.id), records(setup.engagement.id)
    insert_prepared(container, recorder._rows(prepared, {}))
    with container.uow() as uow:
        recorder.write(uow, through_orm)
    rows = all_rows(container)
    for ours, theirs in zip(prepared, through_orm, strict=True):
        mine, reference = rows[ours.ref], rows[theirs.ref]
        for differs in ("ref", "participant_id", "organization_id", "user_id", "token_id"):  # fresh ids per record
            mine.pop(differs), reference.pop(differs)
        assert mine == reference
        assert {k: type(v) for k, v in mine.items()} == {k: type(v) for k, v in reference.items()}


def test_a_prepared_insert_joins_the_callers_transaction(container: Container) -> None:
    setup = make_engagement(container)
    insert_prepared(container, recorder._rows(records(setup.engagement.id), {}), commit=False)
    assert all_rows(container) == {}


def test_a_prepared_update_sets_the_outcome_of_unchained_rows_only(container: Container) -> None:
    """The recorder's outcome UPDATE: a WHERE parameter of its own besides the columns it sets."""
    setup = make_engagement(container)
    ahead = records(setup.engagement.id)
    for record in ahead:
        record.status, record.outcome, record.detail = 0, IN_FLIGHT, {}
    insert_prepared(container, recorder._rows(ahead, {}))
    chained = uuid.uuid4()
    with container.uow() as uow:  # the second row was chained while in flight: its audit entry is final
        row = uow.session.scalars(select(AccessLog).where(AccessLog.ref == ahead[1].ref)).one()
        row.audit_entry_id = chained
    outcomes = records(setup.engagement.id)
    for record, earlier in zip(outcomes, ahead, strict=True):
        record.ref = earlier.ref
    statement = PreparedWrite(container.engine, recorder._OUTCOME_UPDATE, OUTCOME_COLUMNS)
    run_prepared(container, statement, recorder._outcome_rows(outcomes, {outcomes[0].ref: SEALED}))
    rows = all_rows(container)
    done, frozen = rows[ahead[0].ref], rows[ahead[1].ref]
    assert {name: done[name] for name in OUTCOME_COLUMNS} == {
        "status": 200,
        "outcome": "ok",
        "prompt_tokens": 12,
        "completion_tokens": 34,
        "latency_ms": 12.346,
        "detail": outcomes[0].detail,
        "transcript_sealed": SEALED,
    }
    assert (done["at"], done["user_id"], done["audit_entry_id"]) == (LATE, ahead[0].user_id, None)  # the rest untouched
    assert (frozen["status"], frozen["outcome"], frozen["audit_entry_id"]) == (0, IN_FLIGHT, chained)


def test_chaining_prepares_its_statements_once_however_many_batches(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A statement compiled per batch would be kept per batch: a leak in a process that chains
    for months. Every batch after the first reuses what the first compiled."""
    compiled: list[str] = []
    compile_write = PreparedWrite.__init__

    def counted(self: PreparedWrite, engine: Any, statement: Any, columns: Any) -> None:
        compiled.append(f"{type(statement).__name__} {statement.table.name}")
        compile_write(self, engine, statement, columns)

    monkeypatch.setattr(PreparedWrite, "__init__", counted)
    setup = make_engagement(container)
    grace = recorder.in_flight_grace(container.settings)
    for _ in range(3):
        with container.uow() as uow:
            recorder.write(uow, records(setup.engagement.id))
        assert recorder.chain_pending(container.uow, grace=grace) == len(records(setup.engagement.id))
    # The audit entries' INSERT, the access log's "chained" UPDATE and the upstreams' "last used"
    # UPDATE, once each for this test's engine.
    assert sorted(compiled) == ["Insert audit_entries", "Update access_log", "Update engagement_upstreams"]


def test_a_shared_write_is_prepared_once_per_engine_and_forgotten_with_it(container: Container) -> None:
    setup = make_engagement(container)
    shared = prepared.SharedWrite(insert(AccessLog), COLUMNS)
    for _ in range(3):
        with container.engine.begin() as connection:
            shared.run(connection, recorder._rows(records(setup.engagement.id), {}))
    assert len(all_rows(container)) == 3 * len(records(setup.engagement.id))
    assert list(shared._prepared) == [container.engine]
    other = create_engine("sqlite://")
    with other.begin() as connection:
        AccessLog.metadata.tables[AccessLog.__tablename__].create(connection)
        shared.run(connection, [])
    assert len(shared._prepared) == 2
    other.dispose()
    del other, connection
    gc.collect()
    assert list(shared._prepared) == [container.engine]


def test_a_batch_marks_each_upstream_used_at_its_own_time(container: Container) -> None:
    first = make_engagement(container, upstream_url="http://127.0.0.1:9/v1")
    second = make_engagement(container, upstream_url="http://127.0.0.1:9/v1")
    untouched = make_engagement(container, upstream_url="http://127.0.0.1:9/v1")
    with container.uow() as uow:
        access.set_upstream(
            uow,
            first.developer.principal,
            first.engagement.id,
            variant="reduced-safeguard",
            base_url="http://127.0.0.1:9/v1",
            api_key="sk-upstream-secret-456",
            upstream_model="fake",
            require_https=False,
            allow_private=True,
        )
    marks = {
        (first.engagement.id, "standard"): LATE,
        (first.engagement.id, "reduced-safeguard"): LATE - timedelta(minutes=5),
        (second.engagement.id, "standard"): LATE + timedelta(seconds=1),
    }
    with container.uow() as uow:
        upstreams.mark_used(uow, marks)
    with container.uow() as uow:
        seen = {
            (setup.engagement.id, upstream.variant): upstream.last_used_at
            for setup in (first, second, untouched)
            for upstream in service.get_engagement(uow, setup.developer.principal, setup.engagement.id).upstreams
        }
    assert seen == {**marks, (untouched.engagement.id, "standard"): None}


def test_a_prepared_write_refuses_a_table_whose_changes_are_announced(container: Container) -> None:
    """Prepared statements run past the events that tell the gateways access changed (``db.changes``)."""
    announced: list[None] = []
    changes.announce_changes(container.engine, {"gateway_tokens"}, lambda: announced.append(None))
    with pytest.raises(RuntimeError, match="gateway_tokens would not be announced"):
        PreparedWrite(container.engine, update(GatewayToken).where(GatewayToken.id == bindparam("token")), ("name",))
    with container.engine.begin() as connection:  # other tables are fine
        prepared.SharedWrite(insert(AccessLog), COLUMNS).run(connection, [])
    assert announced == []
