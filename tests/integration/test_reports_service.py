"""Vulnerability reports through the service, on SQLite and PostgreSQL: submission, the audience
before and after validation, the SQL audience against the pure one, workflow, labels, merges,
KEV import, notices and audit."""

from __future__ import annotations

import itertools
import json
import uuid

import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.clearinghouse import reports
from frontier_review.clearinghouse.reports import browse
from frontier_review.clearinghouse.reports.orm import Report
from frontier_review.clearinghouse.reports.policy import reads_report
from frontier_review.clearinghouse.reports.views import load_refs
from frontier_review.identity.domain import OrgKind
from frontier_review.kernel.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from frontier_review.kernel.listing import ListQuery
from frontier_review.kernel.principal import Principal
from frontier_review.notifications.orm import Notification
from tests.factories.clearinghouse import SECRET, World, make_world, submit, validate
from tests.factories.identity import Person


@pytest.fixture
def world(container: Container) -> World:
    return make_world(container)


def sees(container: Container, person: Person | None, report_id: uuid.UUID) -> bool:
    """Whether ``person`` (None: the public) reaches the report; the list and the page must agree."""
    principal = person.principal if person else None
    with container.uow() as uow:
        listed = {r.id for r in reports.page_reports(uow, principal, ListQuery(per_page=500))}
    if principal is None:
        return report_id in listed
    try:
        with container.uow() as uow:
            view = reports.get_report(uow, principal, report_id)
    except NotFound:
        assert report_id not in listed
        return False
    assert report_id in listed
    assert SECRET in view.description
    return True


def notices(container: Container, person: Person) -> list[str]:
    with container.uow() as uow:
        return list(uow.session.scalars(sa.select(Notification.kind).where(Notification.user_id == person.user.id)))


def test_submission_computes_scores_and_priority(container: Container, world: World) -> None:
    view = submit(container, world.submitter, tlp="TLP:GREEN", ai_assisted_exploitability=True, cwe_ids=["CWE-787"])
    assert view.status is reports.ReportStatus.RECEIVED
    assert not view.validated
    assert view.cvss31 is not None and view.cvss31[1] == 9.8
    # 9.8 × 4 = 39.2; health 0.9 × 15 = 13.5; no fix 10; AI 10 → 72.7
    assert view.priority == 72.7
    assert view.factors[0].name == "Severity"
    assert view.history[0].what == "submitted"
    assert "report_received" in notices(container, world.treasury)
    assert not notices(container, world.bank)
    with container.uow() as uow:
        entry = uow.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "clearinghouse:report:submitted")).one()
        assert "Heap overflow" not in json.dumps(entry.details)
        assert SECRET not in json.dumps(entry.details)


def test_bad_input_names_every_field_and_stores_nothing(container: Container, world: World) -> None:
    with pytest.raises(ValidationFailed) as caught, container.uow() as uow:
        reports.submit(
            uow,
            world.submitter.principal,
            reports.ReportInput(title="x", description="d", tlp="purple", cvss31="CVSS:3.1/AV:Q", cwe_ids=["CWE-99999"]),
        )
    assert {p.field for p in caught.value.problems} >= {"title", "tlp", "cvss31", "cwe_ids"}
    with pytest.raises(ValidationFailed) as red:
        submit(container, world.submitter, tlp="TLP:RED")
    assert {p.field for p in red.value.problems} == {"recipient_people"}
    with pytest.raises(ValidationFailed, match="not a member organization"):
        submit(container, world.submitter, orgs=[uuid.uuid4()])
    with pytest.raises(ValidationFailed, match="active member"):
        submit(container, world.submitter, tlp="TLP:RED", people=[world.deactivated.user.id])
    with container.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_amber_reaches_the_bank_only_once_validated(container: Container, world: World) -> None:
    view = submit(container, world.submitter, orgs=[world.bank_id])
    for person in (world.submitter, world.source_colleague, world.treasury):
        assert sees(container, person, view.id)
    outside: tuple[Person | None, ...] = (
        world.bank,
        world.bank2,
        world.validator,
        world.program_office,
        world.developer,
        world.operator,
        None,
    )
    for someone in outside:
        assert not sees(container, someone, view.id)
    with container.uow() as uow:
        reports.name_validator(uow, world.treasury.principal, view.id, organization_id=world.validator_id)
    assert sees(container, world.validator, view.id)
    assert not sees(container, world.bank, view.id)
    with container.uow() as uow:
        reports.validate(
            uow, world.validator.principal, view.id, reproduced=True, versions_confirmed=True, notes="ok", evidence="poc"
        )
    assert sees(container, world.bank, view.id)
    assert sees(container, world.bank_named, view.id)
    for someone in (world.bank2, world.program_office, world.developer, world.operator, None):
        assert not sees(container, someone, view.id)
    assert "report_shared" in notices(container, world.bank)
    assert not notices(container, world.bank2)
    assert not notices(container, world.deactivated)
    with container.uow() as uow:
        seen_by_bank = reports.get_report(uow, world.bank.principal, view.id)
        seen_by_source = reports.get_report(uow, world.submitter.principal, view.id)
    assert seen_by_bank.validations[0].notes is None  # notes are for the circle
    assert seen_by_source.validations[0].notes == "ok"
    assert seen_by_source.validations[0].evidence == "poc"


READERS = (
    "treasury",
    "submitter",
    "source_colleague",
    "bank",
    "bank_named",
    "bank2",
    "validator",
    "program_office",
    "developer",
    "operator",
)


def test_the_sql_audience_is_the_pure_audience(container: Container, world: World) -> None:
    ids = []
    for label, validated, named_validator in itertools.product(list(reports.Tlp), (False, True), (False, True)):
        orgs = [world.bank_id] if label in {reports.Tlp.AMBER, reports.Tlp.AMBER_STRICT} else []
        people = [world.bank_named.user.id, world.treasury.user.id] if label is reports.Tlp.RED else []
        view = submit(container, world.submitter, tlp=label.value, orgs=orgs, people=people, cve="")
        if named_validator and label is not reports.Tlp.RED:
            with container.uow() as uow:
                reports.name_validator(uow, world.treasury.principal, view.id, organization_id=world.validator_id)
        if validated:
            validate(container, world, view.id)
        ids.append(view.id)
    principals: list[Principal | None] = [None, Principal.system("tests")]
    principals += [getattr(world, name).principal for name in READERS]
    with container.uow() as uow:
        rows = list(uow.session.scalars(sa.select(Report)))
        for principal in principals:
            by_sql = set(uow.session.scalars(sa.select(Report.id).where(browse.readable(principal))))
            by_rule = {r.id for r in browse.reader_decides(uow, principal, rows)}
            assert by_sql == by_rule, principal
    with container.uow() as uow:
        refs = load_refs(uow, rows)
        public = {r.id for r in rows if reads_report(None, None, None, refs[r.id]).allowed}
        assert public == {r.id for r in reports.page_public(uow, ListQuery(per_page=500))}


def test_red_reaches_the_named_only(container: Container, world: World) -> None:
    view = submit(container, world.submitter, tlp="TLP:RED", people=[world.bank_named.user.id, world.treasury.user.id])
    validate(container, world, view.id)
    assert {p for p in READERS if sees(container, getattr(world, p), view.id)} == {"submitter", "bank_named", "treasury"}
    assert "report_shared" in notices(container, world.bank_named)
    assert "report_shared" not in notices(container, world.bank)


def test_labels_only_the_source_relaxes(container: Container, world: World) -> None:
    view = submit(container, world.submitter, orgs=[world.bank_id])
    validate(container, world, view.id)
    with pytest.raises(PermissionDenied, match="only the source relaxes"), container.uow() as uow:
        reports.relabel(uow, world.treasury.principal, view.id, tlp="TLP:GREEN")
    with container.uow() as uow:
        tighter = reports.relabel(uow, world.treasury.principal, view.id, tlp="TLP:AMBER+STRICT", recipient_orgs=[world.bank_id])
    assert tighter.tlp is reports.Tlp.AMBER_STRICT
    with container.uow() as uow:
        reports.relabel(uow, world.submitter.principal, view.id, tlp="TLP:GREEN")
    assert sees(container, world.bank2, view.id)
    with container.uow() as uow:
        history = reports.get_report(uow, world.submitter.principal, view.id).history
    assert [(e.what, e.old, e.new) for e in history if e.what == "label"] == [
        ("label", "TLP:AMBER", "TLP:AMBER+STRICT"),
        ("label", "TLP:AMBER+STRICT", "TLP:GREEN"),
    ]


def test_the_workflow(container: Container, world: World) -> None:
    view = submit(container, world.submitter)
    with pytest.raises(PermissionDenied), container.uow() as uow:
        reports.advance(uow, world.submitter.principal, view.id, to="triaged")
    with pytest.raises(InvalidTransition), container.uow() as uow:
        reports.disclose(uow, world.treasury.principal, view.id)
    with container.uow() as uow:
        reports.advance(uow, world.treasury.principal, view.id, to="triaged")
        reports.advance(uow, world.treasury.principal, view.id, to="coordinating")
    validate(container, world, view.id)
    with container.uow() as uow:
        done = reports.disclose(uow, world.treasury.principal, view.id)
    assert done.status is reports.ReportStatus.DISCLOSED
    with pytest.raises(InvalidTransition), container.uow() as uow:
        reports.reject(uow, world.treasury.principal, view.id, reason="late")
    other = submit(container, world.submitter)
    with container.uow() as uow:
        rejected = reports.reject(uow, world.treasury.principal, other.id, reason="not reproducible")
    assert rejected.history[-1].new == "not reproducible"


def test_merging_never_widens_the_canonical(container: Container, world: World) -> None:
    canonical = submit(container, world.submitter, tlp="TLP:AMBER", title="Canonical: parser overflow")
    validate(container, world, canonical.id)
    duplicate = submit(container, world.bank, tlp="TLP:GREEN", title="Same overflow")
    validate(container, world, duplicate.id)
    assert sees(container, world.bank2, duplicate.id)
    with container.uow() as uow:
        merged = reports.merge(uow, world.treasury.principal, duplicate.id, into=canonical.id)
    assert merged.status is reports.ReportStatus.DUPLICATE
    assert merged.canonical_id == canonical.id  # the clearinghouse reads both
    with container.uow() as uow:
        seen_by_bank2 = reports.get_report(uow, world.bank2.principal, duplicate.id)
    assert seen_by_bank2.canonical_id is None
    assert all(e.related_id is None for e in seen_by_bank2.history)
    assert not sees(container, world.bank2, canonical.id)  # not widened
    with container.uow() as uow:
        assert reports.get_report(uow, world.submitter.principal, canonical.id).duplicates == (duplicate.id,)  # GREEN: readable
    with pytest.raises(ValidationFailed), container.uow() as uow:
        reports.merge(uow, world.treasury.principal, canonical.id, into=canonical.id)


def test_kev_import_recomputes_priorities(container: Container, world: World) -> None:
    view = submit(container, world.submitter, tlp="TLP:GREEN")
    catalogue = {
        "catalogVersion": "2026.06.01",
        "vulnerabilities": [
            {"cveID": "CVE-2026-10001", "vendorProject": "Acme", "product": "Parser", "dateAdded": "2026-05-30"},
            {"cveID": "not-a-cve"},
        ],
    }
    with pytest.raises(PermissionDenied), container.uow() as uow:
        reports.import_kev(uow, world.treasury.principal, catalogue)
    with container.uow() as uow:
        result = reports.import_kev(uow, world.treasury_admin.principal, catalogue)
    assert (result.entries, result.skipped, result.reports_changed) == (1, 1, 1)
    with container.uow() as uow:
        after = reports.get_report(uow, world.submitter.principal, view.id)
    assert after.known_exploited
    assert after.priority == round(view.priority + 25, 1)
    with pytest.raises(ValidationFailed), container.uow() as uow:
        reports.import_kev(uow, world.treasury_admin.principal, {"vulnerabilities": []})
    with container.uow() as uow:
        assert reports.recompute_priorities(uow, Principal.system("tests")) == 0


def test_editing_recomputes_priority_and_keeps_history(container: Container, world: World) -> None:
    view = submit(container, world.submitter)
    with container.uow() as uow:
        after = reports.update_report(
            uow,
            world.submitter.principal,
            view.id,
            reports.ReportInput(
                title=view.title,
                description=f"Steps: {SECRET}. More.",
                tlp=view.tlp.value,
                cve_id="CVE-2026-10001",
                cvss31="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                sectors=["healthcare_and_public_health"],
                cvss40="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N",
            ),
        )
    assert not after.fix_available
    whats = [e.what for e in after.history]
    assert "fix available changed" not in whats and "description changed" in whats and "CVSS 4.0 changed" in whats
    with pytest.raises(NotFound), container.uow() as uow:
        reports.update_report(uow, world.bank2.principal, view.id, reports.ReportInput(title="x", description="y", tlp="amber"))


def test_hidden_and_missing_answer_alike(container: Container, world: World) -> None:
    view = submit(container, world.submitter)
    messages = []
    for report_id in (view.id, uuid.uuid4()):
        with pytest.raises(NotFound) as caught, container.uow() as uow:
            reports.get_report(uow, world.bank2.principal, report_id)
        messages.append(str(caught.value).replace(str(report_id), "ID"))
    assert messages[0] == messages[1]
    with container.uow() as uow:
        denied = uow.session.scalars(sa.select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
    assert any(e.target_id == str(view.id) for e in denied)


def test_home_counts_are_the_readers_own(container: Container, world: World) -> None:
    amber = submit(container, world.submitter, orgs=[world.bank_id])
    validate(container, world, amber.id)
    submit(container, world.submitter)
    with container.uow() as uow:
        bank = browse.queue_counts(uow, world.bank.principal)
        bank2 = browse.queue_counts(uow, world.bank2.principal)
        treasury = browse.queue_counts(uow, world.treasury.principal)
    assert (bank.addressed_to_org, bank.open) == (1, 1)
    assert (bank2.addressed_to_org, bank2.open) == (0, 0)
    assert (treasury.open, treasury.unvalidated_open) == (2, 1)
    assert OrgKind.CLEARINGHOUSE  # the world has one
