"""Clearance by construction: only cleared program-office admins grant it; operators cannot take a cleared account over."""

from __future__ import annotations

import httpx
import sqlalchemy as sa

from frontier_review.audit.orm import AuditEntry
from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.identity.orm import Invitation, User
from tests.api.helpers import assert_problem, bearer, csrf_from, web_login
from tests.cli import run_cli
from tests.factories.identity import api_token, make_org, make_superuser, make_user

NEW_USER = {"full_name": "Lee Cleared", "password": "long enough password", "cleared": True}
INVITE = {"email": "invited@example.org", "cleared": True}


def _cleared(container: Container, email: str) -> bool | None:
    with container.sessions() as session:
        return session.scalar(sa.select(User.cleared).where(User.email == email))


def test_operator_cannot_create_clear_or_take_over_a_cleared_account(container: Container, http: httpx.Client) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    director = make_user(container, po, role=Role.ADMIN, cleared=True)
    analyst = make_user(container, po, cleared=True)
    staff = make_user(container, po)
    root = bearer(api_token(container, make_superuser(container)))

    # Accounts are never created cleared (there is no such field), directly or by invitation.
    created = http.post(f"/api/v1/organizations/{po.id}/users", json={**NEW_USER, "email": "x@example.org"}, headers=root)
    assert_problem(created, 422, field="cleared")
    assert_problem(http.post(f"/api/v1/organizations/{po.id}/users", json=INVITE, headers=root), 422, field="cleared")
    assert _cleared(container, "x@example.org") is None
    assert_problem(http.patch(f"/api/v1/users/{staff.user.id}", json={"cleared": True}, headers=root), 403)
    # Deactivate-then-reactivate, a role change or an unlock would let the operator reshape the account.
    for body in ({"is_active": False}, {"role": "admin"}, {"cleared": False}):
        assert_problem(http.patch(f"/api/v1/users/{analyst.user.id}", json=body, headers=root), 403)
    assert_problem(http.post(f"/api/v1/users/{analyst.user.id}/unlock", headers=root), 403)
    # The operator's CLI can neither mint the account a token nor create a cleared user.
    token = run_cli(container, "admin", "issue-token", "--email", analyst.email, "--name", "takeover")
    assert token.returncode == 1, token.stdout
    assert "only the holder of a cleared account" in token.stderr
    assert "frt_" not in token.stdout
    create = run_cli(
        container, "admin", "create-user", "--org", str(po.id), "--email", "y@example.org", "--full-name", "Y Y", "--cleared"
    )
    assert create.returncode != 0
    assert _cleared(container, "y@example.org") is None

    # The cleared admin grants and removes clearance for their own staff, audited under their name.
    auth = bearer(api_token(container, director))
    assert http.patch(f"/api/v1/users/{staff.user.id}", json={"cleared": True}, headers=auth).json()["cleared"] is True
    # Even the cleared admin cannot bring someone in already cleared: invite, then clear.
    assert_problem(http.post(f"/api/v1/organizations/{po.id}/users", json=INVITE, headers=auth), 422, field="cleared")
    assert http.patch(f"/api/v1/users/{analyst.user.id}", json={"is_active": False}, headers=auth).status_code == 200
    with container.sessions() as session:
        actors = session.scalars(
            sa.select(AuditEntry.actor_label).where(AuditEntry.action == "identity:user:updated").order_by(AuditEntry.seq)
        ).all()
        denied = session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "identity:user:set_cleared", AuditEntry.outcome == "denied")
        )
    # The analyst's clearance (granted when the factory made them), the grant above, the deactivation.
    assert actors == [director.email] * 3
    assert denied == 2  # the operator's grant and removal attempts


def test_web_forms_do_not_offer_clearance_to_the_operator(container: Container, http: httpx.Client) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE)
    director = make_user(container, po, role=Role.ADMIN, cleared=True)
    staff = make_user(container, po)
    root = make_superuser(container)
    assert web_login(http, root.email, root.password).status_code == 303
    page = http.get(f"/organizations/{po.id}")
    assert page.status_code == 200
    assert 'name="cleared"' not in page.text
    # The operator still manages uncleared staff, but gets no controls for the cleared account.
    assert f'action="/users/{staff.user.id}"' in page.text
    assert f'action="/users/{director.user.id}"' not in page.text
    assert "managed by a cleared admin" in page.text
    forged = http.post(
        f"/organizations/{po.id}/users",
        data={"email": "forged@example.org", "role": "member", "cleared": "true", "csrf_token": csrf_from(page.text)},
    )
    # The form adds by invitation, and an invitation carries no clearance (no such column).
    assert forged.status_code == 303
    assert "Invitation sent to forged@example.org" in http.get(forged.headers["location"]).text
    assert "cleared" not in Invitation.__table__.columns
    assert _cleared(container, "forged@example.org") is None


def test_bootstrap_cleared_runs_once_and_is_audited(container: Container) -> None:
    po = make_org(container, OrgKind.PROGRAM_OFFICE, name="Program Office")
    dev = make_org(container, OrgKind.DEVELOPER, name="Some Lab")
    args = ("admin", "bootstrap-cleared", "--full-name", "Dana Whitfield", "--password", "a long cleared password")
    wrong_org = run_cli(container, *args, "--org", "Some Lab", "--email", "dana@example.org")
    assert wrong_org.returncode == 1
    assert "program-office" in wrong_org.stderr
    first = run_cli(container, *args, "--org", "program office", "--email", "dana@example.org")
    assert first.returncode == 0, first.stderr
    again = run_cli(container, *args, "--org", str(po.id), "--email", "eve@example.org")
    assert again.returncode == 1
    assert "already has a cleared account" in again.stderr
    assert _cleared(container, "dana@example.org") is True
    assert _cleared(container, "eve@example.org") is None
    with container.sessions() as session:
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "identity:cleared_admin:bootstrapped")).one()
    assert entry.actor_label == "system:bootstrap-cleared"
    assert entry.details["organization_id"] == str(po.id)
    assert str(dev.id) not in str(entry.details)
