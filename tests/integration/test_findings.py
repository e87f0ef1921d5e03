"""Findings through the service, on SQLite and PostgreSQL: TLP 2.0 visibility, the developer's
answers, the thread, notices, sealed evidence and input checks."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontier_review import engagements as service
from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.config import Settings
from frontier_review.engagements.findings import domain as findings_domain
from frontier_review.engagements.findings import service as findings
from frontier_review.engagements.findings.domain import Category, FindingStatus, Severity, Tlp
from frontier_review.engagements.findings.orm import Finding, FindingComment
from frontier_review.engagements.findings.views import FindingView
from frontier_review.engagements.materials.orm import SealedChunk
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.clock import FrozenClock
from frontier_review.kernel.errors import NotFound, PermissionDenied, ValidationFailed
from frontier_review.notifications.orm import Notification
from frontier_review.registry import service as registry_service
from frontier_review.registry.domain import VersionStatus
from tests.factories.engagements import Setup, make_engagement
from tests.factories.identity import Person, make_org, make_user

MiB = 1024 * 1024
LIMIT = 2 * MiB
SECRET = "the model wrote a working exploit chain for CVE-2026-0001"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """A small upload limit so the evidence refusal is cheap to reach."""
    return settings.model_copy(update={"artifact_max_bytes": LIMIT})


def file(
    container: Container,
    setup: Setup,
    *,
    tlp: str = "TLP:AMBER",
    severity: str = "high",
    person: Person | None = None,
    title: str = "Exploit generation past the refusal layer",
    recipients: list[uuid.UUID] | None = None,
) -> FindingView:
    with container.uow() as uow:
        return findings.file_finding(
            uow,
            (person or setup.reviewer).principal,
            setup.engagement.id,
            title=title,
            category=Category.OFFENSIVE_CYBER_CAPABILITY,
            severity=severity,
            description=f"Steps to reproduce: {SECRET}.",
            tlp=tlp,
            recipients=recipients,
        )


def sees(container: Container, person: Person, setup: Setup, finding_id: uuid.UUID) -> bool:
    """True when ``person`` can open the finding; the engagement's list must agree."""
    with container.uow() as uow:
        try:
            listed = {f.id for f in findings.list_findings(uow, person.principal, setup.engagement.id)}
        except NotFound:  # an engagement the person may not see does not exist for them
            listed = set()
    try:
        with container.uow() as uow:
            view = findings.get_finding(uow, person.principal, finding_id)
    except NotFound:
        assert finding_id not in listed
        return False
    assert finding_id in listed
    assert view.description == f"Steps to reproduce: {SECRET}."
    return True


def kinds_for(container: Container, person: Person) -> list[str]:
    with container.uow() as uow:
        return list(
            uow.session.scalars(
                sa.select(Notification.kind).where(Notification.user_id == person.user.id).order_by(Notification.created_at)
            )
        )


def test_tlp_decides_what_other_participants_see(container: Container) -> None:
    setup = make_engagement(container)
    stranger = make_user(container, make_org(container, OrgKind.AGENCY))
    other_dev = make_user(container, make_org(container, OrgKind.DEVELOPER), role=Role.ADMIN)
    always = {"developer": setup.developer, "program office": setup.program_office, "finder": setup.reviewer}
    always["finder's colleague"] = setup.agency_admin
    others = {"other participant": setup.partner_reviewer, "other participant's admin": setup.partner_admin}
    never = {"non-participant agency": stranger, "another developer": other_dev}
    matrix = {
        Tlp.CLEAR: True,
        Tlp.GREEN: True,
        Tlp.AMBER: False,
        Tlp.AMBER_STRICT: False,
        Tlp.RED: False,
    }
    named = [setup.developer.user.id, setup.program_office.user.id]
    for tlp, shared in matrix.items():
        finding = file(container, setup, tlp=tlp.value, recipients=named if tlp is Tlp.RED else None)
        assert finding.tlp is tlp
        for who, person in always.items():
            # TLP:RED: the named people and the filer only, nobody else in their organizations.
            expected = tlp is not Tlp.RED or who != "finder's colleague"
            assert sees(container, person, setup, finding.id) is expected, (tlp, who)
        for who, person in others.items():
            assert sees(container, person, setup, finding.id) is shared, (tlp, who)
        for who, person in never.items():
            assert not sees(container, person, setup, finding.id), (tlp, who)
    with container.uow() as uow:
        summaries = findings.list_findings(uow, setup.partner_reviewer.principal, setup.engagement.id)
        everything = findings.list_findings(uow, setup.developer.principal, setup.engagement.id)
    assert {s.tlp for s in summaries} == {Tlp.CLEAR, Tlp.GREEN}
    assert len(everything) == 5
    assert findings_domain.count_by_severity(everything) == {
        Severity.CRITICAL: 0,
        Severity.HIGH: 5,
        Severity.MEDIUM: 0,
        Severity.LOW: 0,
    }
    # A hidden finding is "not found", and the attempt is audited.
    with container.uow() as uow:
        denied = uow.session.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "engagements:finding:read", AuditEntry.outcome == "denied")
        )
    assert denied
    with container.uow() as uow, pytest.raises(NotFound):
        findings.get_finding(uow, setup.reviewer.principal, uuid.uuid4())


def test_only_the_developer_sets_the_status(container: Container) -> None:
    setup = make_engagement(container)
    finding = file(container, setup, tlp="TLP:GREEN")
    assert finding.status is FindingStatus.OPEN
    for person in (setup.reviewer, setup.agency_admin, setup.program_office):
        with container.uow() as uow, pytest.raises(PermissionDenied):
            findings.comment(uow, person.principal, finding.id, body="closing this", status="mitigated")
    # Another participant may read a GREEN finding but not join its thread.
    with container.uow() as uow, pytest.raises(PermissionDenied):
        findings.comment(uow, setup.partner_reviewer.principal, finding.id, body="we see it too")
    with container.uow() as uow:
        assert findings.get_finding(uow, setup.partner_reviewer.principal, finding.id).may_comment is False
        mine = findings.get_finding(uow, setup.developer.principal, finding.id)
    assert (mine.may_comment, mine.may_set_status, mine.may_attach_evidence) == (True, True, False)
    with container.uow() as uow:
        answered = findings.comment(uow, setup.developer.principal, finding.id, body="", status=FindingStatus.MITIGATED)
    assert answered.status is FindingStatus.MITIGATED
    assert [(c.body, c.status_to) for c in answered.thread] == [("", FindingStatus.MITIGATED)]
    with container.uow() as uow, pytest.raises(ValidationFailed) as same:
        findings.comment(uow, setup.developer.principal, finding.id, body="  ", status="mitigated")
    assert same.value.problems[0].field == "body"
    with container.uow() as uow:
        reopened = findings.comment(uow, setup.developer.principal, finding.id, body="regressed in rc2", status="open")
    assert reopened.status is FindingStatus.OPEN
    with container.uow() as uow:
        changes = list(
            uow.session.scalars(
                sa.select(AuditEntry).where(AuditEntry.action == "engagements:finding:status_set").order_by(AuditEntry.seq)
            )
        )
    assert [(e.details["from"], e.details["to"]) for e in changes] == [("open", "mitigated"), ("mitigated", "open")]


def test_thread_order_notices_and_sealing(container: Container, clock: FrozenClock) -> None:
    setup = make_engagement(container)
    finding = file(container, setup, severity="critical")
    assert "finding_filed" in kinds_for(container, setup.developer)
    assert "finding_filed" in kinds_for(container, setup.program_office)
    low = file(container, setup, severity="low", title="Minor verbosity")
    with container.uow() as uow:
        po_notices = uow.session.scalar(
            sa.select(sa.func.count()).where(
                Notification.user_id == setup.program_office.user.id, Notification.kind == "finding_filed"
            )
        )
    assert po_notices == 1, "the program office hears of high and critical findings only"
    # Three comments at the same clock reading still read in the order they were written.
    steps = [
        (setup.developer, "Thanks, reproducing now.", "acknowledged"),
        (setup.reviewer, "Here is a second variant.", None),
        (setup.program_office, "Please keep us posted.", None),
        (setup.developer, "Fixed in rc2.", "mitigated"),
    ]
    for person, body, status in steps:
        with container.uow() as uow:
            view = findings.comment(uow, person.principal, finding.id, body=body, status=status)
    assert [(c.author, c.body) for c in view.thread] == [(p.email, b) for p, b, _ in steps]
    assert [c.status_to for c in view.thread] == [FindingStatus.ACKNOWLEDGED, None, None, FindingStatus.MITIGATED]
    assert view.thread[1].author_org_id == setup.agency.id
    assert view.comments == 4
    assert kinds_for(container, setup.reviewer).count("finding_answered") == 2
    assert kinds_for(container, setup.agency_admin).count("finding_answered") == 2
    assert kinds_for(container, setup.agency_admin).count("finding_comment") == 1  # from the program office
    assert kinds_for(container, setup.developer).count("finding_comment") == 2  # finder and program office
    assert "finding_answered" not in kinds_for(container, setup.partner_reviewer)
    with container.uow() as uow:
        titles = list(uow.session.scalars(sa.select(Notification.title)))
        sealed = [
            uow.session.scalar(sa.select(Finding.description_sealed).where(Finding.id == finding.id)),
            *uow.session.scalars(sa.select(FindingComment.body_sealed)),
        ]
    assert not [t for t in titles if finding.title in t or low.title in t or SECRET in t]
    assert all(isinstance(s, bytes) and SECRET.encode() not in s and b"rc2" not in s for s in sealed)
    clock.advance(timedelta(minutes=5))
    with container.uow() as uow:
        later = findings.comment(uow, setup.reviewer.principal, finding.id, body="Confirmed fixed.")
    assert later.thread[-1].body == "Confirmed fixed."
    assert later.updated_at == clock.now()


def test_evidence_is_sealed_and_downloads_are_audited(container: Container) -> None:
    setup = make_engagement(container)
    finding = file(container, setup, tlp="TLP:AMBER")
    data = (SECRET.encode() + b"\n") * (MiB // 40)
    with container.uow() as uow:
        evidence = findings.attach_evidence(
            uow,
            setup.agency_admin.principal,
            finding.id,
            filename="C:\\Users\\me\\transcript.jsonl",
            content_type="application/jsonl",
            stream=io.BytesIO(data),
        )
    assert (evidence.filename, evidence.size, evidence.chunks) == ("transcript.jsonl", len(data), 2)
    with container.uow() as uow:
        stored = list(uow.session.scalars(sa.select(SealedChunk.data).where(SealedChunk.owner_id == evidence.id)))
    assert len(stored) == 2
    assert all(SECRET.encode() not in s for s in stored)
    for reader in (setup.developer, setup.program_office, setup.reviewer):
        with container.uow() as uow:
            got = findings.download_evidence(uow, reader.principal, finding.id, evidence.id)
        assert b"".join(got.chunks) == data
        assert got.evidence == evidence
    with container.uow() as uow, pytest.raises(NotFound):  # AMBER: another participant does not see it
        findings.download_evidence(uow, setup.partner_reviewer.principal, finding.id, evidence.id)
    other = file(container, setup, tlp="TLP:CLEAR")
    with container.uow() as uow, pytest.raises(NotFound):
        findings.download_evidence(uow, setup.developer.principal, other.id, evidence.id)
    for not_the_finder in (setup.developer, setup.program_office, setup.partner_reviewer):
        with container.uow() as uow, pytest.raises(PermissionDenied):
            findings.attach_evidence(
                uow, not_the_finder.principal, other.id, filename="x.txt", content_type="text/plain", stream=[b"x"]
            )
    # The refusal propagates through the unit of work, as in every adapter: nothing is kept.
    with pytest.raises(ValidationFailed) as too_big, container.uow() as uow:
        findings.attach_evidence(
            uow, setup.reviewer.principal, finding.id, filename="big.bin", content_type=None, stream=[b"x" * (LIMIT + 1)]
        )
    assert too_big.value.problems[0].field == "file"
    with container.uow() as uow:
        view = findings.get_finding(uow, setup.developer.principal, finding.id)
        downloads = uow.session.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "engagements:finding:evidence_downloaded")
        )
        chunks = uow.session.scalar(sa.select(sa.func.count()).select_from(SealedChunk))
    assert view.evidence_files == (evidence,)
    assert view.evidence == 1
    assert downloads == 3
    assert chunks == 2


def test_bad_input_names_the_field(container: Container) -> None:
    setup = make_engagement(container)
    good = {
        "title": "Jailbreak via role play",
        "category": "safeguard_bypass",
        "severity": "medium",
        "description": "details",
        "tlp": "TLP:AMBER+STRICT",
    }
    for field, value in (
        ("title", ""),
        ("title", "  x "),
        ("title", "t" * 201),
        ("category", "espionage"),
        ("severity", "urgent"),
        ("tlp", "TLP:WHITE"),  # TLP 1.0; TLP 2.0 calls it CLEAR
        ("tlp", "PURPLE"),
        ("description", "   "),
        ("description", "d" * 50_001),
    ):
        with container.uow() as uow, pytest.raises(ValidationFailed) as exc:
            findings.file_finding(uow, setup.reviewer.principal, setup.engagement.id, **{**good, field: value})
        assert [p.field for p in exc.value.problems] == [field], (field, value)
    with container.uow() as uow, pytest.raises(ValidationFailed) as several:
        findings.file_finding(
            uow, setup.reviewer.principal, setup.engagement.id, **{**good, "category": "x", "severity": "y", "tlp": "z"}
        )
    assert [p.field for p in several.value.problems] == ["category", "severity", "tlp"]
    with container.uow() as uow:
        lenient = findings.file_finding(
            uow, setup.reviewer.principal, setup.engagement.id, **{**good, "tlp": "amber+strict", "category": "Safeguard_Bypass"}
        )
    assert (lenient.tlp, lenient.category, lenient.category_label) == (
        Tlp.AMBER_STRICT,
        Category.SAFEGUARD_BYPASS,
        "Safeguard bypass",
    )
    assert lenient.description == "details"
    with container.uow() as uow, pytest.raises(ValidationFailed) as status:
        findings.comment(uow, setup.developer.principal, lenient.id, body="ok", status="closed")
    assert status.value.problems[0].field == "status"
    with container.uow() as uow, pytest.raises(ValidationFailed) as long_body:
        findings.comment(uow, setup.developer.principal, lenient.id, body="b" * 20_001)
    assert long_body.value.problems[0].field == "body"
    with container.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Finding)) == 1


def test_who_may_file_and_until_when(container: Container, clock: FrozenClock) -> None:
    setup = make_engagement(container, days=10)
    for outsider in (setup.developer, setup.program_office):
        with pytest.raises(PermissionDenied):
            file(container, setup, person=outsider)
    draft = make_engagement(container, offer=False)
    with pytest.raises(NotFound):  # a draft is the developer's alone: for the reviewer it does not exist
        file(container, draft)
    with container.uow() as uow:
        service.revoke_user(uow, setup.developer.principal, setup.engagement.id, setup.reviewer.user.id)
    with pytest.raises(NotFound):  # revoked: the engagement is gone for this person, like any other
        file(container, setup)
    partner_finding = file(
        container,
        setup,
        person=setup.partner_reviewer,
        tlp="TLP:RED",
        recipients=[setup.developer.user.id, setup.partner_admin.user.id],
    )
    assert partner_finding.finder_org_id == setup.partner.id
    clock.advance(timedelta(days=10))
    with pytest.raises(PermissionDenied, match="closed"):
        file(container, setup, person=setup.agency_admin)
    with container.uow() as uow, pytest.raises(PermissionDenied, match="closed"):
        findings.attach_evidence(
            uow, setup.partner_reviewer.principal, partner_finding.id, filename="late.txt", content_type=None, stream=[b"x"]
        )
    # The thread outlives the window: the developer still answers and the finder replies.
    with container.uow() as uow:
        findings.comment(uow, setup.developer.principal, partner_finding.id, body="Mitigated before launch.", status="mitigated")
    with container.uow() as uow:
        view = findings.comment(uow, setup.partner_admin.principal, partner_finding.id, body="Thanks.")
    assert [c.body for c in view.thread] == ["Mitigated before launch.", "Thanks."]
    released = make_engagement(container)
    with container.uow() as uow:
        registry_service.set_status(
            uow, released.developer.principal, released.engagement.version_id, status=VersionStatus.RELEASED
        )
    with pytest.raises(PermissionDenied, match="released"):
        file(container, released)


def test_filing_and_reading_others_findings_need_the_current_terms(container: Container) -> None:
    """The confidentiality the terms promise covers findings: a participant that has not accepted
    them files nothing and reads no other participant's finding."""
    setup = make_engagement(container, accept=False)
    with container.uow() as uow:
        service.accept_terms(uow, setup.partner_admin.principal, setup.engagement.id, terms_number=1)
    green = file(container, setup, tlp="TLP:GREEN", person=setup.partner_reviewer)
    with pytest.raises(PermissionDenied, match="not accepted"):
        file(container, setup)
    assert not sees(container, setup.reviewer, setup, green.id)
    with container.uow() as uow:
        service.accept_terms(uow, setup.agency_admin.principal, setup.engagement.id, terms_number=1)
    assert sees(container, setup.reviewer, setup, green.id)
    assert file(container, setup).title


def test_a_revoked_finder_no_longer_reads_its_finding(container: Container) -> None:
    setup = make_engagement(container)
    mine = file(container, setup)
    assert sees(container, setup.reviewer, setup, mine.id)
    agency = next(p for p in setup.engagement.participants if p.organization_id == setup.agency.id)
    with container.uow() as uow:
        service.revoke_participant(uow, setup.developer.principal, setup.engagement.id, agency.id)
    assert not sees(container, setup.reviewer, setup, mine.id)
    assert sees(container, setup.developer, setup, mine.id)
