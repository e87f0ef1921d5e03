"""Adding a member never reveals whether an address has an account (issue 10, item 7): invitations.

Over real HTTP, on SQLite and PostgreSQL: an organization admin gets byte-identical answers for
an address registered elsewhere and a fresh one (REST and web), the invitation link works once,
and used, expired, revoked or overtaken links answer exactly like an unknown one.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import httpx
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.identity.domain import INVITATION_LIFETIME, OrgKind, Role
from frontier_review.identity.orm import Invitation, User
from frontier_review.kernel.clock import FrozenClock
from frontier_review.notifications.orm import OutboundEmail
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.factories.identity import api_token, make_org, make_superuser, make_user

LINK = re.compile(r"/invitations/([A-Za-z0-9_-]{20,})")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _mail_to(container: Container, address: str) -> str:
    with container.sessions() as session:
        return session.scalars(sa.select(OutboundEmail.body).where(OutboundEmail.to_address == address)).one()


def _token_for(container: Container, address: str) -> str:
    match = LINK.search(_mail_to(container, address))
    assert match, "the invitation mail carries a link"
    return match.group(1)


def _user(container: Container, address: str) -> User | None:
    with container.sessions() as session:
        return session.scalars(sa.select(User).where(User.email == address)).one_or_none()


def _blank(text: str, *values: str) -> str:
    for value in values:
        text = text.replace(value, "<blank>")
    return UUID.sub("<id>", text)


def test_an_admin_gets_the_same_answer_whether_or_not_the_address_has_an_account(
    container: Container, http: httpx.Client
) -> None:
    dev = make_org(container, OrgKind.DEVELOPER)
    elsewhere = make_org(container, OrgKind.AGENCY)
    admin = make_user(container, dev, role=Role.ADMIN)
    elsewhere_admin = make_user(container, elsewhere, role=Role.ADMIN)
    taken = make_user(container, elsewhere, email="taken@example.org")
    taken_web = make_user(container, elsewhere, email="taken-web@example.org")
    before = _user(container, taken.email)
    assert before is not None
    auth = bearer(api_token(container, admin))

    # REST: the same status, headers and body (modulo the id and the address).
    answers = [
        http.post(f"/api/v1/organizations/{dev.id}/users", json={"email": address, "role": "admin"}, headers=auth)
        for address in (taken.email, "fresh@example.org")
    ]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].headers["content-type"] == answers[1].headers["content-type"]
    assert _blank(answers[0].text, taken.email) == _blank(answers[1].text, "fresh@example.org")
    listed = http.get(f"/api/v1/organizations/{dev.id}/invitations", headers=auth).json()
    assert sorted(i["email"] for i in listed) == ["fresh@example.org", taken.email]

    # Web: the redirect and the page after it are the same too.
    assert web_login(http, admin.email, admin.password).status_code == 303
    pages = []
    for address in (taken_web.email, "fresh-web@example.org"):
        http.cookies.clear()
        assert web_login(http, admin.email, admin.password).status_code == 303
        form = http.get(f"/organizations/{dev.id}")
        sent = http.post(
            f"/organizations/{dev.id}/users", data={"email": address, "role": "member", "csrf_token": csrf_from(form.text)}
        )
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/organizations/{dev.id}"
        page = http.get(sent.headers["location"])
        assert f"Invitation sent to {address}." in page.text
        # Each page lists this address among the pending invitations (the first is withdrawn
        # before the second is sent, so both pages list as many).
        pages.append(_blank(page.text, address, csrf_from(page.text)))
        pending = http.get(f"/api/v1/organizations/{dev.id}/invitations", headers=auth).json()
        mine = next(i["id"] for i in pending if i["email"] == address)
        assert http.delete(f"/api/v1/invitations/{mine}", headers=auth).status_code == 200
    assert pages[0] == pages[1]

    # Nothing about the existing accounts changed.
    after = _user(container, taken.email)
    assert after is not None
    assert (after.organization_id, after.password_hash, after.role, after.version) == (
        before.organization_id,
        before.password_hash,
        before.role,
        before.version,
    )
    # The mail tells the owner of the existing account, with no link; the fresh address gets its link.
    assert "already has a Frontier Review account" in _mail_to(container, taken.email)
    assert not LINK.search(_mail_to(container, taken.email))
    assert LINK.search(_mail_to(container, "fresh@example.org"))

    # The audit log records the truth, but only where the directory's keepers read it: the
    # inviter's organization log shows one alike entry per invitation, the other organization's nothing.
    mine = http.get("/api/v1/audit/entries", params={"limit": 500}, headers=auth).json()
    assert not {e["action"] for e in mine} & {"identity:invitation:sent", "identity:invitation:not_applicable"}
    created = [e for e in mine if e["action"] == "identity:invitation:created"]
    assert len(created) == 4
    assert len({(tuple(sorted(e["details"])), e["outcome"], e["reason"]) for e in created}) == 1
    theirs = http.get(
        "/api/v1/audit/entries", params={"limit": 500}, headers=bearer(api_token(container, elsewhere_admin))
    ).json()
    assert not [e for e in theirs if e["action"].startswith("identity:invitation")]
    root = bearer(api_token(container, make_superuser(container)))
    truth = http.get("/api/v1/audit/entries", params={"action": "identity:invitation:", "limit": 500}, headers=root).json()
    emails = {e["target"]["id"]: e["details"]["email"] for e in created}
    outcomes = {
        emails[e["target"]["id"]]: e["action"]
        for e in truth
        if e["action"] in {"identity:invitation:sent", "identity:invitation:not_applicable"}
    }
    assert outcomes == {
        taken.email: "identity:invitation:not_applicable",
        taken_web.email: "identity:invitation:not_applicable",
        "fresh@example.org": "identity:invitation:sent",
        "fresh-web@example.org": "identity:invitation:sent",
    }


def test_an_invitation_link_works_once_and_is_stored_only_as_a_digest(container: Container, http: httpx.Client) -> None:
    agency = make_org(container, OrgKind.AGENCY, name="Cyber Agency")
    admin = make_user(container, agency, role=Role.ADMIN)
    auth = bearer(api_token(container, admin))
    sent = http.post(f"/api/v1/organizations/{agency.id}/users", json={"email": "Jordan@Example.org"}, headers=auth)
    assert sent.status_code == 202, sent.text
    token = _token_for(container, "jordan@example.org")
    with container.sessions() as session:
        row = session.scalars(sa.select(Invitation)).one()
        stored = [str(v) for v in session.execute(sa.select(*Invitation.__table__.columns)).one()]
    assert row.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in value for value in stored)

    with httpx.Client(base_url=str(http.base_url), follow_redirects=False) as invitee:
        page = invitee.get(f"/invitations/{token}")
        assert page.status_code == 200
        assert "Cyber Agency" in page.text and "jordan@example.org" in page.text
        csrf = csrf_from(page.text)
        weak = invitee.post(
            f"/invitations/{token}",
            data={"full_name": "Jordan Blake", "password": "short", "password_again": "short", "csrf_token": csrf},
        )
        # Shown again with the name kept, the rule next to the password, and no password sent back.
        assert weak.status_code == 422, weak.text
        assert "12" in weak.text
        assert 'value="Jordan Blake"' in weak.text
        assert "short" not in weak.text
        differ = invitee.post(
            f"/invitations/{token}",
            data={
                "full_name": "Jordan Blake",
                "password": "a long enough password",
                "password_again": "another long password",
                "csrf_token": csrf,
            },
        )
        assert differ.status_code == 422
        assert "the two passwords differ" in differ.text
        assert "long enough password" not in differ.text and "another long password" not in differ.text
        assert _user(container, "jordan@example.org") is None
        done = invitee.post(
            f"/invitations/{token}",
            data={
                "full_name": "Jordan Blake",
                "password": "a long enough password",
                "password_again": "a long enough password",
                "csrf_token": csrf,
            },
        )
        assert done.status_code == 303 and done.headers["location"] == "/login"
        assert web_login(invitee, "jordan@example.org", "a long enough password").status_code == 303
        me = invitee.get("/")
        assert me.status_code == 200 and "Jordan Blake" in me.text

    user = _user(container, "jordan@example.org")
    assert user is not None
    assert (user.organization_id, user.role, user.cleared) == (agency.id, "member", False)
    with httpx.Client(base_url=str(http.base_url), follow_redirects=True) as again:
        assert again.get(f"/invitations/{token}").status_code == 404
        page = again.get("/login")
        replay = again.post(
            f"/invitations/{token}",
            data={
                "full_name": "Someone Else",
                "password": "a long enough password",
                "password_again": "a long enough password",
                "csrf_token": csrf_from(page.text),
            },
        )
        assert replay.status_code == 404
    assert http.get(f"/api/v1/organizations/{agency.id}/invitations", headers=auth).json() == []
    with container.sessions() as session:
        actions = set(session.scalars(sa.select(AuditEntry.action).where(AuditEntry.target_id == str(row.id))))
        denied = session.scalars(
            sa.select(AuditEntry.reason).where(AuditEntry.action == "identity:invitation:accept", AuditEntry.outcome == "denied")
        ).all()
    assert {"identity:invitation:created", "identity:invitation:sent", "identity:invitation:accepted"} <= actions
    assert denied == ["invitation already used"]


def test_expired_revoked_and_overtaken_links_answer_like_an_unknown_one(
    container: Container, clock: FrozenClock, http: httpx.Client
) -> None:
    dev = make_org(container, OrgKind.DEVELOPER)
    admin = make_user(container, dev, role=Role.ADMIN)
    auth = bearer(api_token(container, admin))
    root = make_superuser(container)
    for address in ("revoked@example.org", "overtaken@example.org", "expired@example.org", "resent@example.org"):
        sent = http.post(f"/api/v1/organizations/{dev.id}/users", json={"email": address}, headers=auth)
        assert sent.status_code == 202, sent.text
    tokens = {address: _token_for(container, address) for address in ("revoked@example.org", "overtaken@example.org")}
    invitation = next(
        i
        for i in http.get(f"/api/v1/organizations/{dev.id}/invitations", headers=auth).json()
        if i["email"] == "revoked@example.org"
    )
    revoked = http.delete(f"/api/v1/invitations/{invitation['id']}", headers=auth)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    # An operator creates the account directly in the meantime (operators keep that path).
    made = http.post(
        f"/api/v1/organizations/{make_org(container, OrgKind.AGENCY).id}/users",
        json={"email": "overtaken@example.org", "full_name": "Over Taken", "password": "a long enough password"},
        headers=bearer(api_token(container, root)),
    )
    assert made.status_code == 201, made.text
    # Sending again replaces the pending invitation: the first link stops working.
    first_resent = _token_for(container, "resent@example.org")
    assert (
        http.post(f"/api/v1/organizations/{dev.id}/users", json={"email": "resent@example.org"}, headers=auth).status_code == 202
    )
    tokens["resent@example.org"] = first_resent

    def answer(token: str) -> tuple[int, str]:
        with httpx.Client(base_url=str(http.base_url)) as stranger:
            response = stranger.get(f"/invitations/{token}")
        return response.status_code, response.text

    unknown = answer("x" * 43)
    assert unknown[0] == 404
    for address, token in tokens.items():
        assert answer(token) == unknown, address
    expiring = _token_for(container, "expired@example.org")
    assert answer(expiring)[0] == 200
    clock.advance(INVITATION_LIFETIME + timedelta(seconds=1))
    assert answer(expiring) == unknown
    assert http.get(f"/api/v1/organizations/{dev.id}/invitations", headers=auth).json() == []


def test_bad_input_and_direct_creation_are_clear_and_write_nothing(container: Container, http: httpx.Client) -> None:
    dev = make_org(container, OrgKind.DEVELOPER)
    admin = make_user(container, dev, role=Role.ADMIN)
    member = make_user(container, dev)
    auth = bearer(api_token(container, admin))
    url = f"/api/v1/organizations/{dev.id}/users"
    # The admin-chosen password path is gone: refused whatever the address, before it is looked at.
    for address in ("new@example.org", member.email):
        body = assert_problem(
            http.post(
                url, json={"email": address, "full_name": "New Person", "password": "a long enough password"}, headers=auth
            ),
            403,
        )
        assert "invitation" in str(body["detail"])
    assert_problem(http.post(url, json={"email": "new@example.org", "full_name": "New Person"}, headers=auth), 422, field="body")
    assert_problem(http.post(url, json={"email": "new@example.org", "cleared": True}, headers=auth), 422, field="cleared")
    assert_problem(http.post(url, json={"email": "not an address"}, headers=auth), 422, field="email")
    assert_problem(http.post(url, json={"email": "new@example.org", "role": "owner"}, headers=auth), 422, field="role")
    # Its own members are the admin's to see: that one is named.
    assert_problem(http.post(url, json={"email": member.email.upper()}, headers=auth), 409, field="email")
    with container.sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(OutboundEmail)) == 0
    # Operators still create accounts directly, and learn about duplicates (they hold the directory).
    root = bearer(api_token(container, make_superuser(container)))
    payload = {"email": "direct@example.org", "full_name": "Direct Person", "password": "a long enough password"}
    created = http.post(url, json=payload, headers=root)
    assert created.status_code == 201 and created.json()["email"] == "direct@example.org"
    assert "password" not in created.text
    assert_problem(http.post(url, json=payload, headers=root), 409, field="email")
    assert_problem(
        http.post(url, json={**payload, "email": "weak@example.org", "password": "short"}, headers=root), 422, field="password"
    )
