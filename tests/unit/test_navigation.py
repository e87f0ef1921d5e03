"""The navigation shows each role only the sections it can use, and marks where the reader is."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from frontier_review.composition import RULES
from frontier_review.kernel.principal import AuthMethod, OrgKind, Principal, Role
from frontier_review.web.templating import NAVIGATION, NavItem, nav_for, time_left
from tests.conftest import START

ORG = uuid.UUID("2c3a81d2-4f56-4eff-b857-9b35bcbc4fc1")  # fixed: it names parametrized tests, which xdist workers must agree on


def _person(
    kind: OrgKind | None, role: Role | None = Role.MEMBER, *, superuser: bool = False, cleared: bool = False
) -> Principal:
    return Principal(
        user_id=uuid.uuid4(),
        org_id=ORG if kind is not None else None,
        org_kind=kind,
        role=role if kind is not None else None,
        cleared=cleared,
        is_superuser=superuser,
        label="someone@example.org",
        method=AuthMethod.SESSION,
    )


PERSONAL = ["My organization", "Mail", "Account"]

# The whole matrix, pinned: (who, sections, personal links).
EXPECTED = {
    "developer admin": (
        _person(OrgKind.DEVELOPER, Role.ADMIN),
        ["Home", "Models", "Engagements", "Clearinghouse", "Coverage inquiries", "Policies", "Trusted partners", "Audit log"],
    ),
    "developer member": (
        _person(OrgKind.DEVELOPER),
        ["Home", "Models", "Engagements", "Clearinghouse", "Coverage inquiries", "Policies", "Trusted partners"],
    ),
    "program office admin": (
        _person(OrgKind.PROGRAM_OFFICE, Role.ADMIN, cleared=True),
        ["Home", "Engagements", "Coverage inquiries", "Policies", "Benchmarks", "Trusted partners", "Organizations", "Audit log"],
    ),
    "program office member": (
        _person(OrgKind.PROGRAM_OFFICE),
        ["Home", "Engagements", "Coverage inquiries", "Policies", "Benchmarks", "Trusted partners", "Organizations"],
    ),
    "agency admin": (_person(OrgKind.AGENCY, Role.ADMIN), ["Home", "Engagements", "Clearinghouse", "Audit log"]),
    "agency reviewer": (_person(OrgKind.AGENCY), ["Home", "Engagements", "Clearinghouse"]),
    "partner reviewer": (_person(OrgKind.PARTNER), ["Home", "Engagements", "Clearinghouse"]),
    "clearinghouse analyst": (_person(OrgKind.CLEARINGHOUSE), ["Home", "Clearinghouse"]),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_role_sees_only_the_sections_it_uses(who: str) -> None:
    principal, sections = EXPECTED[who]
    items = nav_for(RULES, principal, START)
    assert [i.label for i in items if not i.personal] == sections
    assert [i.label for i in items if i.personal] == PERSONAL


def test_the_program_office_no_longer_gets_twelve_items_and_partners_no_policies() -> None:
    admin = nav_for(RULES, _person(OrgKind.PROGRAM_OFFICE, Role.ADMIN, cleared=True), START)
    assert len([i for i in admin if not i.personal]) <= 8
    for kind in (OrgKind.PARTNER, OrgKind.AGENCY, OrgKind.CLEARINGHOUSE):
        labels = {i.label for i in nav_for(RULES, _person(kind, Role.ADMIN), START)}
        assert not labels & {"Policies", "Models", "Coverage inquiries", "Benchmarks", "Trusted partners", "Organizations"}


def test_an_operator_without_an_organization_runs_the_platform() -> None:
    items = nav_for(RULES, _person(None, superuser=True), START)
    # Operators are party to no engagement and own no model: those sections would be empty for them.
    assert [i.label for i in items] == ["Home", "Organizations", "Audit log", "Mail", "Account"]


def test_an_operator_in_an_organization_also_gets_its_sections() -> None:
    labels = [i.label for i in nav_for(RULES, _person(OrgKind.PROGRAM_OFFICE, Role.ADMIN, superuser=True), START)]
    assert "Benchmarks" in labels and "My organization" in labels


def test_nobody_signed_in_gets_no_navigation() -> None:
    assert nav_for(RULES, None, START) == []


def _item(label: str) -> NavItem:
    return next(i for i in NAVIGATION if i.label == label)


@pytest.mark.parametrize(
    ("label", "path", "expected"),
    [
        ("Home", "/", "page"),
        ("Home", "/engagements", None),
        ("Engagements", "/engagements", "page"),
        ("Engagements", "/engagements/4f1c/findings/9a", "true"),
        ("Engagements", "/engagements-archive", None),
        ("Models", "/versions/123", "true"),
        ("Coverage inquiries", "/coverage/determinations/1", "true"),
        ("Policies", "/coverage/policy-diff", "true"),
        ("Policies", "/coverage/inquiries", None),
        ("Organizations", "/organizations/other", "true"),
        ("Organizations", f"/organizations/{ORG}", None),
        ("My organization", f"/organizations/{ORG}", "page"),
        ("My organization", "/organizations/other", None),
    ],
)
def test_the_current_section_is_marked(label: str, path: str, expected: str | None) -> None:
    assert _item(label).current(path, _person(OrgKind.PROGRAM_OFFICE)) == expected


def test_time_left_reads_like_the_countdown() -> None:
    assert time_left(START + timedelta(days=17, hours=4, minutes=5, seconds=59), START) == "17d 4h 5m"
    assert time_left(START + timedelta(hours=3), START) == "3h 0m"
    assert time_left(START + timedelta(minutes=7), START) == "7m"
    assert time_left(START - timedelta(minutes=7), START) == "0m"
