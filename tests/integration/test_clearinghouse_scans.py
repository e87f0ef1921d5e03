"""Scan deconfliction through the service, on SQLite and PostgreSQL: registration, overlaps flagged
at registration and on change (notices to exactly the scanners and the clearinghouse), objections,
cancel, resolve, input checks that write nothing, and the SQL visibility filter against the pure rule."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.scans import browse, service
from frontier_review.clearinghouse.scans.orm import PlannedScan, ScanOverlap
from frontier_review.clearinghouse.scans.policy import sees_scan
from frontier_review.clearinghouse.scans.views import ScanView, scan_ref, visible
from frontier_review.identity.domain import OrgKind, Role, Sector
from frontier_review.kernel.clock import FrozenClock
from frontier_review.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from frontier_review.kernel.listing import ListQuery
from frontier_review.notifications.orm import Notification
from tests.factories.identity import Person, make_org, make_user


@dataclass(frozen=True)
class World:
    cisa: Person
    cisa2: Person
    agency: Person
    house: Person
    bank: Person
    other_bank: Person
    developer: Person
    bank_org: uuid.UUID


@pytest.fixture
def world(container: Container) -> World:
    cisa_org = make_org(container, OrgKind.AGENCY, name="DHS CISA")
    agency_org = make_org(container, OrgKind.AGENCY, name="Treasury OCCIP")
    house_org = make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury Clearinghouse")
    bank_org = make_org(container, OrgKind.PARTNER, name="First Federal Bank", sector=Sector.FINANCIAL_SERVICES)
    other_org = make_org(container, OrgKind.PARTNER, name="Second Bank", sector=Sector.FINANCIAL_SERVICES)
    dev_org = make_org(container, OrgKind.DEVELOPER, name="Northwind")
    return World(
        cisa=make_user(container, cisa_org, role=Role.ADMIN),
        cisa2=make_user(container, cisa_org),
        agency=make_user(container, agency_org),
        house=make_user(container, house_org),
        bank=make_user(container, bank_org, role=Role.ADMIN),
        other_bank=make_user(container, other_org),
        developer=make_user(container, dev_org),
        bank_org=bank_org.id,
    )


def register(
    container: Container,
    person: Person,
    target: uuid.UUID,
    *,
    ranges: tuple[str, ...] = ("198.51.100.0/24",),
    domains: tuple[str, ...] = (),
    start_in: timedelta = timedelta(days=1),
    length: timedelta = timedelta(days=2),
) -> ScanView:
    with container.uow() as uow:
        now = uow.clock.now()
        return service.register_scan(
            uow,
            person.principal,
            target_org_id=target,
            ranges=ranges,
            domains=domains,
            starts_at=now + start_in,
            ends_at=now + start_in + length,
            model_text="an in-house agent on a released model",
            purpose="quarterly external surface scan",
        )


def notices(container: Container, kind: str = "scan_overlap") -> dict[uuid.UUID, int]:
    with container.uow() as uow:
        rows = uow.session.execute(sa.select(Notification.user_id, Notification.title).where(Notification.kind == kind)).all()
    out: dict[uuid.UUID, int] = {}
    for user_id, _ in rows:
        out[user_id] = out.get(user_id, 0) + 1
    return out


def test_overlap_is_flagged_at_registration_to_exactly_both_scanners_and_the_clearinghouse(
    container: Container, world: World
) -> None:
    first = register(container, world.cisa, world.bank_org, ranges=("198.51.100.0/24",))
    assert first.overlaps == ()
    assert notices(container) == {}
    second = register(container, world.agency, world.bank_org, ranges=("198.51.100.128/25", "2001:db8::/32"))
    assert len(second.overlaps) == 1
    overlap = second.overlaps[0]
    assert overlap.other_scan_id == first.id
    assert overlap.other_scanner_name == "DHS CISA"
    assert overlap.other_contact == world.cisa.email
    assert overlap.ranges == (("198.51.100.128/25", "198.51.100.0/24"),)
    assert overlap.other_visible is False  # a scanner never opens the other's scan
    # Notices: both CISA people, the agency person, the clearinghouse; not the bank, not the others.
    got = notices(container)
    assert got == {
        world.cisa.user.id: 1,
        world.cisa2.user.id: 1,
        world.agency.user.id: 1,
        world.house.user.id: 1,
    }
    with container.uow() as uow:
        titles = {
            t for (t,) in uow.session.execute(sa.select(Notification.title).where(Notification.user_id == world.cisa.user.id))
        }
    assert any("Treasury OCCIP" in t and world.agency.email in t for t in titles)
    # The target hears of each registration (not of the overlap).
    assert set(notices(container, "scan_of_your_assets")) == {world.bank.user.id}
    # The first scanner sees the overlap on its own scan, from its side.
    with container.uow() as uow:
        mine = service.get_scan(uow, world.cisa.principal, first.id)
    assert mine.overlaps[0].ranges == (("198.51.100.0/24", "198.51.100.128/25"),)
    assert mine.open_overlaps == 1


def test_no_overlap_across_families_other_targets_or_disjoint_windows(container: Container, world: World) -> None:
    register(container, world.cisa, world.bank_org, ranges=("198.51.100.0/24",), domains=("bank.example",))
    other_target = world.other_bank.principal.org_id
    assert other_target is not None
    assert register(container, world.agency, other_target, ranges=("198.51.100.0/24",)).overlaps == ()
    assert register(container, world.agency, world.bank_org, ranges=("::ffff:198.51.100.0/120",)).overlaps == ()
    later = register(container, world.agency, world.bank_org, ranges=("198.51.100.0/24",), start_in=timedelta(days=3))
    assert later.overlaps == ()  # [1d, 3d) and [3d, 5d) touch but do not overlap
    by_domain = register(container, world.agency, world.bank_org, ranges=(), domains=("*.bank.example",))
    assert len(by_domain.overlaps) == 1 and by_domain.overlaps[0].domains == (("*.bank.example", "bank.example"),)


def test_overlap_is_flagged_when_a_window_changes_and_cleared_when_it_no_longer_overlaps(
    container: Container, world: World
) -> None:
    first = register(container, world.cisa, world.bank_org)
    second = register(container, world.agency, world.bank_org, start_in=timedelta(days=10))
    assert second.overlaps == ()
    with container.uow() as uow:
        now = uow.clock.now()
        moved = service.change_scan(
            uow, world.agency.principal, second.id, starts_at=now + timedelta(days=2), ends_at=now + timedelta(days=4)
        )
    assert [o.other_scan_id for o in moved.overlaps] == [first.id]
    assert notices(container) == {world.cisa.user.id: 1, world.cisa2.user.id: 1, world.agency.user.id: 1, world.house.user.id: 1}
    with container.uow() as uow:
        now = uow.clock.now()
        away = service.change_scan(
            uow, world.agency.principal, second.id, starts_at=now + timedelta(days=20), ends_at=now + timedelta(days=21)
        )
    assert away.overlaps == ()
    with container.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(ScanOverlap)) == 0
        actions = [a for (a,) in uow.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.seq))]
    assert actions.count("clearinghouse:scan:overlap_flagged") == 1
    assert actions.count("clearinghouse:scan:overlap_cleared") == 1
    assert actions.count("clearinghouse:scan:changed") == 2


def test_who_acts(container: Container, world: World) -> None:
    scan = register(container, world.cisa, world.bank_org)
    second = register(container, world.agency, world.bank_org)
    # the target objects, the scanner is told; the scanner may not object, the target may not change
    with container.uow() as uow, pytest.raises(PermissionDenied):
        service.object_to_scan(uow, world.cisa.principal, scan.id, reason="no")
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        service.object_to_scan(uow, world.bank.principal, scan.id, reason="   ")
    assert caught.value.problems[0].field == "reason"
    with container.uow() as uow:
        view = service.object_to_scan(uow, world.bank.principal, scan.id, reason="month-end close; please move a week")
    assert view.objection == "month-end close; please move a week"
    assert set(notices(container, "scan_objection")) == {world.cisa.user.id, world.cisa2.user.id}
    with container.uow() as uow, pytest.raises(PermissionDenied):
        service.change_scan(uow, world.bank.principal, scan.id, ranges=["198.51.100.0/25"])
    with container.uow() as uow:
        assert service.withdraw_objection(uow, world.bank.principal, scan.id).objection is None
    # only the clearinghouse resolves; the scanners get 403 (they see a side), others 404
    overlap_id = second.overlaps[0].id
    with container.uow() as uow, pytest.raises(PermissionDenied):
        service.resolve_overlap(uow, world.bank.principal, overlap_id)
    with container.uow() as uow, pytest.raises(NotFound):
        service.resolve_overlap(uow, world.other_bank.principal, overlap_id)
    with container.uow() as uow:
        resolved = service.resolve_overlap(uow, world.house.principal, overlap_id, note="CISA goes first")
    assert resolved.resolved_by == world.house.email and resolved.resolution == "CISA goes first"
    # stale versions clash
    with container.uow() as uow, pytest.raises(Conflict):
        service.change_scan(uow, world.cisa.principal, scan.id, ranges=["198.51.100.0/25"], expected_version=scan.version - 1)
    # cancel clears the overlaps and ends changes
    with container.uow() as uow:
        cancelled = service.cancel_scan(uow, world.cisa2.principal, scan.id)
    assert cancelled.overlaps == () and not cancelled.may_change
    with container.uow() as uow, pytest.raises(PermissionDenied):
        service.change_scan(uow, world.cisa.principal, scan.id, ranges=["198.51.100.0/25"])


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("ranges", {"ranges": ["198.51.100.7/24"]}),
        ("ranges", {"ranges": ["10.0.0.0/33"]}),
        ("ranges", {"ranges": ["not-a-range"]}),
        ("domains", {"domains": ["bad_name.example"]}),
        ("domains", {"domains": ["a.*.example"]}),
        ("ranges", {"ranges": [], "domains": []}),
        ("ends_at", {"length": timedelta(hours=-1)}),
        ("ends_at", {"length": timedelta(days=40)}),
        ("target_org_id", {"target": "nope"}),
        ("target_org_id", {"target": str(uuid.UUID(int=7))}),
        ("model_version_id", {"model_version_id": str(uuid.UUID(int=9))}),
    ],
    ids=[
        "host-bits",
        "prefix",
        "garbage",
        "domain-label",
        "domain-wildcard",
        "empty",
        "backwards",
        "too-long",
        "target-id",
        "target-unknown",
        "model",
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(
    container: Container, world: World, field: str, kwargs: dict[str, object]
) -> None:
    args: dict[str, object] = {"ranges": ["198.51.100.0/24"], "domains": [], "model_version_id": None}
    args.update({k: v for k, v in kwargs.items() if k in {"ranges", "domains", "model_version_id"}})
    length = kwargs.get("length", timedelta(days=1))
    assert isinstance(length, timedelta)
    with container.uow() as uow, pytest.raises(ValidationFailed) as caught:
        now = uow.clock.now()
        service.register_scan(
            uow,
            world.cisa.principal,
            target_org_id=kwargs.get("target", world.bank_org),  # type: ignore[arg-type]
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1) + length,
            **args,  # type: ignore[arg-type]
        )
    assert field in {p.field for p in caught.value.problems}
    if kwargs.get("ranges") == ["198.51.100.7/24"]:
        assert "198.51.100.0/24" in str(caught.value)  # the network meant
    with container.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(PlannedScan)) == 0


def test_an_unrelated_organization_cannot_learn_a_scan_exists(container: Container, world: World) -> None:
    scan = register(container, world.cisa, world.bank_org)
    for outsider in (world.other_bank, world.developer):
        with container.uow() as uow:
            with pytest.raises(NotFound) as caught:
                service.get_scan(uow, outsider.principal, scan.id)
            assert str(caught.value) == f"scan {scan.id} not found"
            page = browse.page_scans(uow, outsider.principal, ListQuery())
            assert page.total == 0 and list(page) == []
            with pytest.raises(PermissionDenied):
                browse.calendar(uow, outsider.principal, start=uow.clock.now().date())
        with container.uow() as uow, pytest.raises(NotFound):
            service.object_to_scan(uow, outsider.principal, scan.id, reason="probing")
    for insider in (world.cisa, world.bank, world.house):
        with container.uow() as uow:
            assert [s.id for s in browse.page_scans(uow, insider.principal, ListQuery())] == [scan.id]


def test_sql_visibility_equals_the_pure_rule(container: Container, world: World, clock: FrozenClock) -> None:
    register(container, world.cisa, world.bank_org)
    register(container, world.agency, world.bank_org)
    other = world.other_bank.principal.org_id
    assert other is not None
    register(container, world.bank, other)
    register(container, world.developer, world.bank_org)
    people = [world.cisa, world.agency, world.house, world.bank, world.other_bank, world.developer]
    with container.uow() as uow:
        rows = list(uow.session.scalars(sa.select(PlannedScan)))
        for person in people:
            p = person.principal
            by_sql = set(uow.session.scalars(sa.select(PlannedScan.id).where(visible(p))))
            by_rule = {r.id for r in rows if sees_scan(p.org_id, p.org_kind, scan_ref(r))}
            assert by_sql == by_rule, person.email
            assert {s.id for s in browse.page_scans(uow, p, ListQuery(per_page=500))} == by_rule


def test_calendar_groups_by_week_and_target(container: Container, world: World) -> None:
    register(container, world.cisa, world.bank_org)
    register(container, world.agency, world.bank_org)
    with container.uow() as uow:
        weeks = browse.calendar(uow, world.house.principal, start=uow.clock.now().date(), weeks=2)
    touched = [w for w in weeks if w.targets]
    assert touched
    first = touched[0].targets[0]
    assert first.target_name == "First Federal Bank" and first.overlapping == 2


def test_home_summary_counts_only_what_the_reader_sees(container: Container, world: World) -> None:
    from frontier_review.clearinghouse.scans import summary

    first = register(container, world.cisa, world.bank_org)
    register(container, world.agency, world.bank_org)
    with container.uow() as uow:
        service.object_to_scan(uow, world.bank.principal, first.id, reason="month-end close")
    with container.uow() as uow:
        assert summary.attention(uow, world.cisa.principal) == summary.ScanAttention(1, 1, 0, 0)
        assert summary.attention(uow, world.bank.principal) == summary.ScanAttention(0, 0, 2, 0)
        assert summary.attention(uow, world.house.principal) == summary.ScanAttention(0, 0, 0, 2)
        assert not summary.attention(uow, world.other_bank.principal).any
