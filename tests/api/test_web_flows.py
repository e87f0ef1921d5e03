"""Web UI flows over real HTTP: sign-in, sessions, CSRF, lockout, account and members pages."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.composition import build_container
from frontier_review.config import Settings
from frontier_review.identity import service as identity
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.identity.orm import ApiToken, User
from frontier_review.kernel.clock import FrozenClock
from frontier_review.security import passwords
from tests.api.confirming import confirmed_post
from tests.api.helpers import csrf_from, web_login
from tests.factories.identity import make_org, make_user


def _actions(container: Container, prefix: str) -> list[str]:
    with container.sessions() as session:
        return list(
            session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.startswith(prefix)).order_by(AuditEntry.seq))
        )


def test_sign_in_shows_the_role_home_page_and_sets_a_safe_cookie(container: Container, http: httpx.Client) -> None:
    org = make_org(container, OrgKind.DEVELOPER, name="Northwind AI")
    admin = make_user(container, org, role=Role.ADMIN)
    assert http.get("/").headers["location"] == "/login?next=/"
    response = web_login(http, admin.email, admin.password)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "fr_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    home = http.get("/")
    assert home.status_code == 200
    assert "Northwind AI" in home.text and "AI developer" in home.text
    assert "Findings awaiting your answer" in home.text  # a developer's home page says what needs its attention
    assert _actions(container, "identity:login") == ["identity:login:succeeded"]
    for header in ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options"):
        assert header in home.headers
    assert "frame-ancestors 'none'" in home.headers["content-security-policy"]


def test_wrong_password_and_unknown_user_get_the_same_answer(
    container: Container, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = make_org(container, OrgKind.AGENCY)
    person = make_user(container, org)
    calls: list[str] = []
    real_verify = passwords.verify_password

    def counting_verify(password_hash: str, password: str) -> bool:
        calls.append(password_hash[:9])
        return real_verify(password_hash, password)

    monkeypatch.setattr(passwords, "verify_password", counting_verify)
    wrong = web_login(http, person.email, "not the password at all")
    unknown = web_login(http, "nobody@example.org", "not the password at all")
    assert wrong.status_code == unknown.status_code == 401
    message = identity.LOGIN_FAILED_MESSAGE
    assert message in wrong.text and message in unknown.text
    # Both paths run exactly one argon2id verification, so they cost the same.
    assert calls == ["$argon2id", "$argon2id"]


def test_repeated_failures_lock_the_account_for_a_while(container: Container, http: httpx.Client, clock: FrozenClock) -> None:
    org = make_org(container, OrgKind.AGENCY)
    person = make_user(container, org)
    for _ in range(container.settings.login_max_failures):
        assert web_login(http, person.email, "wrong wrong wrong").status_code == 401
    locked = web_login(http, person.email, person.password)
    assert locked.status_code == 401
    assert "identity:login:locked" in _actions(container, "identity:login")
    clock.advance(timedelta(seconds=container.settings.login_lockout_seconds + 1))
    assert web_login(http, person.email, person.password).status_code == 303


def test_state_changing_forms_need_the_csrf_token(container: Container, http: httpx.Client) -> None:
    org = make_org(container, OrgKind.AGENCY)
    person = make_user(container, org)
    refused = http.post("/login", data={"email": person.email, "password": person.password})
    assert refused.status_code == 403
    web_login(http, person.email, person.password)
    forged = http.post("/account/tokens", data={"name": "forged", "expires_in_days": "5", "csrf_token": "nope"})
    assert forged.status_code == 403
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ApiToken)) == 0
    # The API refuses session-cookie writes without the header too.
    assert http.post("/api/v1/tokens", json={"name": "forged"}).status_code == 403


def test_account_page_creates_a_token_once_and_revokes_it(container: Container, http: httpx.Client) -> None:
    org = make_org(container, OrgKind.PARTNER)
    person = make_user(container, org)
    web_login(http, person.email, person.password)
    page = http.get("/account")
    created = http.post(
        "/account/tokens", data={"name": "threat intel sync", "expires_in_days": "30", "csrf_token": csrf_from(page.text)}
    )
    assert created.status_code == 201
    assert "will not be shown again" in created.text
    secret = created.text.split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("frt_")
    again = http.get("/account")
    assert secret not in again.text and "threat intel sync" in again.text
    assert http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    with container.sessions() as session:
        token_id = session.scalars(sa.select(ApiToken.id)).one()
    revoked = confirmed_post(http, f"/account/tokens/{token_id}/revoke")  # issue 12: a page says what stops first
    assert revoked.status_code == 303
    assert http.get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_password_change_ends_other_sessions(container: Container, base_url: str) -> None:
    org = make_org(container, OrgKind.AGENCY)
    person = make_user(container, org)
    with httpx.Client(base_url=base_url) as laptop, httpx.Client(base_url=base_url) as phone:
        web_login(laptop, person.email, person.password)
        web_login(phone, person.email, person.password)
        assert phone.get("/account").status_code == 200
        page = laptop.get("/account")
        changed = laptop.post(
            "/account/password",
            data={
                "current_password": person.password,
                "new_password": "a brand new long password",
                "csrf_token": csrf_from(page.text),
            },
        )
        assert changed.status_code == 303
        assert laptop.get("/account").status_code == 200
        assert phone.get("/account", follow_redirects=False).status_code == 303
    with container.sessions() as session:
        stored = session.scalars(sa.select(User.password_hash).where(User.id == person.user.id)).one()
    assert stored.startswith("$argon2id$") and "brand new" not in stored


def test_admin_adds_a_member_through_the_organization_page(container: Container, http: httpx.Client) -> None:
    org = make_org(container, OrgKind.DEVELOPER)
    admin = make_user(container, org, role=Role.ADMIN)
    web_login(http, admin.email, admin.password)
    page = http.get(f"/organizations/{org.id}")
    assert "Add a member" in page.text
    assert 'name="password"' not in page.text  # the invited person chooses their own
    added = http.post(
        f"/organizations/{org.id}/users",
        data={"email": "jordan@example.org", "role": "admin", "csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert added.status_code == 200
    assert "Invitation sent to jordan@example.org." in added.text
    assert "jordan@example.org</td><td>admin</td>" in added.text  # listed as pending, with its role
    revoked = http.post(
        _revoke_action(added.text),
        data={"csrf_token": csrf_from(added.text)},
        follow_redirects=True,
    )
    assert "Invitation to jordan@example.org revoked." in revoked.text
    assert "No pending invitations." in revoked.text
    own = http.post(
        f"/organizations/{org.id}/users",
        data={"email": admin.email.upper(), "role": "member", "csrf_token": csrf_from(page.text)},
        follow_redirects=True,
    )
    assert "is already a member of this organization" in own.text


def _revoke_action(html: str) -> str:
    match = re.search(r'action="(/organizations/[^"]+/invitations/[^"]+/revoke)"', html)
    assert match, "the page offers a Revoke button"
    return match.group(1)


def test_member_cannot_open_pages_above_their_role(container: Container, http: httpx.Client) -> None:
    org = make_org(container, OrgKind.AGENCY)
    other = make_org(container, OrgKind.DEVELOPER)
    member = make_user(container, org)
    web_login(http, member.email, member.password)
    assert http.get("/audit").status_code == 403
    assert http.get(f"/organizations/{other.id}").status_code == 403
    missing = http.get("/organizations/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]
    assert "Add a member" not in http.get(f"/organizations/{org.id}").text


def test_logout_ends_the_session(container: Container, http: httpx.Client) -> None:
    org = make_org(container, OrgKind.AGENCY)
    person = make_user(container, org)
    web_login(http, person.email, person.password)
    page = http.get("/")
    assert http.post("/logout", data={"csrf_token": csrf_from(page.text)}).status_code == 303
    assert http.get("/").status_code == 303
    assert "identity:logout" in _actions(container, "identity:logout")


def test_login_redirect_stays_on_this_site(container: Container, http: httpx.Client) -> None:
    org = make_org(container, OrgKind.AGENCY)
    person = make_user(container, org)
    page = http.get("/login")
    response = http.post(
        "/login",
        data={"email": person.email, "password": person.password, "next": "//evil.example/", "csrf_token": csrf_from(page.text)},
    )
    assert response.headers["location"] == "/"


def test_health_docs_and_openapi(http: httpx.Client) -> None:
    assert http.get("/healthz").json() == {"status": "ok"}
    assert http.get("/readyz").json()["status"] == "ready"
    spec = http.get("/api/v1/openapi.json").json()
    assert "/api/v1/organizations" in spec["paths"] and "/api/v1/audit/entries" in spec["paths"]
    docs = http.get("/api/v1/docs")
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in docs.text
    assert http.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
    assert http.get("/static/vendor/htmx-2.0.11.min.js").status_code == 200


def test_operator_adds_an_organization_and_oversees_the_audit_log(container: Container, http: httpx.Client) -> None:
    from tests.factories.identity import make_superuser

    root = make_superuser(container)
    web_login(http, root.email, root.password)
    home = http.get("/")
    assert "Audit chain" in home.text and "intact" in home.text
    page = http.get("/organizations")
    created = http.post(
        "/organizations",
        data={
            "name": "First Federal Bank",
            "kind": "partner",
            "sector": "financial_services",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=True,
    )
    assert created.status_code == 200
    assert "First Federal Bank" in created.text and "Financial services" in created.text
    refused = http.post(
        "/organizations", data={"name": "Bank Two", "kind": "partner", "csrf_token": csrf_from(page.text)}, follow_redirects=True
    )
    assert "needs its critical-infrastructure sector" in refused.text
    audit_page = http.get("/audit", params={"action": "identity:organization"})
    assert audit_page.status_code == 200
    assert "identity:organization:created" in audit_page.text and "intact" in audit_page.text
    signed = http.post("/audit/checkpoints", data={"csrf_token": csrf_from(audit_page.text)}, follow_redirects=True)
    assert "Checkpoint signed at entry" in signed.text
    export = http.get("/audit/export.jsonl")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/jsonl")
    assert len(export.text.splitlines()) >= 3


def test_too_many_attempts_from_one_address_are_throttled_and_audited(settings: Settings, clock: FrozenClock) -> None:
    from tests.live import serve

    tight = build_container(settings.model_copy(update={"login_ip_max_attempts": 3}), clock=clock)
    try:
        org = make_org(tight, OrgKind.AGENCY)
        person = make_user(tight, org)
        with serve(tight) as url, httpx.Client(base_url=url) as client:
            for _ in range(3):
                assert web_login(client, "someone@example.org", "guessing a password").status_code == 401
            throttled = web_login(client, person.email, person.password)
            assert throttled.status_code == 429
            assert "Too many sign-in attempts" in throttled.text
        assert "identity:login:throttled" in _actions(tight, "identity:login")
    finally:
        tight.close()


def test_admin_unlocks_a_locked_member_and_sessions_can_be_ended_everywhere(container: Container, base_url: str) -> None:
    org = make_org(container, OrgKind.AGENCY)
    admin = make_user(container, org, role=Role.ADMIN)
    member = make_user(container, org)
    with httpx.Client(base_url=base_url) as attacker:
        for _ in range(container.settings.login_max_failures):
            web_login(attacker, member.email, "wrong wrong wrong")
        assert web_login(attacker, member.email, member.password).status_code == 401
    with httpx.Client(base_url=base_url) as admin_browser:
        web_login(admin_browser, admin.email, admin.password)
        page = admin_browser.get(f"/organizations/{org.id}")
        assert "Unlock" in page.text
        unlocked = admin_browser.post(
            f"/users/{member.user.id}/unlock", data={"csrf_token": csrf_from(page.text), "back": f"/organizations/{org.id}"}
        )
        assert unlocked.status_code == 303
    assert "identity:user:unlocked" in _actions(container, "identity:user:unlocked")
    with httpx.Client(base_url=base_url) as laptop, httpx.Client(base_url=base_url) as stolen:
        assert web_login(laptop, member.email, member.password).status_code == 303
        stolen.cookies = laptop.cookies  # a copied session cookie
        assert stolen.get("/account").status_code == 200
        assert confirmed_post(laptop, "/account/sessions/end").status_code == 303
        assert laptop.get("/account").status_code == 200
        assert stolen.get("/account", follow_redirects=False).status_code == 303


def test_secure_cookie_and_hsts_when_configured(settings: Settings, clock: FrozenClock) -> None:
    from tests.live import serve

    secure = build_container(settings.model_copy(update={"cookie_secure": True}), clock=clock)
    try:
        org = make_org(secure, OrgKind.AGENCY)
        person = make_user(secure, org)
        with serve(secure) as url, httpx.Client(base_url=url) as client:
            page = client.get("/login")
            assert page.headers["strict-transport-security"].startswith("max-age=")
            assert "secure" in page.headers["set-cookie"].lower()
            # Over plain HTTP the client rightly withholds a Secure cookie, so the form's CSRF check fails.
            response = client.post(
                "/login", data={"email": person.email, "password": person.password, "csrf_token": csrf_from(page.text)}
            )
            assert response.status_code == 403
    finally:
        secure.close()


def test_readyz_reports_an_unreachable_redis_as_degraded(settings: Settings, clock: FrozenClock) -> None:
    from tests.live import free_port, serve

    broken = build_container(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"}), clock=clock)
    try:
        with serve(broken) as url, httpx.Client(base_url=url) as client:
            response = client.get("/readyz")
            assert response.status_code == 200  # the database decides readiness; Redis is reported
            assert response.json() == {"status": "degraded", "database": "ok", "redis": "unreachable"}
    finally:
        broken.close()
