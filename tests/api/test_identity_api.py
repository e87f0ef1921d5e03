"""Organizations, users and tokens over real HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.identity.orm import ApiToken, Organization, User
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.identity import api_token, make_org, make_superuser, make_user


def _count(container: Container, model: type[object]) -> int:
    with container.sessions() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_operator_creates_organization_and_duplicates_conflict(container: Container, http: httpx.Client) -> None:
    root = make_superuser(container)
    auth = bearer(api_token(container, root))
    created = http.post(
        "/api/v1/organizations",
        json={"name": "Mercy  Health", "kind": "partner", "sector": "healthcare_and_public_health"},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "Mercy Health"
    assert body["sector"] == "healthcare_and_public_health"
    duplicate = http.post("/api/v1/organizations", json={"name": "MERCY HEALTH", "kind": "agency"}, headers=auth)
    assert_problem(duplicate, 409, field="name")
    assert _count(container, Organization) == 1
    fetched = http.get(f"/api/v1/organizations/{body['id']}", headers=auth)
    assert fetched.json()["member_count"] == 0


def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(container: Container, http: httpx.Client) -> None:
    root = make_superuser(container)
    auth = {**bearer(api_token(container, root)), "content-type": "application/json"}
    malformed = http.post("/api/v1/organizations", content=b'{"name": "x", "kind": ', headers=auth)
    body = assert_problem(malformed, 422, field="body")
    assert "malformed JSON" in str(body["detail"])
    assert_problem(http.post("/api/v1/organizations", json={"name": 12345, "kind": "agency"}, headers=auth), 422, field="name")
    assert_problem(
        http.post("/api/v1/organizations", json={"name": "Some Agency", "kind": "bank"}, headers=auth), 422, field="kind"
    )
    assert_problem(
        http.post("/api/v1/organizations", json={"name": "Some Bank", "kind": "partner", "sector": "banking"}, headers=auth),
        422,
        field="sector",
    )
    assert_problem(
        http.post("/api/v1/organizations", json={"name": "Some Bank", "kind": "partner"}, headers=auth), 422, field="sector"
    )
    assert_problem(
        http.post("/api/v1/organizations", json={"name": "An Agency", "kind": "agency", "sector": "energy"}, headers=auth),
        422,
        field="sector",
    )
    assert_problem(
        http.post("/api/v1/organizations", json={"name": "An Agency", "kind": "agency", "admin": True}, headers=auth),
        422,
        field="admin",
    )
    assert_problem(http.post("/api/v1/organizations", json=["not", "an", "object"], headers=auth), 422)
    assert_problem(http.get("/api/v1/organizations/not-a-uuid", headers=auth), 422, field="org_id")
    assert_problem(http.get("/api/v1/organizations/00000000-0000-0000-0000-000000000000", headers=auth), 404)
    assert _count(container, Organization) == 0


def test_oversize_body_is_refused_with_413(container: Container, http: httpx.Client) -> None:
    root = make_superuser(container)
    auth = bearer(api_token(container, root))
    huge = {"name": "A" * (container.settings.max_body_bytes + 10), "kind": "agency"}
    assert_problem(http.post("/api/v1/organizations", json=huge, headers=auth), 413)

    def chunks() -> object:
        for _ in range(40):
            yield b"x" * 32768

    streamed = http.post("/api/v1/organizations", content=chunks(), headers={**auth, "content-type": "application/json"})  # type: ignore[arg-type]
    assert_problem(streamed, 413)
    assert _count(container, Organization) == 0


def test_members_are_invited_by_their_org_admin_and_created_directly_by_operators_only(
    container: Container, http: httpx.Client
) -> None:
    dev = make_org(container, OrgKind.DEVELOPER)
    other = make_org(container, OrgKind.DEVELOPER)
    admin = make_user(container, dev, role=Role.ADMIN)
    outsider = make_user(container, other, role=Role.ADMIN)
    member = make_user(container, dev)
    url = f"/api/v1/organizations/{dev.id}/users"
    invited = http.post(url, json={"email": "New.Person@Example.org"}, headers=bearer(api_token(container, admin)))
    assert invited.status_code == 202, invited.text
    assert invited.json()["email"] == "new.person@example.org"
    assert invited.json()["role"] == "member"
    assert "token" not in invited.text
    for person in (outsider, member):
        assert_problem(http.post(url, json={"email": "c@example.org"}, headers=bearer(api_token(container, person))), 403)
    payload = {"email": "direct@example.org", "full_name": "New Person", "password": "a long enough password"}
    assert_problem(http.post(url, json=payload, headers=bearer(api_token(container, admin))), 403)
    root = bearer(api_token(container, make_superuser(container)))
    created = http.post(url, json=payload, headers=root)
    assert created.status_code == 201, created.text
    assert "password" not in created.text and "argon2" not in created.text
    assert_problem(http.post(url, json=payload, headers=root), 409, field="email")
    weak = http.post(url, json={**payload, "email": "b@example.org", "password": "short"}, headers=root)
    assert_problem(weak, 422, field="password")
    assert_problem(http.post(url, json={**payload, "email": "not an email"}, headers=root), 422, field="email")
    assert _count(container, User) == 5  # three made by the factory, the operator, and the one created directly


def test_organization_listing_is_scoped(container: Container, http: httpx.Client) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    dev = make_org(container, OrgKind.DEVELOPER)
    make_org(container, OrgKind.AGENCY)
    po_member = make_user(container, po)
    dev_admin = make_user(container, dev, role=Role.ADMIN)
    seen_by_po = http.get("/api/v1/organizations", headers=bearer(api_token(container, po_member))).json()
    assert len(seen_by_po) == 3
    seen_by_dev = http.get("/api/v1/organizations", headers=bearer(api_token(container, dev_admin))).json()
    assert [o["id"] for o in seen_by_dev] == [str(dev.id)]
    only_agencies = http.get(
        "/api/v1/organizations", params={"kind": "agency"}, headers=bearer(api_token(container, po_member))
    ).json()
    assert [o["kind"] for o in only_agencies] == ["agency"]
    assert_problem(http.get(f"/api/v1/organizations/{po.id}", headers=bearer(api_token(container, dev_admin))), 403)


def test_token_lifecycle(container: Container, http: httpx.Client) -> None:
    org = make_org(container, OrgKind.AGENCY)
    person = make_user(container, org)
    first = api_token(container, person)
    # A token cannot mint tokens (a leaked one would outlive its revocation) …
    assert_problem(http.post("/api/v1/tokens", json={"name": "ci script"}, headers=bearer(first)), 403)
    # … a signed-in person can, with the session's CSRF token in the header.
    web_login(http, person.email, person.password)
    csrf = {"X-CSRF-Token": csrf_from(http.get("/account").text)}
    created = http.post("/api/v1/tokens", json={"name": "ci script", "expires_in_days": 7}, headers=csrf)
    assert created.status_code == 201, created.text
    secret = created.json()["token"]
    assert secret.startswith("frt_")
    http.cookies.clear()
    listed = http.get("/api/v1/tokens", headers=bearer(secret))
    assert listed.status_code == 200
    assert secret not in listed.text
    assert {t["name"] for t in listed.json()} == {"tests", "ci script"}
    assert any(t["last_used_at"] for t in listed.json())
    with container.sessions() as session:
        digests = session.scalars(sa.select(ApiToken.token_digest)).all()
    assert secret not in digests
    assert all(len(d) == 64 for d in digests)
    revoked = http.delete(f"/api/v1/tokens/{created.json()['id']}", headers=bearer(first))
    assert revoked.json()["revoked_at"] is not None
    after = http.get("/api/v1/users/me", headers=bearer(secret))
    assert_problem(after, 401)
    assert after.headers["www-authenticate"].startswith("Bearer")
    assert http.get("/api/v1/users/me", headers=bearer(first)).json()["email"] == person.email
    web_login(http, person.email, person.password)
    csrf = {"X-CSRF-Token": csrf_from(http.get("/account").text)}
    assert_problem(
        http.post("/api/v1/tokens", json={"name": "abc", "expires_in_days": "7"}, headers=csrf), 422, field="expires_in_days"
    )
    assert_problem(
        http.post("/api/v1/tokens", json={"name": "long", "expires_in_days": 400}, headers=csrf), 422, field="expires_in_days"
    )


def test_text_that_is_not_valid_unicode_is_refused(container: Container, http: httpx.Client) -> None:
    root = make_superuser(container)
    auth = {**bearer(api_token(container, root)), "content-type": "application/json"}
    response = http.post("/api/v1/organizations", content=rb'{"name": "Bad \ud800 Org", "kind": "agency"}', headers=auth)
    assert_problem(response, 422, field="name")
    assert _count(container, Organization) == 0


def test_expired_token_is_refused(container: Container, http: httpx.Client, clock: object) -> None:
    from datetime import timedelta

    from frontier_review.kernel.clock import FrozenClock

    assert isinstance(clock, FrozenClock)
    org = make_org(container, OrgKind.AGENCY)
    person = make_user(container, org)
    token = api_token(container, person)
    assert http.get("/api/v1/users/me", headers=bearer(token)).status_code == 200
    clock.advance(timedelta(days=container.settings.token_default_days, seconds=1))
    assert_problem(http.get("/api/v1/users/me", headers=bearer(token)), 401)


def test_authentication_is_required(http: httpx.Client) -> None:
    assert_problem(http.get("/api/v1/organizations"), 401)
    assert_problem(http.get("/api/v1/organizations", headers={"Authorization": "Basic abc"}), 401)
    assert_problem(http.get("/api/v1/organizations", headers=bearer("frt_deadbeef_" + "x" * 43)), 401)


def test_user_updates_with_optimistic_concurrency(container: Container, http: httpx.Client) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    dev = make_org(container, OrgKind.DEVELOPER)
    po_admin = make_user(container, po, role=Role.ADMIN, cleared=True)
    uncleared_admin = make_user(container, po, role=Role.ADMIN)
    analyst = make_user(container, po)
    dev_admin = make_user(container, dev, role=Role.ADMIN)
    engineer = make_user(container, dev)
    auth = bearer(api_token(container, po_admin))
    refused = http.patch(
        f"/api/v1/users/{analyst.user.id}", json={"cleared": True}, headers=bearer(api_token(container, uncleared_admin))
    )
    assert_problem(refused, 403)
    current = http.get(f"/api/v1/users/{analyst.user.id}", headers=auth).json()
    cleared = http.patch(f"/api/v1/users/{analyst.user.id}", json={"cleared": True, "version": current["version"]}, headers=auth)
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["cleared"] is True
    stale = http.patch(f"/api/v1/users/{analyst.user.id}", json={"role": "admin", "version": current["version"]}, headers=auth)
    assert_problem(stale, 409, field="version")
    dev_auth = bearer(api_token(container, dev_admin))
    assert_problem(http.patch(f"/api/v1/users/{engineer.user.id}", json={"cleared": True}, headers=dev_auth), 403)
    assert_problem(
        http.patch(f"/api/v1/users/{engineer.user.id}", json={"cleared": "yes"}, headers=dev_auth), 422, field="cleared"
    )
    promoted = http.patch(f"/api/v1/users/{engineer.user.id}", json={"role": "admin"}, headers=dev_auth)
    assert promoted.json()["role"] == "admin"
    assert_problem(http.patch(f"/api/v1/users/{dev_admin.user.id}", json={"role": "member"}, headers=dev_auth), 403)
    engineer_token = api_token(container, engineer)
    assert http.patch(f"/api/v1/users/{engineer.user.id}", json={"is_active": False}, headers=dev_auth).status_code == 200
    assert_problem(http.get("/api/v1/users/me", headers=bearer(engineer_token)), 401)
