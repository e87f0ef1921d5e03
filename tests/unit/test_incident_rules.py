"""AI-enabled intrusion reports (pure): observables per type, the report's checks, the workflow,
and the audience and action rules as one hand-written table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from frontier_review.clearinghouse.incidents.domain import IncidentStatus, check_report, next_status
from frontier_review.clearinghouse.incidents.observables import Kind, normalise
from frontier_review.clearinghouse.incidents.policy import RULES, IncidentRef, Referral, Relabel, reads_incident
from frontier_review.kernel.errors import InvalidTransition, ValidationFailed
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, OrgKind, Principal, Role

NOW = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "value", "normalised"),
    [
        ("ipv4-addr", " 203.0.113.7 ", "203.0.113.7"),
        ("ipv4-addr", "198.51.100.9/24", "198.51.100.0/24"),
        ("ipv6-addr", "2001:DB8:0:0::1", "2001:db8::1"),
        ("ipv6-addr", "2001:db8::/32", "2001:db8::/32"),
        ("domain-name", "Exfil.Example.NET.", "exfil.example.net"),
        ("domain-name", "bücher.example", "bücher.example"),
        ("url", "https://c2.example.com/beacon?id=1", "https://c2.example.com/beacon?id=1"),
        ("email-addr", "Ops@Example.org", "ops@example.org"),
        ("file:MD5", "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"),
        ("file:SHA-1", "a" * 40, "a" * 40),
        ("file:SHA-256", "B" * 64, "b" * 64),
    ],
    ids=lambda v: str(v)[:24],
)
def test_good_observables_are_normalised(kind: str, value: str, normalised: str) -> None:
    assert normalise(kind, value).value == normalised


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("ipv4-addr", "2001:db8::1"),
        ("ipv4-addr", "256.1.1.1"),
        ("ipv6-addr", "10.0.0.1"),
        ("ipv6-addr", "10.0.0.0/8"),
        ("domain-name", "localhost"),
        ("domain-name", "-bad-.example.com"),
        ("domain-name", "exa mple.com"),
        ("url", "javascript:alert(1)"),
        ("url", "https://"),
        ("url", "https://example.com/a b"),
        ("email-addr", "not-an-address"),
        ("file:MD5", "a" * 31),
        ("file:SHA-1", "g" * 40),
        ("file:SHA-256", "a" * 40),
        ("mutex", "Global\\x"),
        ("ipv4-addr", ""),
        ("domain-name", "x\x00.example.com"),
    ],
    ids=lambda v: repr(v)[:24],
)
def test_bad_observables_are_refused(kind: str, value: str) -> None:
    with pytest.raises(ValueError, match=r".+"):
        normalise(kind, value)


def test_kinds_carry_their_stix_names() -> None:
    assert Kind.SHA256.stix_type == "file" and Kind.SHA256.hash_algorithm == "SHA-256"
    assert Kind.IPV4.stix_type == "ipv4-addr" and Kind.IPV4.hash_algorithm is None


def _report(**change: object) -> None:
    args: dict[str, object] = {
        "title": "Agentic intrusion",
        "systems": "Gateway",
        "sectors": ["energy"],
        "started_at": NOW - timedelta(hours=3),
        "detected_at": NOW - timedelta(hours=1),
        "detection": "log_review",
        "detection_details": "",
        "model_version_id": None,
        "model_text": "an agent",
        "narrative": "It happened.",
        "indicators": [],
        "tlp": "amber",
        "now": NOW,
    }
    args.update(change)
    check_report(**args)  # type: ignore[arg-type]


def test_a_report_names_every_bad_field_at_once() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _report(
            title="x",
            detected_at=NOW - timedelta(hours=4),
            detection="telepathy",
            model_text="",
            indicators=[("url", "ok"), ("", ""), ("ipv4-addr", "1.2.3.4"), ("file:MD5", "zz")],
            sectors=["banking"],
            tlp="TLP:PINK",
        )
    fields = [p.field for p in refused.value.problems]
    assert fields == ["title", "sectors", "detected_at", "detection", "model_text", "indicators[0]", "indicators[3]", "tlp"]


def test_times_are_not_in_the_future() -> None:
    with pytest.raises(ValidationFailed) as refused:
        _report(started_at=NOW + timedelta(minutes=1), detected_at=NOW + timedelta(minutes=2))
    assert [p.field for p in refused.value.problems] == ["started_at", "detected_at"]


def test_the_workflow() -> None:
    assert next_status(IncidentStatus.RECEIVED, IncidentStatus.UNDER_REVIEW) is IncidentStatus.UNDER_REVIEW
    assert next_status(IncidentStatus.REFERRED, IncidentStatus.REFERRED) is IncidentStatus.REFERRED
    for current, to in (
        (IncidentStatus.RECEIVED, IncidentStatus.REFERRED),
        (IncidentStatus.CLOSED, IncidentStatus.UNDER_REVIEW),
        (IncidentStatus.UNDER_REVIEW, IncidentStatus.RECEIVED),
    ):
        with pytest.raises(InvalidTransition):
            next_status(current, to)


# --- the rules, as a table ---------------------------------------------------------------------

BANK, CH, GRID, FBI, OTHER_LE, BANK2 = (uuid.UUID(int=n) for n in (0xB1, 0xC0, 0xE1, 0xF1, 0xF2, 0xB2))
KINDS = {
    BANK: OrgKind.PARTNER,
    CH: OrgKind.CLEARINGHOUSE,
    GRID: OrgKind.PARTNER,
    FBI: OrgKind.AGENCY,
    OTHER_LE: OrgKind.AGENCY,
    BANK2: OrgKind.PARTNER,
}
# name -> (user id, organization)
PEOPLE = {
    "rep": (uuid.UUID(int=0x11), BANK),
    "col": (uuid.UUID(int=0x12), BANK),
    "ch": (uuid.UUID(int=0x21), CH),
    "grid": (uuid.UUID(int=0x31), GRID),
    "named": (uuid.UUID(int=0x32), GRID),
    "agent": (uuid.UUID(int=0x41), FBI),
    "fbi2": (uuid.UUID(int=0x42), FBI),
    "le2": (uuid.UUID(int=0x51), OTHER_LE),
    "out": (uuid.UUID(int=0x61), BANK2),
}
COLUMNS = tuple(PEOPLE)


def _principal(name: str) -> Principal:
    user, org = PEOPLE[name]
    return Principal(user, org, KINDS[org], Role.MEMBER, cleared=False, is_superuser=False, label=name, method=AuthMethod.SESSION)


def _ref(tlp: str, *, referred: bool = True, acked: bool = False, closed: bool = False) -> IncidentRef:
    red = tlp == "TLP:RED"
    return IncidentRef(
        id=uuid.UUID(int=0x1D),
        reporter_org_id=BANK,
        reporter_user_id=PEOPLE["rep"][0],
        tlp=tlp,
        recipient_orgs=frozenset({GRID}),
        named=frozenset({PEOPLE["ch"][0], PEOPLE["named"][0], *([PEOPLE["agent"][0]] if referred else [])})
        if red
        else frozenset(),
        referred_to=frozenset({FBI}) if referred else frozenset(),
        acknowledged_by=frozenset({FBI}) if acked else frozenset(),
        closed=closed,
    )


RESOURCES: dict[str, object] = {
    "clear": _ref("TLP:CLEAR"),
    "green": _ref("TLP:GREEN"),
    "amber": _ref("TLP:AMBER"),
    "strict": _ref("TLP:AMBER+STRICT"),
    "red": _ref("TLP:RED"),
    "amber_unreferred": _ref("TLP:AMBER", referred=False),
    "amber_acked": _ref("TLP:AMBER", acked=True),
    "amber_closed": _ref("TLP:AMBER", closed=True),
    "refer_fbi": Referral(_ref("TLP:AMBER", referred=False), FBI, law_enforcement=True),
    "refer_bank2": Referral(_ref("TLP:AMBER", referred=False), BANK2, law_enforcement=False),
    "refer_closed": Referral(_ref("TLP:AMBER", closed=True), FBI, law_enforcement=True),
    "relabel_amber>red": Relabel(_ref("TLP:AMBER"), "TLP:RED"),
    "relabel_amber>green": Relabel(_ref("TLP:AMBER"), "TLP:GREEN"),
    "relabel_red>amber": Relabel(_ref("TLP:RED"), "TLP:AMBER"),
    "none": None,
}

P = Permission
# fmt: off
#           rep  col  ch   grid named agent fbi2 le2  out
GRID_ROWS = [
    ("Y    Y    Y    Y    Y    Y    Y    Y    Y", P.INCIDENT_READ, "clear"),
    ("Y    Y    Y    Y    Y    Y    Y    Y    Y", P.INCIDENT_READ, "green"),
    ("Y    Y    Y    Y    Y    Y    Y    .    .", P.INCIDENT_READ, "amber"),
    ("Y    Y    Y    Y    Y    Y    Y    .    .", P.INCIDENT_READ, "strict"),
    ("Y    .    Y    .    Y    Y    .    .    .", P.INCIDENT_READ, "red"),
    ("Y    Y    Y    Y    Y    .    .    .    .", P.INCIDENT_READ, "amber_unreferred"),
    ("Y    Y    Y    Y    Y    Y    Y    Y    Y", P.INCIDENT_REPORT, "none"),
    (".    .    Y    .    .    .    .    .    .", P.INCIDENT_TRIAGE, "amber"),
    (".    .    Y    .    .    .    .    .    .", P.INCIDENT_TRIAGE, "red"),
    (".    .    .    .    .    .    .    .    .", P.INCIDENT_TRIAGE, "amber_closed"),
    (".    .    Y    .    .    .    .    .    .", P.INCIDENT_REFER, "refer_fbi"),
    (".    .    .    .    .    .    .    .    .", P.INCIDENT_REFER, "refer_bank2"),
    (".    .    .    .    .    .    .    .    .", P.INCIDENT_REFER, "refer_closed"),
    (".    .    .    .    .    Y    Y    .    .", P.INCIDENT_ACKNOWLEDGE, "amber"),
    (".    .    .    .    .    Y    .    .    .", P.INCIDENT_ACKNOWLEDGE, "red"),
    (".    .    .    .    .    .    .    .    .", P.INCIDENT_ACKNOWLEDGE, "amber_acked"),
    (".    .    .    .    .    .    .    .    .", P.INCIDENT_ACKNOWLEDGE, "amber_unreferred"),
    ("Y    Y    Y    .    .    .    .    .    .", P.INCIDENT_RELABEL, "relabel_amber>red"),
    ("Y    Y    .    .    .    .    .    .    .", P.INCIDENT_RELABEL, "relabel_amber>green"),
    ("Y    .    .    .    .    .    .    .    .", P.INCIDENT_RELABEL, "relabel_red>amber"),
]
# fmt: on
MATRIX = [
    (who, permission, resource, cell == "Y")
    for row, permission, resource in GRID_ROWS
    for who, cell in zip(COLUMNS, row.split(), strict=True)
]


@pytest.mark.parametrize(
    ("who", "permission", "resource", "expected"), MATRIX, ids=[f"{w}|{p.value}|{r}" for w, p, r, _ in MATRIX]
)
def test_incident_rules(who: str, permission: Permission, resource: str, expected: bool) -> None:
    decision = RULES[permission](_principal(who), RESOURCES[resource], NOW)
    assert decision.allowed is expected, decision


def test_deactivated_people_and_people_without_organization_are_in_no_audience() -> None:
    user, org = PEOPLE["rep"]
    for label in ("clear", "amber", "red"):
        ref = RESOURCES[label]
        assert isinstance(ref, IncidentRef)
        assert not reads_incident(user, org, OrgKind.PARTNER, ref, active=False).allowed
        assert not reads_incident(user, None, None, ref).allowed
    operator = Principal.system("tests")
    assert RULES[P.INCIDENT_READ](operator, RESOURCES["red"], NOW).allowed
    assert not RULES[P.INCIDENT_REPORT](operator, None, NOW).allowed
