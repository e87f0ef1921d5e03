"""Who sees and acts on a planned scan, pinned as a table (scan deconfliction's rules)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from frontier_review import composition
from frontier_review.clearinghouse.scans.policy import RULES, OverlapRef, ScanRef, sees_scan
from frontier_review.kernel import authz
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, OrgKind, Principal, Role

NOW = datetime(2026, 7, 1, tzinfo=UTC)
SCANNER, TARGET, HOUSE, OTHER, SECOND = (uuid.UUID(int=i) for i in range(1, 6))


def person(org: uuid.UUID, kind: OrgKind, role: Role = Role.MEMBER) -> Principal:
    return Principal(uuid.uuid4(), org, kind, role, False, False, f"{kind}@example.org", AuthMethod.SESSION)


PRINCIPALS = {
    "scanner": person(SCANNER, OrgKind.AGENCY),
    "target": person(TARGET, OrgKind.PARTNER, Role.ADMIN),
    "house": person(HOUSE, OrgKind.CLEARINGHOUSE),
    "other": person(OTHER, OrgKind.PARTNER),
    "second": person(SECOND, OrgKind.AGENCY),  # the other scanner of an overlap
    "program": person(uuid.UUID(int=9), OrgKind.PROGRAM_OFFICE, Role.ADMIN),
    "su": Principal(uuid.uuid4(), None, None, None, False, True, "root@example.org", AuthMethod.SESSION),
    "sys": Principal.system("tests"),
}
COLUMNS = list(PRINCIPALS)
SCAN = ScanRef(uuid.UUID(int=100), SCANNER, TARGET)
CANCELLED = ScanRef(uuid.UUID(int=101), SCANNER, TARGET, cancelled=True)
THEIRS = ScanRef(uuid.UUID(int=102), SECOND, TARGET)
RESOURCES: dict[str, object] = {
    "scan": SCAN,
    "cancelled": CANCELLED,
    "own-org": "principal's org",  # replaced per principal below
    "scanner-org": SCANNER,
    "overlap": OverlapRef(uuid.UUID(int=200), (SCAN, THEIRS)),
    "none": None,
}

# fmt: off
#          scanner target house other second program su  sys
GRID = [
    ("Y  Y  Y  .  .  .  .  Y", Permission.SCAN_READ, "scan"),
    ("Y  Y  Y  .  .  .  .  Y", Permission.SCAN_READ, "cancelled"),
    (".  .  Y  .  .  .  .  Y", Permission.SCAN_LIST_ALL, "none"),
    ("Y  Y  Y  Y  Y  Y  .  .", Permission.SCAN_REGISTER, "own-org"),
    ("Y  .  .  .  .  .  .  .", Permission.SCAN_REGISTER, "scanner-org"),
    ("Y  .  .  .  .  .  .  .", Permission.SCAN_CHANGE, "scan"),
    (".  .  .  .  .  .  .  .", Permission.SCAN_CHANGE, "cancelled"),
    ("Y  .  .  .  .  .  .  .", Permission.SCAN_CANCEL, "scan"),
    (".  .  .  .  .  .  .  .", Permission.SCAN_CANCEL, "cancelled"),
    (".  Y  .  .  .  .  .  .", Permission.SCAN_OBJECT, "scan"),
    (".  .  .  .  .  .  .  .", Permission.SCAN_OBJECT, "cancelled"),
    (".  .  Y  .  .  .  .  .", Permission.SCAN_RESOLVE_OVERLAP, "overlap"),
]
# fmt: on

MATRIX = [
    (who, permission, resource, cell == "Y")
    for row, permission, resource in GRID
    for who, cell in zip(COLUMNS, row.split(), strict=True)
]


@pytest.mark.parametrize(
    ("who", "permission", "resource", "expected"), MATRIX, ids=[f"{w}|{p.value}|{r}" for w, p, r, _ in MATRIX]
)
def test_decision_matrix(who: str, permission: Permission, resource: str, expected: bool) -> None:
    principal = PRINCIPALS[who]
    target = principal.org_id if resource == "own-org" else RESOURCES[resource]
    decision = authz.decide(composition.RULES, principal, permission, target, NOW)
    assert decision.allowed is expected, decision


def test_every_scan_permission_is_in_the_grid_and_wired() -> None:
    assert {p for _, p, _ in GRID} == set(RULES)
    assert all(composition.RULES[p] is RULES[p] for p in RULES)


@pytest.mark.parametrize("who", COLUMNS)
def test_sees_scan_agrees_with_the_read_rule_for_organizations(who: str) -> None:
    p = PRINCIPALS[who]
    if p.is_system:
        return
    assert sees_scan(p.org_id, p.org_kind, SCAN) is authz.decide(composition.RULES, p, Permission.SCAN_READ, SCAN, NOW).allowed
