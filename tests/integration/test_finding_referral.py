"""Referring a finding to the clearinghouse (issue 14 item 8), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.clearinghouse import reports
from frontier_review.engagements.findings import referral
from frontier_review.engagements.findings import service as findings
from frontier_review.engagements.findings.views import FindingView
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from tests.factories.engagements import Setup, make_engagement
from tests.factories.identity import Person, make_org, make_user

GOOD = referral.ReferralInput(
    products=[reports.ProductInput("Example", "libarchive-demo", "pkg:pypi/example-archive", "", "vers:pypi/<2.4.1")],
    cve_id="CVE-2026-10001",
    cwe_ids=["CWE-22"],
    cvss31="CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:N",
    sectors=["information_technology"],
)


@pytest.fixture
def setup(container: Container) -> Setup:
    return make_engagement(container)


@pytest.fixture
def analyst(container: Container) -> Person:
    return make_user(container, make_org(container, OrgKind.CLEARINGHOUSE, name="Treasury"), role=Role.ADMIN)


def _file(container: Container, setup: Setup, *, tlp: str = "TLP:GREEN", category: str = "third_party_vulnerability",
          recipients: list[uuid.UUID] | None = None) -> FindingView:  # fmt: skip
    with container.uow() as uow:
        return findings.file_finding(
            uow,
            setup.reviewer.principal,
            setup.engagement.id,
            title="Path traversal in an archive library",
            category=category,
            severity="medium",
            description="Extraction writes outside the target directory.",
            tlp=tlp,
            recipients=recipients,
        )


def test_the_finder_refers_a_finding_once_and_both_sides_are_audited(container: Container, setup: Setup, analyst: Person) -> None:
    f = _file(container, setup)
    with container.uow() as uow:
        plan = referral.plan_referral(uow, setup.reviewer.principal, f.id)
        assert plan.may_refer and plan.tlp.value == "TLP:GREEN" and plan.description.startswith("Extraction")
        done = referral.refer_finding(uow, setup.reviewer.principal, f.id, GOOD)
    assert done.report.tlp.value == "TLP:GREEN" and done.report.source_org_id == setup.agency.id
    with container.uow() as uow:
        seen = referral.find_referral(uow, analyst.principal, f.id)
        assert seen is not None and seen.id == done.report.id and not seen.validated
        # GREEN but unvalidated: the developer reads the finding, not the report (yet).
        assert referral.find_referral(uow, setup.developer.principal, f.id) is None
        view = reports.get_report(uow, analyst.principal, done.report.id)
        assert view.cve_id == "CVE-2026-10001" and view.title == f.title
        actions = set(
            uow.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target_id.in_([str(f.id), str(done.report.id)])))
        )
    assert {"engagements:finding:referred", "clearinghouse:report:referred"} <= actions
    with pytest.raises(Conflict), container.uow() as uow:
        referral.refer_finding(uow, setup.reviewer.principal, f.id, GOOD)


def test_only_the_finders_organization_refers_and_only_third_party_findings(container: Container, setup: Setup) -> None:
    f = _file(container, setup)
    for person in (setup.developer, setup.program_office, setup.partner_reviewer):
        with pytest.raises((PermissionDenied, NotFound)), container.uow() as uow:
            referral.refer_finding(uow, person.principal, f.id, GOOD)
    other = _file(container, setup, category="offensive_cyber_capability")
    with container.uow() as uow:
        assert not referral.plan_referral(uow, setup.reviewer.principal, other.id).may_refer
    with pytest.raises(PermissionDenied, match="third-party software"), container.uow() as uow:
        referral.refer_finding(uow, setup.reviewer.principal, other.id, GOOD)


def test_bad_fields_are_named_and_nothing_is_written(container: Container, setup: Setup) -> None:
    f = _file(container, setup)
    bad = referral.ReferralInput(cve_id="CVE-26-1", cwe_ids=["CWE-99999999"], cvss31="CVSS:3.1/AV:Q")
    with pytest.raises(ValidationFailed) as caught, container.uow() as uow:
        referral.refer_finding(uow, setup.reviewer.principal, f.id, bad)
    assert {"cve_id", "cwe_ids", "cvss31"} <= {p.field for p in caught.value.problems}
    with container.uow() as uow:
        assert referral.find_referral(uow, setup.reviewer.principal, f.id) is None


def test_a_red_findings_named_people_become_the_reports(container: Container, setup: Setup, analyst: Person) -> None:
    f = _file(container, setup, tlp="TLP:RED", recipients=[setup.developer.user.id])
    with pytest.raises(ValidationFailed), container.uow() as uow:  # only clearinghouse people may be added
        referral.refer_finding(
            uow, setup.reviewer.principal, f.id, referral.ReferralInput(clearinghouse_people=[setup.developer.user.id])
        )
    with container.uow() as uow:
        done = referral.refer_finding(
            uow, setup.reviewer.principal, f.id, referral.ReferralInput(clearinghouse_people=[analyst.user.id])
        )
    assert {p.id for p in done.named} == {setup.developer.user.id, setup.reviewer.user.id, analyst.user.id}
    with container.uow() as uow:
        assert referral.find_referral(uow, analyst.principal, f.id) is not None
        # Named, but unvalidated: a report reaches only its source and the clearinghouse before validation.
        assert referral.find_referral(uow, setup.developer.principal, f.id) is None
        # The agency's admin is in neither audience: the finding and the report stay hidden.
        with pytest.raises(NotFound):
            referral.plan_referral(uow, setup.agency_admin.principal, f.id)
        assert referral.find_referral(uow, setup.agency_admin.principal, f.id) is None


def test_an_amber_findings_people_are_not_carried_and_the_plan_says_so(container: Container, setup: Setup) -> None:
    f = _file(container, setup, tlp="TLP:AMBER", recipients=[setup.developer.user.id])
    with container.uow() as uow:
        plan = referral.plan_referral(uow, setup.reviewer.principal, f.id)
        done = referral.refer_finding(uow, setup.reviewer.principal, f.id, GOOD)
    assert any(setup.developer.email in line and "names no people" in line for line in plan.left_out)
    assert done.named == () and done.report.tlp.value == "TLP:AMBER"
