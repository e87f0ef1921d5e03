"""Patch distribution through the service, on SQLite and PostgreSQL: fixes and the priority, records
created once and only for operators in the report's audience, operators updating only their own
record, who sees what, the exposure board (paged, sorted and filtered in SQL, equal to the rules) and the
priority board's counts."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.clearinghouse import patches, reports
from frontier_review.clearinghouse.patches import DistributionState, FixInput
from frontier_review.clearinghouse.patches.orm import PatchDistribution, ReportFix
from frontier_review.clearinghouse.patches.policy import RecordRef
from frontier_review.clearinghouse.subscriptions import service as subscriptions
from frontier_review.db.uow import UnitOfWork
from frontier_review.kernel.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from frontier_review.kernel.listing import ListQuery, Sort
from frontier_review.kernel.permissions import Permission
from frontier_review.notifications.orm import Notification
from frontier_review.policies import decide
from tests.factories.clearinghouse import World, make_world, submit, validate
from tests.factories.identity import SYSTEM, Person

FIX = FixInput(fixed_version="2.3.2", released_on="2026-12-01", link="https://vendor.example/advisories/2.3.2", notes="Upgrade.")


@pytest.fixture
def world(container: Container) -> World:
    w = make_world(container)
    for org_id in (w.bank_id, w.bank2_id):  # both banks subscribe to their sector
        with container.uow() as uow:
            subscriptions.create_subscription(uow, SYSTEM, name="Finance", sectors=["financial_services"], organization_id=org_id)
    return w


def _amber_for_bank(container: Container, world: World) -> reports.ReportView:
    return submit(container, world.submitter, orgs=[world.bank_id], sectors=["financial_services"])


def _add_fix(container: Container, person: Person, report_id: uuid.UUID, fix: FixInput = FIX) -> patches.FixView:
    with container.uow() as uow:
        return patches.add_fix(uow, person.principal, report_id, fix)


def _records(container: Container, report_id: uuid.UUID) -> dict[uuid.UUID, str]:
    with container.uow() as uow:
        rows = uow.session.scalars(sa.select(PatchDistribution).where(PatchDistribution.report_id == report_id))
        return {r.organization_id: r.state for r in rows}


def _notice_kinds(container: Container, person: Person) -> list[str]:
    with container.uow() as uow:
        return list(uow.session.scalars(sa.select(Notification.kind).where(Notification.user_id == person.user.id)))


def _board(uow: UnitOfWork, person: Person, query: ListQuery = ListQuery()) -> list[patches.ExposureRow]:
    return list(patches.page_exposure(uow, person.principal, query).rows)


def test_first_fix_sets_fix_available_and_recomputes_priority(container: Container, world: World) -> None:
    view = _amber_for_bank(container, world)
    assert not view.fix_available
    fix = _add_fix(container, world.treasury, view.id)
    assert fix.fixed_version == "2.3.2" and fix.released_on == date(2026, 12, 1)
    with container.uow() as uow:
        after = reports.get_report(uow, world.treasury.principal, view.id)
    assert after.fix_available
    assert after.priority == round(view.priority - 10, 1)
    whats = [e.what for e in after.history]
    assert "fix available changed" in whats and "priority recomputed" in whats
    _add_fix(container, world.submitter, view.id, FixInput("2.4.0", date(2026, 12, 5), "http://vendor.example/2.4"))
    with container.uow() as uow:
        again = reports.get_report(uow, world.treasury.principal, view.id)
        actions = list(
            uow.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target_id == str(view.id)).order_by(AuditEntry.seq))
        )
    assert [e.what for e in again.history].count("fix available changed") == 1
    assert actions.count("clearinghouse:fix:added") == 2
    assert actions.count("clearinghouse:report:edited") == 1


def test_records_only_for_operators_in_the_audience_and_only_once(container: Container, world: World) -> None:
    view = _amber_for_bank(container, world)
    _add_fix(container, world.treasury, view.id)
    assert _records(container, view.id) == {}  # not disseminated yet: unvalidated
    validate(container, world, view.id)  # dissemination creates them now that a fix exists
    # An AMBER report addressed to the first bank: the second bank subscribes to the sector, yet gets nothing.
    assert _records(container, view.id) == {world.bank_id: "notified"}
    with container.uow() as uow:
        assert patches.distribute(uow, view.id) == ()
    _add_fix(container, world.treasury, view.id, FixInput("2.4.0", "2026-12-05", "https://vendor.example/2.4"))
    assert _records(container, view.id) == {world.bank_id: "notified"}
    assert "clearinghouse_patch" in _notice_kinds(container, world.bank)
    assert "clearinghouse_patch" not in _notice_kinds(container, world.bank2)
    with container.uow() as uow:
        for entry in uow.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("clearinghouse:distribution:%"))):
            assert str(world.bank2_id) not in str(entry.details)


def test_green_reaches_every_subscriber_red_none(container: Container, world: World) -> None:
    green = submit(container, world.submitter, tlp="TLP:GREEN", sectors=["financial_services"])
    validate(container, world, green.id)
    _add_fix(container, world.submitter, green.id)
    assert _records(container, green.id) == {world.bank_id: "notified", world.bank2_id: "notified"}
    red = submit(
        container,
        world.submitter,
        tlp="TLP:RED",
        people=[world.treasury.user.id, world.bank.user.id],
        sectors=["financial_services"],
        cve="CVE-2026-10002",
    )
    validate(container, world, red.id)
    _add_fix(container, world.treasury, red.id)
    assert _records(container, red.id) == {}


def test_operators_update_only_their_own_record(container: Container, world: World) -> None:
    view = _amber_for_bank(container, world)
    validate(container, world, view.id)
    _add_fix(container, world.treasury, view.id)
    for outsider in (world.bank2, world.program_office):  # outside the audience: the report does not exist
        with pytest.raises(NotFound), container.uow() as uow:
            patches.update_own(uow, outsider.principal, view.id, state="applied")
    for no_record in (world.treasury, world.submitter):
        with pytest.raises(NotFound), container.uow() as uow:
            patches.update_own(uow, no_record.principal, view.id, state="applied")
    with pytest.raises(ValidationFailed), container.uow() as uow:
        patches.update_own(uow, world.bank.principal, view.id, state="patched")
    with container.uow() as uow:
        record = patches.update_own(uow, world.bank.principal, view.id, state="acknowledged")
    assert record.state is DistributionState.ACKNOWLEDGED and record.acknowledged_at is not None
    with container.uow() as uow:
        record = patches.update_own(uow, world.bank_named.principal, view.id, state="applied", note="rolled out to all branches")
    assert record.state is DistributionState.APPLIED and not record.exposed
    assert record.updated_by == world.bank_named.principal.label and record.note == "rolled out to all branches"
    with pytest.raises(InvalidTransition), container.uow() as uow:
        patches.update_own(uow, world.bank.principal, view.id, state="not_affected")
    with container.uow() as uow:  # the patch was rolled back
        record = patches.update_own(uow, world.bank.principal, view.id, state="acknowledged", note="rolled back")
    assert record.exposed and record.applied_at is not None
    assert [s.to_state.value for s in record.steps] == ["notified", "acknowledged", "applied", "acknowledged"]


def test_who_sees_what(container: Container, world: World) -> None:
    view = _amber_for_bank(container, world)
    validate(container, world, view.id)
    _add_fix(container, world.treasury, view.id)
    with container.uow() as uow:
        ch = patches.get_distribution(uow, world.treasury.principal, view.id)
        source = patches.get_distribution(uow, world.submitter.principal, view.id)
        bank = patches.get_distribution(uow, world.bank.principal, view.id)
    assert ch.records is not None and [r.organization_id for r in ch.records] == [world.bank_id]
    assert ch.exposed == 1 and ch.may_manage_fixes
    assert source.records is None and source.counts is not None and source.exposed == 1 and source.own is None
    assert source.may_manage_fixes
    assert bank.records is None and bank.counts is None and bank.own is not None and bank.may_update_own
    assert not bank.may_manage_fixes and len(bank.fixes) == 1
    for outsider in (world.bank2, world.validator, world.program_office, world.operator):
        with pytest.raises(NotFound), container.uow() as uow:
            patches.get_distribution(uow, outsider.principal, view.id)
        with pytest.raises(NotFound), container.uow() as uow:
            patches.list_fixes(uow, outsider.principal, view.id)
    with container.uow() as uow:
        read = uow.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "clearinghouse:distribution:read")).all()
    assert [e.actor_label for e in read] == [world.treasury.principal.label]


def test_fixes_are_managed_by_the_clearinghouse_and_the_source_only(container: Container, world: World) -> None:
    view = _amber_for_bank(container, world)
    validate(container, world, view.id)
    with pytest.raises(PermissionDenied), container.uow() as uow:
        patches.add_fix(uow, world.bank.principal, view.id, FIX)
    with pytest.raises(NotFound), container.uow() as uow:
        patches.add_fix(uow, world.bank2.principal, view.id, FIX)
    with pytest.raises(ValidationFailed) as caught, container.uow() as uow:
        patches.add_fix(uow, world.treasury.principal, view.id, FixInput("", "12/01/2026", "ftp://vendor.example/x"))
    assert {p.field for p in caught.value.problems} == {"fixed_version", "released_on", "link"}
    with container.uow() as uow:
        assert uow.session.scalars(sa.select(ReportFix)).all() == []
        assert not reports.get_report(uow, world.treasury.principal, view.id).fix_available
    fix = _add_fix(container, world.submitter, view.id)
    with container.uow() as uow:
        edited = patches.edit_fix(
            uow, world.treasury.principal, view.id, fix.id, FixInput("2.3.3", "2026-12-02", FIX.link), version=fix.version
        )
    assert edited.fixed_version == "2.3.3" and edited.version == 2
    with pytest.raises(NotFound), container.uow() as uow:
        patches.edit_fix(uow, world.treasury.principal, view.id, uuid.uuid4(), FIX)


def test_exposure_board_and_still_exposed_counts(container: Container, world: World) -> None:
    amber = _amber_for_bank(container, world)
    validate(container, world, amber.id)
    _add_fix(container, world.treasury, amber.id)
    green = submit(container, world.submitter, tlp="TLP:GREEN", sectors=["energy"], cve="CVE-2026-10003")
    validate(container, world, green.id)
    with container.uow() as uow:
        board = _board(uow, world.bank)
        other = _board(uow, world.bank2)
    assert [r.report.id for r in board] == [amber.id]  # the GREEN energy report matches nothing of the bank
    assert board[0].record.organization_id == world.bank_id and board[0].exposed and board[0].fixes == 1
    assert "addressed to you" in board[0].reasons and "sector" in board[0].reasons
    assert other == []
    with container.uow() as uow:
        patches.update_own(uow, world.bank.principal, amber.id, state="applied")
    with container.uow() as uow:
        assert not _board(uow, world.bank)[0].exposed
        assert patches.still_exposed(uow, world.treasury.principal, [amber.id, green.id]) == {amber.id: 0, green.id: 0}
        assert patches.still_exposed(uow, world.bank.principal, [amber.id]) == {}
        assert patches.still_exposed(uow, world.bank2.principal, [amber.id]) == {}
    with pytest.raises(PermissionDenied), container.uow() as uow:
        _board(uow, world.operator)


def _records_the_rules_admit(container: Container, person: Person) -> set[uuid.UUID]:
    """Every record ``person`` may see by the pure rules, asked one by one (what the board's SQL must equal)."""
    with container.uow() as uow:
        seen = set()
        for row in uow.session.scalars(sa.select(PatchDistribution)):
            ref = reports.find_readable_ref(uow, person.principal, row.report_id)
            if ref is None:
                continue
            every = decide(uow, person.principal, Permission.DISTRIBUTION_READ_ALL, ref).allowed
            own = decide(uow, person.principal, Permission.DISTRIBUTION_UPDATE, RecordRef(ref, row.organization_id, row.id))
            if every or own.allowed:
                seen.add(row.id)
        return seen


def test_exposure_board_pages_sorts_and_filters_in_sql(container: Container, world: World) -> None:
    low = "CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N"
    finance = ["financial_services"]
    top = submit(container, world.submitter, tlp="TLP:GREEN", sectors=finance, cve="CVE-2026-20001", exploited=True)
    mid = _amber_for_bank(container, world)
    bottom = submit(container, world.submitter, tlp="TLP:GREEN", sectors=finance, cve="CVE-2026-20003", cvss31=low)
    red = submit(
        container, world.submitter, tlp="TLP:RED", people=[world.treasury.user.id, world.bank.user.id], cve="CVE-2026-20004"
    )
    for view in (top, mid, bottom, red):
        validate(container, world, view.id)
        _add_fix(container, world.treasury, view.id)
    assert top.priority > mid.priority > bottom.priority

    # The bank: three records (none for RED, named people only), two to a page, highest priority first.
    with container.uow() as uow:
        first = patches.page_exposure(uow, world.bank.principal, ListQuery(per_page=2))
        second = patches.page_exposure(uow, world.bank.principal, ListQuery(page=2, per_page=2))
        past_the_end = patches.page_exposure(uow, world.bank.principal, ListQuery(page=9, per_page=2))
    assert (first.rows.total, first.rows.pages, first.exposed, first.every_operator) == (3, 2, 3, False)
    assert [r.report.id for r in first.rows] == [top.id, mid.id]
    assert [r.report.id for r in second.rows] == [bottom.id] and second.rows.first == 3
    assert past_the_end.rows.page == 2 and [r.report.id for r in past_the_end.rows] == [bottom.id]
    assert all(r.record.organization_id == world.bank_id and r.reasons for r in [*first.rows, *second.rows])

    with container.uow() as uow:
        patches.update_own(uow, world.bank.principal, top.id, state="applied")
    with container.uow() as uow:
        board = patches.page_exposure(uow, world.bank.principal, ListQuery())
        still = patches.page_exposure(uow, world.bank.principal, ListQuery(filters={"show": "exposed"}))
        found = patches.page_exposure(uow, world.bank.principal, ListQuery(search="cve-2026-20003"))
        by_state = patches.page_exposure(uow, world.bank.principal, ListQuery(sort=Sort("state", descending=True)))
    assert (board.rows.total, board.exposed) == (3, 2)
    assert [r.report.id for r in still.rows] == [mid.id, bottom.id] and still.rows.total == 2
    assert [r.report.id for r in found.rows] == [bottom.id]
    assert by_state.rows.items[0].report.id == top.id  # applied comes after notified in the workflow's order

    # The clearinghouse: a row per report and operator, by operator name; no reasons on others' records.
    with container.uow() as uow:
        house = patches.page_exposure(uow, world.treasury.principal, ListQuery(sort=Sort("operator"), per_page=500))
    assert house.every_operator and house.rows.total == 5 and house.exposed == 4
    names = [r.record.organization_name for r in house.rows]
    assert names == sorted(names, key=str.lower) and all(r.reasons == () for r in house.rows)

    # The second bank sees its own two GREEN records, never the AMBER one.
    with container.uow() as uow:
        other = patches.page_exposure(uow, world.bank2.principal, ListQuery())
    assert {r.report.id for r in other.rows} == {top.id, bottom.id}
    assert {r.record.organization_id for r in other.rows} == {world.bank2_id}

    # The board's SQL admits exactly what the rules admit, for every reader with an organization.
    for person in (world.treasury, world.submitter, world.bank, world.bank_named, world.bank2, world.validator):
        with container.uow() as uow:
            rows = patches.page_exposure(uow, person.principal, ListQuery(per_page=500)).rows
        assert {r.record.id for r in rows} == _records_the_rules_admit(container, person), person.email
    with pytest.raises(ValidationFailed), container.uow() as uow:
        patches.page_exposure(uow, world.bank.principal, ListQuery(sort=Sort("secret_column")))
