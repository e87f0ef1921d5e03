"""Signing in and out: passwords, lockouts, server-side web sessions and the principal of a session."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update

from frontier_review.audit import service as audit
from frontier_review.audit.domain import Outcome
from frontier_review.db.uow import PendingDenial, UnitOfWork
from frontier_review.identity.domain import (
    LoginThrottle,
    OrgKind,
    Role,
    normalise_email,
)
from frontier_review.identity.orm import Organization, User, WebSession
from frontier_review.identity.tags import IdentityTag
from frontier_review.kernel.errors import NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.principal import AuthMethod, Principal
from frontier_review.security import passwords

LOGIN_FAILED_MESSAGE = "Email or password is incorrect, or the account is locked for a while after repeated failures."


def check_password(password: str, field: str = "password") -> None:
    """Raise ValidationFailed naming ``field`` when ``password`` breaks the password rules."""
    problem = passwords.password_problem(password)
    if problem:
        raise ValidationFailed(problem, field=field)


def principal_for(user: User, org: Organization | None, method: AuthMethod, token_id: uuid.UUID | None = None) -> Principal:
    """The principal a signed-in person acts as (through a session or an API token)."""
    return Principal(
        user_id=user.id,
        org_id=user.organization_id,
        org_kind=OrgKind(org.kind) if org else None,
        role=Role(user.role),
        cleared=user.cleared,
        is_superuser=user.is_superuser,
        label=user.email,
        method=method,
        token_id=token_id,
    )


@dataclass(frozen=True)
class LoginResult:
    """A successful login: who, and the key of the new server-side session (for the cookie)."""

    principal: Principal
    session_key: str


@dataclass(frozen=True)
class LoginFailed:
    """A refused login. Not an exception: the failure is recorded and counted, and that must commit."""

    message: str = LOGIN_FAILED_MESSAGE


def _failed(uow: UnitOfWork, user: User | None, label: str, reason: str, outcome: Outcome = Outcome.FAILURE) -> LoginFailed:
    audit.append(
        uow,
        actor_label=label,
        actor_user_id=user.id if user else None,
        actor_org_id=user.organization_id if user else None,
        action=IdentityTag.LOGIN_FAILED,
        outcome=outcome,
        reason=reason,
        target_type="user" if user else None,
        target_id=str(user.id) if user else None,
    )
    return LoginFailed()


def login(uow: UnitOfWork, *, email: str, password: str) -> LoginResult | LoginFailed:
    """Check a password login; every outcome is audited and failures count toward lockout.

    Unknown users, wrong passwords and locked accounts get the same answer, and an unknown
    user still costs one argon2 verification, so neither the message nor the timing tells
    whether an account exists.

    Failures are counted with one atomic ``UPDATE … SET failed_logins = failed_logins + 1
    RETURNING``, and a success only clears the counter if no lockout began meanwhile (a
    conditional ``UPDATE``), so parallel guesses cannot race past the limit on either database.
    """
    throttle = LoginThrottle(uow.settings.login_max_failures, timedelta(seconds=uow.settings.login_lockout_seconds))
    now = uow.clock.now()
    try:
        clean = normalise_email(email)
    except ValidationFailed:
        # Still audited under what was typed, minus anything that is not valid text.
        clean = email.encode("utf-8", "replace").decode("utf-8").strip().lower()[:320]
    user = uow.session.scalar(select(User).where(User.email == clean))
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        return _failed(uow, None, clean or "(empty)", "unknown user")
    org = uow.session.get(Organization, user.organization_id) if user.organization_id else None
    ok = passwords.verify_password(user.password_hash, password)
    if throttle.is_locked(user.locked_until, now):
        return _failed(uow, user, user.email, "account locked", Outcome.DENIED)
    if not ok or not user.is_active:
        failures = uow.session.execute(
            update(User)
            .where(User.id == user.id)
            .values(failed_logins=User.failed_logins + 1)
            .returning(User.failed_logins)
            .execution_options(synchronize_session=False)
        ).scalar_one()
        refused = _failed(uow, user, user.email, "wrong password" if not ok else "account deactivated")
        if throttle.locks_after(failures):
            locked_until = now + throttle.lockout
            uow.session.execute(
                update(User)
                .where(User.id == user.id)
                .values(failed_logins=0, locked_until=locked_until)
                .execution_options(synchronize_session=False)
            )
            audit.append(
                uow,
                actor_label=user.email,
                actor_user_id=user.id,
                actor_org_id=user.organization_id,
                action=IdentityTag.LOGIN_LOCKED,
                outcome=Outcome.DENIED,
                reason=f"{throttle.max_failures} failed attempts",
                target_type="user",
                target_id=str(user.id),
                details={"locked_until": locked_until.isoformat()},
            )
        return refused
    # Clear the counter only if no parallel failure locked the account since it was read.
    cleared = uow.session.execute(
        update(User)
        .where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=0, locked_until=None, last_login_at=now)
        .execution_options(synchronize_session=False)
    )
    if cleared.rowcount != 1:  # type: ignore[attr-defined]
        return _failed(uow, user, user.email, "account locked", Outcome.DENIED)
    uow.session.refresh(user)
    if passwords.needs_rehash(user.password_hash) and passwords.password_problem(password) is None:
        user.password_hash = passwords.hash_password(password)
    principal = principal_for(user, org, AuthMethod.SESSION)
    key = _start_session(uow, user, now)
    audit.record(uow, principal, IdentityTag.LOGIN_SUCCEEDED, target_type="user", target_id=user.id)
    return LoginResult(principal=principal, session_key=key)


def _session_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _start_session(uow: UnitOfWork, user: User, now: datetime) -> str:
    # Drop this user's finished sessions, so the table holds live ones (and recent history) only.
    uow.session.execute(
        delete(WebSession).where(
            WebSession.user_id == user.id, or_(WebSession.ended_at.is_not(None), WebSession.expires_at <= now)
        )
    )
    key = secrets.token_urlsafe(32)
    uow.session.add(
        WebSession(
            id=new_id(),
            user_id=user.id,
            key_digest=_session_digest(key),
            created_at=now,
            expires_at=now + timedelta(seconds=uow.settings.session_max_age_seconds),
        )
    )
    uow.session.flush()
    return key


def end_all_sessions(uow: UnitOfWork, user_id: uuid.UUID) -> int:
    """End every live session of ``user_id``."""
    stmt = update(WebSession).where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
    result = uow.session.execute(stmt.values(ended_at=uow.clock.now()).execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


def record_throttled_login(uow: UnitOfWork, *, email: str, client: str) -> None:
    """Audit a sign-in refused because its client address tried too often."""
    label = email.encode("utf-8", "replace").decode("utf-8").strip().lower()[:320] or "(empty)"
    audit.append(
        uow,
        actor_label=label,
        actor_user_id=None,
        actor_org_id=None,
        action=IdentityTag.LOGIN_THROTTLED,
        outcome=Outcome.DENIED,
        reason="too many sign-in attempts from this address",
        details={"client": client},
    )


def sign_out_everywhere(uow: UnitOfWork, principal: Principal) -> str:
    """End every session of the principal's user, copies of this browser's cookie included.

    The caller stays signed in through a fresh session, whose key is returned for the cookie.
    """
    if principal.user_id is None:
        raise ValidationFailed("only a user has sessions", field="user")
    user = uow.session.get(User, principal.user_id)
    if user is None:
        raise NotFound("user not found")
    ended = end_all_sessions(uow, user.id)
    key = _start_session(uow, user, uow.clock.now())
    audit.record(uow, principal, IdentityTag.SESSIONS_ENDED, target_type="user", target_id=user.id, details={"ended": ended})
    return key


def end_session(uow: UnitOfWork, principal: Principal | None, *, session_key: str | None) -> None:
    """Sign out: end this session server-side, so a copy of its cookie stops working, and audit it.

    Args:
        uow: the unit of work.
        principal: who the session belonged to, or None when it had already ended.
        session_key: the key from the session cookie.
    """
    if session_key:
        uow.session.execute(
            update(WebSession)
            .where(WebSession.key_digest == _session_digest(session_key), WebSession.ended_at.is_(None))
            .values(ended_at=uow.clock.now())
            .execution_options(synchronize_session=False)
        )
    if principal is not None:
        audit.record(uow, principal, IdentityTag.LOGOUT, target_type="user", target_id=principal.user_id)


def principal_for_session(uow: UnitOfWork, *, session_key: str) -> Principal | None:
    """The principal of a session cookie's key, or None if the session ended or expired, or the user is gone or inactive."""
    if not session_key or len(session_key) > 200:
        return None
    row = uow.session.scalar(select(WebSession).where(WebSession.key_digest == _session_digest(session_key)))
    if row is None or row.ended_at is not None or uow.clock.now() >= row.expires_at:
        return None
    return principal_for_user(uow, user_id=row.user_id)


def principal_for_user(uow: UnitOfWork, *, user_id: uuid.UUID) -> Principal | None:
    """The principal of an active user as a session would see it (jobs, the demo and tests act as people)."""
    user = uow.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    org = uow.session.get(Organization, user.organization_id) if user.organization_id else None
    return principal_for(user, org, AuthMethod.SESSION)


def change_password(uow: UnitOfWork, principal: Principal, *, current_password: str, new_password: str) -> str:
    """Change one's own password.

    Every session ends (copies of this browser's cookie too); the caller continues in a fresh
    session, whose key is returned for the cookie.
    """
    if principal.user_id is None:
        raise ValidationFailed("only a user has a password", field="current_password")
    user = uow.session.get(User, principal.user_id)
    if user is None:
        raise NotFound("user not found")
    if not passwords.verify_password(user.password_hash, current_password):
        # A wrong guess is a refusal: audited after the rollback, like every denial, so the
        # adapters need not catch the error inside the unit of work to keep the record.
        uow.denials.append(
            PendingDenial(
                actor_label=principal.label,
                actor_user_id=principal.user_id,
                actor_org_id=principal.org_id,
                permission=IdentityTag.PASSWORD_CHANGE,
                reason="wrong current password",
                target_type="user",
                target_id=str(user.id),
            )
        )
        raise ValidationFailed("current password is incorrect", field="current_password")
    check_password(new_password, "new_password")
    if new_password == current_password:
        raise ValidationFailed("the new password must differ from the current one", field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    user.session_epoch += 1
    end_all_sessions(uow, user.id)
    key = _start_session(uow, user, uow.clock.now())
    audit.record(uow, principal, IdentityTag.PASSWORD_CHANGED, target_type="user", target_id=user.id)
    return key
