"""Who reads and acts on a vulnerability report: the pure matrix (clearinghouse/reports/policy.py)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from frontier_review.clearinghouse.reports.domain import Tlp
from frontier_review.clearinghouse.reports.policy import RULES, Relabel, ReportRef, reads_report
from frontier_review.kernel import authz
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, OrgKind, Principal, Role

NOW = datetime(2026, 6, 2, tzinfo=UTC)
SOURCE, RECIPIENT, OTHER, CH, VALIDATOR, PO = (uuid.uuid4() for _ in range(6))
SUBMITTER, NAMED_CH, NAMED_RECIPIENT, COLLEAGUE = (uuid.uuid4() for _ in range(4))


def _p(
    user: uuid.UUID | None, org: uuid.UUID | None, kind: OrgKind | None, *, role: Role = Role.MEMBER, su: bool = False
) -> Principal:
    return Principal(user, org, kind, role if org else None, False, su, "t", AuthMethod.SESSION)


SHAPES: dict[str, Principal | None] = {
    "anonymous": None,
    "submitter": _p(SUBMITTER, SOURCE, OrgKind.PARTNER),
    "source colleague": _p(uuid.uuid4(), SOURCE, OrgKind.PARTNER),
    "recipient org member": _p(uuid.uuid4(), RECIPIENT, OrgKind.PARTNER),
    "named recipient": _p(NAMED_RECIPIENT, RECIPIENT, OrgKind.PARTNER),
    "other member org": _p(uuid.uuid4(), OTHER, OrgKind.PARTNER),
    "clearinghouse": _p(uuid.uuid4(), CH, OrgKind.CLEARINGHOUSE),
    "named clearinghouse": _p(NAMED_CH, CH, OrgKind.CLEARINGHOUSE),
    "validator": _p(uuid.uuid4(), VALIDATOR, OrgKind.AGENCY),
    "program office": _p(uuid.uuid4(), PO, OrgKind.PROGRAM_OFFICE),
    "platform operator": _p(uuid.uuid4(), None, None, su=True),
}


def _ref(label: Tlp, *, validated: bool) -> ReportRef:
    return ReportRef(
        id=uuid.uuid4(),
        source_org_id=SOURCE,
        tlp=label.value,
        validated=validated,
        validator_org_id=VALIDATOR,
        recipient_orgs=frozenset({RECIPIENT}) if label in {Tlp.AMBER, Tlp.AMBER_STRICT} else frozenset(),
        named=frozenset({NAMED_CH, NAMED_RECIPIENT}) if label is Tlp.RED else frozenset(),
        submitter_user_id=SUBMITTER,
    )


CIRCLE = {"submitter", "source colleague", "clearinghouse", "named clearinghouse", "validator"}
EVERY_MEMBER = set(SHAPES) - {"anonymous", "platform operator"}
AMBER = CIRCLE | {"recipient org member", "named recipient"}
EXPECTED: dict[tuple[Tlp, bool], set[str]] = {
    (Tlp.CLEAR, True): set(SHAPES),
    (Tlp.GREEN, True): EVERY_MEMBER,
    (Tlp.AMBER, True): AMBER,
    (Tlp.AMBER_STRICT, True): AMBER,
    (Tlp.RED, True): {"submitter", "named clearinghouse", "named recipient"},
    (Tlp.CLEAR, False): CIRCLE,
    (Tlp.GREEN, False): CIRCLE,
    (Tlp.AMBER, False): CIRCLE,
    (Tlp.AMBER_STRICT, False): CIRCLE,
    (Tlp.RED, False): {"submitter", "named clearinghouse"},
}


@pytest.mark.parametrize(
    ("label", "validated"), list(EXPECTED), ids=[f"{k[0].value}-{'validated' if k[1] else 'unvalidated'}" for k in EXPECTED]
)
def test_the_audience_matrix(label: Tlp, validated: bool) -> None:
    ref = _ref(label, validated=validated)
    readers = set()
    for name, p in SHAPES.items():
        if p is None:
            allowed = reads_report(None, None, None, ref).allowed
        else:
            allowed = authz.decide(RULES, p, Permission.REPORT_READ, ref, NOW).allowed
        if allowed:
            readers.add(name)
    assert readers == EXPECTED[(label, validated)]


@pytest.mark.parametrize("label", list(Tlp), ids=[t.value for t in Tlp])
def test_a_deactivated_or_revoked_person_is_in_no_audience(label: Tlp) -> None:
    ref = _ref(label, validated=True)
    assert not reads_report(SUBMITTER, SOURCE, OrgKind.PARTNER, ref, active=False).allowed
    assert not reads_report(NAMED_CH, CH, OrgKind.CLEARINGHOUSE, ref, active=False).allowed


def test_the_platform_on_the_server_reads_everything() -> None:
    assert authz.decide(RULES, Principal.system("cli"), Permission.REPORT_READ, _ref(Tlp.RED, validated=False), NOW).allowed


ACTIONS = (
    Permission.REPORT_TRIAGE,
    Permission.REPORT_NAME_VALIDATOR,
    Permission.REPORT_MERGE,
    Permission.REPORT_DISCLOSE,
    Permission.REPORT_REJECT,
)
ACTORS: dict[Permission, set[str]] = {
    **{a: {"clearinghouse", "named clearinghouse"} for a in ACTIONS},
    Permission.REPORT_VALIDATE: {"clearinghouse", "named clearinghouse", "validator"},
    Permission.REPORT_EDIT: {"submitter", "source colleague", "clearinghouse", "named clearinghouse"},
    Permission.REPORT_ADDRESS: {"submitter", "source colleague", "clearinghouse", "named clearinghouse"},
    Permission.REPORT_SUBMIT: EVERY_MEMBER,
    Permission.REPORT_QUEUE: {"clearinghouse", "named clearinghouse"},
}


@pytest.mark.parametrize("permission", list(ACTORS), ids=[p.value for p in ACTORS])
def test_who_acts_on_a_green_report(permission: Permission) -> None:
    ref = _ref(Tlp.GREEN, validated=True)
    actors = {n for n, p in SHAPES.items() if p is not None and authz.decide(RULES, p, permission, ref, NOW).allowed}
    assert actors == ACTORS[permission]


def test_nobody_acts_on_what_they_cannot_read() -> None:
    ref = _ref(Tlp.RED, validated=True)
    ch = SHAPES["clearinghouse"]
    assert ch is not None
    for permission in (*ACTIONS, Permission.REPORT_VALIDATE, Permission.REPORT_EDIT):
        assert not authz.decide(RULES, ch, permission, ref, NOW).allowed
    assert not authz.decide(RULES, SHAPES["validator"], Permission.REPORT_VALIDATE, ref, NOW).allowed  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("who", "to", "allowed"),
    [
        ("submitter", Tlp.CLEAR, True),
        ("submitter", Tlp.RED, True),
        ("source colleague", Tlp.GREEN, True),
        ("clearinghouse", Tlp.RED, True),
        ("clearinghouse", Tlp.AMBER_STRICT, True),
        ("clearinghouse", Tlp.AMBER, True),  # same label: renaming recipients
        ("clearinghouse", Tlp.GREEN, False),
        ("recipient org member", Tlp.RED, False),
        ("validator", Tlp.RED, False),
        ("program office", Tlp.RED, False),
    ],
)
def test_relabelling(who: str, to: Tlp, allowed: bool) -> None:
    p = SHAPES[who]
    assert p is not None
    ref = _ref(Tlp.AMBER, validated=True)
    assert authz.decide(RULES, p, Permission.REPORT_RELABEL, Relabel(ref, to.value), NOW).allowed is allowed


def test_operator_tasks() -> None:
    admin = _p(uuid.uuid4(), CH, OrgKind.CLEARINGHOUSE, role=Role.ADMIN)
    for permission in (Permission.KEV_IMPORT, Permission.PRIORITY_RECOMPUTE):
        assert authz.decide(RULES, admin, permission, None, NOW).allowed
        assert authz.decide(RULES, Principal.system("cli"), permission, None, NOW).allowed
        assert not authz.decide(RULES, SHAPES["clearinghouse"], permission, None, NOW).allowed  # type: ignore[arg-type]
        assert not authz.decide(RULES, SHAPES["submitter"], permission, None, NOW).allowed  # type: ignore[arg-type]
