"""AI-enabled intrusion reports through the service, on SQLite and PostgreSQL: the SQL audience
filter against the pure rule, reporting and its refusals, triage, relabelling, referral to law
enforcement (refused under TLP:RED without names), acknowledgement, notices and the audit log."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.clearinghouse.incidents import browse, service
from frontier_review.clearinghouse.incidents.domain import IncidentStatus, incident_link
from frontier_review.clearinghouse.incidents.orm import Incident, IncidentReferral
from frontier_review.clearinghouse.incidents.policy import reads_incident
from frontier_review.clearinghouse.incidents.views import incident_ref
from frontier_review.identity import directory
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind
from frontier_review.kernel.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from frontier_review.notifications.orm import Notification
from tests.factories.identity import SYSTEM, make_org, make_superuser
from tests.factories.incidents import World, deactivate, make_world, report, triage_and_refer

LABELS = ("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED")
# Who reads an incident of each label (reported by the bank naming Grid Co, or under RED naming the
# analyst and one Grid Co person; referred to the FBI, naming the agent under RED). Written by hand.
EVERYONE = {"reporter", "colleague", "analyst", "recipient", "named", "agent", "fbi_colleague", "other_agent", "outsider"}
NEED_TO_KNOW = {"reporter", "colleague", "analyst", "recipient", "named", "agent", "fbi_colleague"}
EXPECTED = {
    "TLP:CLEAR": EVERYONE,
    "TLP:GREEN": EVERYONE,
    "TLP:AMBER": NEED_TO_KNOW,
    "TLP:AMBER+STRICT": NEED_TO_KNOW,
    "TLP:RED": {"reporter", "analyst", "named", "agent"},
}


def _incidents(container: Container, world: World) -> dict[str, uuid.UUID]:
    out = {}
    for label in LABELS:
        red = label == "TLP:RED"
        view = report(
            container,
            world.reporter,
            tlp=label,
            orgs=[] if red else [world.recipient_org.id],
            people=[world.analyst.user.id, world.named.user.id] if red else [],
            title=f"Intrusion {label}",
        )
        triage_and_refer(container, world, view.id, people=[world.agent.user.id] if red else [])
        out[label] = view.id
    return out


@pytest.fixture
def world(container: Container) -> World:
    w = make_world(container)
    deactivate(container, w.deactivated)
    return w


def test_the_sql_filter_is_the_pure_audience_for_every_label_and_reader(container: Container, world: World) -> None:
    ids = _incidents(container, world)
    operator = make_superuser(container)
    readers = {**world.readers(), "operator": operator}
    with container.uow() as uow:
        rows = list(uow.session.scalars(sa.select(Incident)))
        refs = {r.id: incident_ref(uow, r) for r in rows}
        for name, person in readers.items():
            active = name != "deactivated"
            org = directory.find_organization(uow, person.user.organization_id) if person.user.organization_id else None
            pure = {
                i
                for i, ref in refs.items()
                if reads_incident(person.user.id, org.id if org else None, org.kind if org else None, ref, active=active).allowed
            }
            sql = set(uow.session.scalars(sa.select(Incident.id).where(browse.audience_clause(person.principal, active=active))))
            assert sql == pure, name
            expected = {ids[label] for label in LABELS if name in EXPECTED[label]}
            assert pure == expected, name
        # The platform itself (the CLI) reads every incident; it is not a reader of the web.
        assert browse.readable_ids(uow, SYSTEM) == set(ids.values())


def test_a_report_is_stored_with_normalised_indicators_and_audited(container: Container, world: World) -> None:
    view = report(container, world.reporter)
    assert [(o.kind.value, o.value) for o in view.indicators] == [
        ("ipv4-addr", "203.0.113.7"),
        ("domain-name", "exfil.example.net"),
        ("file:SHA-256", "ab" * 32),
    ]
    assert view.status is IncidentStatus.RECEIVED
    with container.uow() as uow:
        service.get_incident(uow, world.analyst.principal, view.id)
        actions = list(
            uow.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target_id == str(view.id)).order_by(AuditEntry.seq))
        )
        sealed = uow.session.scalar(sa.select(Incident.narrative_sealed).where(Incident.id == view.id))
    assert actions == ["clearinghouse:incident:reported", "clearinghouse:incident:viewed"]
    assert sealed is not None and b"exfiltrated" not in sealed


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"indicators": [("ipv4-addr", "203.0.113.7"), ("ipv4-addr", "2001:db8::1")]}, "indicators[1]"),
        ({"indicators": [("file:MD5", "xyz")]}, "indicators[0]"),
        ({"indicators": [("mutex", "abc")]}, "indicators[0]"),
        ({"tlp": "TLP:PURPLE"}, "tlp"),
        ({"tlp": "TLP:RED"}, "recipient_people"),
        ({"detected_at": "before"}, "detected_at"),
        ({"model_text": ""}, "model_text"),
        ({"recipient_orgs": [uuid.UUID(int=7)]}, "recipient_orgs"),
    ],
    ids=[
        "ipv6-as-ipv4",
        "short-md5",
        "unknown-type",
        "unknown-label",
        "red-without-people",
        "detected-first",
        "no-model",
        "no-org",
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    container: Container, world: World, change: dict[str, object], field: str
) -> None:
    with container.uow() as uow:
        now = uow.clock.now()
    args: dict[str, object] = {
        "title": "Agentic intrusion",
        "systems": "Gateway",
        "sectors": [],
        "started_at": now - timedelta(days=1),
        "detected_at": now,
        "detection": "log_review",
        "model_text": "unknown agent",
        "narrative": "It happened.",
        "indicators": [],
        "tlp": "TLP:AMBER",
    }
    args.update(change)
    if args["detected_at"] == "before":
        args["detected_at"] = now - timedelta(days=2)
    with pytest.raises(ValidationFailed) as refused, container.uow() as uow:
        service.report_incident(uow, world.reporter.principal, **args)  # type: ignore[arg-type]
    assert field in [p.field for p in refused.value.problems]
    with container.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 0


def test_a_referral_under_red_without_named_people_is_refused_and_nothing_changes(container: Container, world: World) -> None:
    view = report(container, world.reporter, tlp="TLP:RED", people=[world.analyst.user.id])
    with container.uow() as uow:
        service.triage(uow, world.analyst.principal, view.id, status="under_review")
    with pytest.raises(ValidationFailed) as refused, container.uow() as uow:
        service.refer(uow, world.analyst.principal, view.id, organization_id=world.fbi.id)
    assert refused.value.problems[0].field == "people"
    # People from another organization are refused too: only the people there receive it.
    with pytest.raises(ValidationFailed), container.uow() as uow:
        service.refer(uow, world.analyst.principal, view.id, organization_id=world.fbi.id, people=[world.outsider.user.id])
    with container.uow() as uow:
        assert uow.session.scalar(sa.select(sa.func.count()).select_from(IncidentReferral)) == 0
        assert service.get_incident(uow, world.analyst.principal, view.id).status is IncidentStatus.UNDER_REVIEW
        with pytest.raises(NotFound):
            service.get_incident(uow, world.agent.principal, view.id)


def test_referral_acknowledgement_and_notices_follow_the_label(container: Container, world: World) -> None:
    view = report(container, world.reporter, tlp="TLP:AMBER", orgs=[world.recipient_org.id])
    with pytest.raises(InvalidTransition), container.uow() as uow:
        service.refer(uow, world.analyst.principal, view.id, organization_id=world.fbi.id)  # not triaged yet
    with pytest.raises(PermissionDenied), container.uow() as uow:
        service.triage(uow, world.reporter.principal, view.id, status="under_review")
    with pytest.raises(NotFound), container.uow() as uow:
        service.acknowledge(uow, world.agent.principal, view.id)  # not referred: outside the audience
    referred = triage_and_refer(container, world, view.id)
    assert referred.status is IncidentStatus.REFERRED
    assert referred.tlp.value == "TLP:AMBER"  # a referral never changes the label
    with pytest.raises(PermissionDenied), container.uow() as uow:
        service.refer(uow, world.analyst.principal, view.id, organization_id=world.bank2.id)  # not law enforcement
    with pytest.raises(PermissionDenied), container.uow() as uow:
        service.acknowledge(uow, world.analyst.principal, view.id)
    with container.uow() as uow:
        done = service.acknowledge(uow, world.agent.principal, view.id)
    assert done.referrals[0].acknowledged_by == world.agent.email
    with pytest.raises(PermissionDenied), container.uow() as uow:
        service.acknowledge(uow, world.fbi_colleague.principal, view.id)  # once per organization
    audience = {p.user.id for n, p in world.readers().items() if n in NEED_TO_KNOW}
    with container.uow() as uow:
        noticed = set(uow.session.scalars(sa.select(Notification.user_id).where(Notification.link == incident_link(view.id))))
        actions = list(
            uow.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target_id == str(view.id)).order_by(AuditEntry.seq))
        )
    assert noticed, "the audience is told"
    assert noticed <= audience
    assert world.deactivated.user.id not in noticed and world.outsider.user.id not in noticed
    assert {"clearinghouse:incident:referred", "clearinghouse:incident:acknowledged"} <= set(actions)


def test_only_the_reporter_relaxes_and_the_clearinghouse_tightens(container: Container, world: World) -> None:
    view = report(container, world.reporter, tlp="TLP:AMBER")
    with pytest.raises(PermissionDenied), container.uow() as uow:
        service.relabel(uow, world.analyst.principal, view.id, tlp="TLP:GREEN")
    with pytest.raises(ValidationFailed), container.uow() as uow:
        service.relabel(uow, world.analyst.principal, view.id, tlp="TLP:RED")  # RED names people
    with pytest.raises(ValidationFailed), container.uow() as uow:
        # The clearinghouse names people only of the organizations that already need to know.
        service.relabel(uow, world.analyst.principal, view.id, tlp="TLP:RED", recipient_people=[world.outsider.user.id])
    with container.uow() as uow:
        tightened = service.relabel(
            uow, world.analyst.principal, view.id, tlp="TLP:RED", recipient_people=[world.analyst.user.id]
        )
    assert tightened.tlp.value == "TLP:RED"
    with pytest.raises(NotFound), container.uow() as uow:
        service.get_incident(uow, world.colleague.principal, view.id)
    with container.uow() as uow:
        relaxed = service.relabel(uow, world.reporter.principal, view.id, tlp="TLP:GREEN")
    assert relaxed.tlp.value == "TLP:GREEN"
    with container.uow() as uow:
        service.get_incident(uow, world.outsider.principal, view.id)


def test_only_agencies_carry_the_law_enforcement_flag(container: Container) -> None:
    with pytest.raises(ValidationFailed) as refused, container.uow() as uow:
        identity.create_organization(uow, SYSTEM, name="Bank police", kind=OrgKind.DEVELOPER, law_enforcement=True)
    assert refused.value.problems[0].field == "law_enforcement"
    agency = make_org(container, OrgKind.AGENCY, name="Secret Service")
    with container.uow() as uow:
        assert identity.set_law_enforcement(uow, SYSTEM, agency.id, law_enforcement=True).law_enforcement
        assert directory.get_organization(uow, agency.id).law_enforcement
    developer = make_org(container, OrgKind.DEVELOPER)
    with pytest.raises(ValidationFailed), container.uow() as uow:
        identity.set_law_enforcement(uow, SYSTEM, developer.id, law_enforcement=True)
