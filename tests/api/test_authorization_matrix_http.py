"""The authorization matrix as seen over HTTP: every route × role × own/other organization."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from frontier_review.bootstrap import Container
from frontier_review.identity import invitations
from frontier_review.identity.domain import OrgKind, Role
from tests.api.helpers import bearer
from tests.factories.identity import SYSTEM, Person, api_token, make_org, make_superuser, make_user


@dataclass
class World:
    people: dict[str, Person]
    tokens: dict[str, str]
    ids: dict[str, str]


@pytest.fixture
def world(container: Container) -> World:
    po = make_org(container, OrgKind.PROGRAM_OFFICE, name="Program Office")
    dev = make_org(container, OrgKind.DEVELOPER, name="Dev A")
    other = make_org(container, OrgKind.DEVELOPER, name="Dev B")
    agency = make_org(container, OrgKind.AGENCY, name="Agency")
    people = {
        "root": make_superuser(container),
        "po_admin": make_user(container, po, role=Role.ADMIN, cleared=True),
        "po_member": make_user(container, po),
        "dev_admin": make_user(container, dev, role=Role.ADMIN),
        "dev_member": make_user(container, dev),
        "other_admin": make_user(container, other, role=Role.ADMIN),
        "agency_admin": make_user(container, agency, role=Role.ADMIN),
    }
    tokens = {name: api_token(container, p) for name, p in people.items()}
    with container.uow() as uow:
        invitation = invitations.invite_member(uow, SYSTEM, org_id=dev.id, email="invited@example.org", role=Role.MEMBER)
    ids = {
        "invitation": str(invitation.id),
        "po": str(po.id),
        "dev": str(dev.id),
        "other": str(other.id),
        "dev_member": str(people["dev_member"].user.id),
        "po_member": str(people["po_member"].user.id),
    }
    return World(people, tokens, ids)


R, W = "GET", "POST"
# (route, method, body) → the set of actors allowed; everyone else gets 403.
MATRIX: list[tuple[str, str, dict[str, object] | None, set[str]]] = [
    ("/api/v1/organizations/{dev}", R, None, {"root", "po_admin", "po_member", "dev_admin", "dev_member"}),
    ("/api/v1/organizations/{po}", R, None, {"root", "po_admin", "po_member"}),
    ("/api/v1/organizations/{dev}/users", R, None, {"root", "po_admin", "dev_admin", "dev_member"}),
    ("/api/v1/organizations/{po}/users", R, None, {"root", "po_admin", "po_member"}),
    ("/api/v1/organizations", W, {"name": "New Org {actor}", "kind": "agency"}, {"root"}),
    # Direct account creation answers "already exists": operators only.
    (
        "/api/v1/organizations/{dev}/users",
        W,
        {"email": "n-{actor}@example.org", "full_name": "New Person", "password": "long enough password"},
        {"root"},
    ),
    # Invitations: the organization's admins and operators.
    ("/api/v1/organizations/{dev}/users", W, {"email": "i-{actor}@example.org"}, {"root", "dev_admin"}),
    ("/api/v1/organizations/{po}/users", W, {"email": "p-{actor}@example.org", "role": "admin"}, {"root", "po_admin"}),
    ("/api/v1/organizations/{dev}/invitations", R, None, {"root", "dev_admin"}),
    ("/api/v1/organizations/{po}/invitations", R, None, {"root", "po_admin"}),
    ("/api/v1/users/{dev_member}", R, None, {"root", "po_admin", "dev_admin", "dev_member"}),
    ("/api/v1/users/{dev_member}/unlock", W, None, {"root", "dev_admin"}),
    ("/api/v1/users/{po_member}", R, None, {"root", "po_admin", "po_member"}),
    ("/api/v1/audit/entries", R, None, {"root", "po_admin", "dev_admin", "other_admin", "agency_admin"}),
    ("/api/v1/audit/verify", R, None, {"root", "po_admin"}),
    ("/api/v1/audit/checkpoints", R, None, {"root", "po_admin"}),
    ("/api/v1/audit/export", R, None, {"root", "po_admin"}),
]
ACTORS = ["root", "po_admin", "po_member", "dev_admin", "dev_member", "other_admin", "agency_admin"]


def test_route_matrix(world: World, http: httpx.Client) -> None:
    failures = []
    for route, method, body, allowed in MATRIX:
        for actor in ACTORS:
            url = route.format(**world.ids)
            payload = None if body is None else {k: (v.format(actor=actor) if isinstance(v, str) else v) for k, v in body.items()}
            response = http.request(method, url, json=payload, headers=bearer(world.tokens[actor]))
            expected_ok = actor in allowed
            ok = response.status_code < 400
            if ok != expected_ok or (not ok and response.status_code != 403):
                failures.append(f"{actor} {method} {route}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_patch_matrix(world: World, http: httpx.Client) -> None:
    """Role changes: the member's org admin and operators; clearance and cleared accounts: the cleared
    program-office admin for own staff."""
    cases = [
        ("dev_member", {"role": "admin"}, {"root", "dev_admin"}),
        # Clearance: only the cleared program-office admin, for own staff; never the operator.
        ("po_member", {"cleared": True}, {"po_admin"}),
        ("dev_member", {"cleared": True}, set()),
        # Once cleared, the account is the cleared admin's to manage: no deactivate-and-reactivate by others.
        ("po_member", {"role": "admin"}, {"po_admin"}),
        ("po_member", {"is_active": False}, {"po_admin"}),
        ("po_member", {"is_active": True}, {"po_admin"}),
    ]
    for target, body, allowed in cases:
        for actor in ACTORS:
            if actor == target and body == {"is_active": False}:
                continue  # deactivated a moment ago by po_admin: signed out, not refused
            response = http.patch(f"/api/v1/users/{world.ids[target]}", json=body, headers=bearer(world.tokens[actor]))
            assert (response.status_code == 200) == (actor in allowed), (actor, target, body, response.text)
            if actor not in allowed:
                assert response.status_code == 403, (actor, response.status_code)


def test_invitation_revoke_matrix(world: World, http: httpx.Client) -> None:
    """Revoking: the organization's admins and operators. Anyone else is told the invitation does
    not exist, exactly as for a random id (they may not even list the organization's invitations)."""
    url = "/api/v1/invitations/{}"
    missing = "00000000-0000-0000-0000-00000000abcd"
    for actor in ["po_admin", "po_member", "dev_member", "other_admin", "agency_admin"]:
        hidden = http.delete(url.format(world.ids["invitation"]), headers=bearer(world.tokens[actor]))
        unknown = http.delete(url.format(missing), headers=bearer(world.tokens[actor]))
        assert (hidden.status_code, unknown.status_code) == (404, 404), actor
        assert hidden.json()["detail"].replace(world.ids["invitation"], missing) == unknown.json()["detail"], actor
    for actor in ["dev_admin", "root"]:  # the second revocation changes nothing
        response = http.delete(url.format(world.ids["invitation"]), headers=bearer(world.tokens[actor]))
        assert response.status_code == 200, (actor, response.text)
        assert response.json()["revoked_at"] is not None
