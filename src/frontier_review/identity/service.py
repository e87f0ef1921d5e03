"""Identity use cases. Each authorizes, changes state and audits in the caller's transaction."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from frontier_review.audit import service as audit
from frontier_review.audit.domain import Outcome
from frontier_review.db.uow import PendingDenial, UnitOfWork
from frontier_review.identity.domain import (
    LoginThrottle,
    OrgKind,
    OrgRef,
    Role,
    Sector,
    TokenRef,
    UserRef,
    check_sector,
    name_key,
    normalise_email,
    normalise_name,
)
from frontier_review.identity.orm import ApiToken, Organization, User, WebSession
from frontier_review.identity.tags import IdentityTag
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, Principal
from frontier_review.policies import authorize, decide
from frontier_review.security import passwords, tokens

__all__ = [
    "LOGIN_FAILED_MESSAGE",
    "LoginFailed",
    "LoginResult",
    "OrganizationView",
    "TokenView",
    "UserView",
    "bootstrap_cleared_admin",
    "bootstrap_superuser",
    "change_password",
    "check_password",
    "create_organization",
    "create_user",
    "end_session",
    "find_user_by_email",
    "get_organization",
    "get_user",
    "issue_token",
    "list_organizations",
    "list_tokens",
    "list_users",
    "login",
    "principal_for_session",
    "principal_for_token",
    "principal_for_user",
    "record_throttled_login",
    "revoke_token",
    "sign_out_everywhere",
    "unlock_user",
    "update_user",
]

LOGIN_FAILED_MESSAGE = "Email or password is incorrect, or the account is locked for a while after repeated failures."
TOKEN_LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class OrganizationView:
    """An organization as services hand it to adapters."""

    id: uuid.UUID
    name: str
    kind: OrgKind
    sector: Sector | None
    created_at: datetime
    member_count: int = 0


@dataclass(frozen=True)
class UserView:
    """A user as services hand it to adapters (never the password hash)."""

    id: uuid.UUID
    email: str
    full_name: str
    organization_id: uuid.UUID | None
    organization_name: str | None
    organization_kind: OrgKind | None
    role: Role
    cleared: bool
    is_superuser: bool
    is_active: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    version: int


@dataclass(frozen=True)
class TokenView:
    """An API token's metadata (never its secret)."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    display: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        return "active"


def _org_view(org: Organization, member_count: int = 0) -> OrganizationView:
    return OrganizationView(
        id=org.id,
        name=org.name,
        kind=OrgKind(org.kind),
        sector=Sector(org.sector) if org.sector else None,
        created_at=org.created_at,
        member_count=member_count,
    )


def user_view(user: User, org: Organization | None) -> UserView:
    """The adapters' view of a user row."""
    return UserView(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        organization_id=user.organization_id,
        organization_name=org.name if org else None,
        organization_kind=OrgKind(org.kind) if org else None,
        role=Role(user.role),
        cleared=user.cleared,
        is_superuser=user.is_superuser,
        is_active=user.is_active,
        locked_until=user.locked_until,
        last_login_at=user.last_login_at,
        created_at=user.created_at,
        version=user.version,
    )


def _token_view(token: ApiToken) -> TokenView:
    return TokenView(
        id=token.id,
        user_id=token.user_id,
        name=token.name,
        display=f"{tokens.API_TOKEN_PREFIX}_{token.lookup}_…",
        created_at=token.created_at,
        expires_at=token.expires_at,
        revoked_at=token.revoked_at,
        last_used_at=token.last_used_at,
    )


# Organizations -------------------------------------------------------------------------


def create_organization(
    uow: UnitOfWork, principal: Principal, *, name: str, kind: OrgKind, sector: Sector | None = None
) -> OrganizationView:
    """Create an organization (operators only)."""
    authorize(uow, principal, Permission.ORGANIZATION_CREATE, None)
    clean = normalise_name(name, field="name")
    check_sector(kind, sector)
    key = name_key(clean)
    if uow.session.scalar(select(Organization.id).where(Organization.name_key == key)) is not None:
        raise Conflict(f"an organization named {clean!r} already exists", field="name")
    org = Organization(
        id=new_id(),
        name=clean,
        name_key=key,
        kind=kind.value,
        sector=sector.value if sector else None,
        created_at=uow.clock.now(),
    )
    uow.session.add(org)
    uow.flush_unique(f"an organization named {clean!r} already exists", "name")
    audit.record(
        uow,
        principal,
        IdentityTag.ORGANIZATION_CREATED,
        target_type="organization",
        target_id=org.id,
        details={"name": clean, "kind": kind.value, "sector": org.sector},
    )
    return _org_view(org)


def get_organization_row(uow: UnitOfWork, org_id: uuid.UUID) -> Organization:
    """The organization row (for identity's own modules); raises NotFound."""
    org = uow.session.get(Organization, org_id)
    if org is None:
        raise NotFound(f"organization {org_id} not found")
    return org


def get_organization(uow: UnitOfWork, principal: Principal, org_id: uuid.UUID) -> OrganizationView:
    """One organization the principal may see."""
    org = get_organization_row(uow, org_id)
    authorize(uow, principal, Permission.ORGANIZATION_READ, OrgRef(org.id, OrgKind(org.kind)))
    count = uow.session.scalar(select(func.count()).select_from(User).where(User.organization_id == org.id)) or 0
    return _org_view(org, count)


def list_organizations(uow: UnitOfWork, principal: Principal, *, kind: OrgKind | None = None) -> list[OrganizationView]:
    """Every organization for the program office and operators; one's own otherwise."""
    counts = select(User.organization_id, func.count().label("n")).group_by(User.organization_id).subquery()
    stmt = select(Organization, func.coalesce(counts.c.n, 0)).outerjoin(counts, counts.c.organization_id == Organization.id)
    if not decide(uow, principal, Permission.ORGANIZATION_LIST_ALL, None, uow.clock.now()).allowed:
        if principal.org_id is None:
            return []
        stmt = stmt.where(Organization.id == principal.org_id)
    if kind is not None:
        stmt = stmt.where(Organization.kind == kind.value)
    rows = uow.session.execute(stmt.order_by(Organization.name_key))
    return [_org_view(org, int(n)) for org, n in rows]


# Users ---------------------------------------------------------------------------------


def check_password(password: str, field: str = "password") -> None:
    """Raise ValidationFailed naming ``field`` when ``password`` breaks the password rules."""
    problem = passwords.password_problem(password)
    if problem:
        raise ValidationFailed(problem, field=field)


def create_user(
    uow: UnitOfWork,
    principal: Principal,
    *,
    org_id: uuid.UUID,
    email: str,
    full_name: str,
    password: str,
    role: Role = Role.MEMBER,
) -> UserView:
    """Create an account directly, with a password the caller chose (operators, the CLI, the demo).

    The answer says whether the address already has an account, so only those entitled to the
    whole directory may call this; organization admins invite instead
    (:func:`frontier_review.identity.invitations.invite_member`). A new account is never
    cleared: a cleared program-office admin grants clearance afterwards.

    Raises:
        NotFound: no such organization.
        PermissionDenied: the caller is not an operator.
        ValidationFailed: bad address, name or password.
        Conflict: the address already has an account.
    """
    org = get_organization_row(uow, org_id)
    authorize(uow, principal, Permission.USER_CREATE, OrgRef(org.id, OrgKind(org.kind)))
    clean_email = normalise_email(email)
    clean_name = normalise_name(full_name, field="full_name")
    check_password(password)
    user = new_user(uow, email=clean_email, full_name=clean_name, password=password, org_id=org.id, role=role, cleared=False)
    audit.record(
        uow,
        principal,
        IdentityTag.USER_CREATED,
        target_type="user",
        target_id=user.id,
        details={"email": clean_email, "organization_id": str(org.id), "role": role.value, "cleared": False},
    )
    return user_view(user, org)


def new_user(
    uow: UnitOfWork,
    *,
    email: str,
    full_name: str,
    password: str,
    org_id: uuid.UUID | None,
    role: Role,
    cleared: bool,
    superuser: bool = False,
) -> User:
    """Insert an account row (identity's own modules; callers have authorized and validated)."""
    if uow.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with e-mail {email} already exists", field="email")
    user = User(
        id=new_id(),
        email=email,
        full_name=full_name,
        organization_id=org_id,
        role=role.value,
        cleared=cleared,
        is_superuser=superuser,
        is_active=True,
        password_hash=passwords.hash_password(password),
        session_epoch=1,
        failed_logins=0,
        created_at=uow.clock.now(),
    )
    uow.session.add(user)
    uow.flush_unique(f"a user with e-mail {email} already exists", "email")
    return user


def bootstrap_superuser(uow: UnitOfWork, *, email: str, full_name: str, password: str) -> UserView:
    """Create the first platform operator; refused once any operator exists."""
    if uow.session.scalar(select(func.count()).select_from(User).where(User.is_superuser.is_(True))):
        raise Conflict("the instance already has an operator; ask them to create your account")
    clean_email = normalise_email(email)
    clean_name = normalise_name(full_name, field="full_name")
    check_password(password)
    user = new_user(
        uow,
        email=clean_email,
        full_name=clean_name,
        password=password,
        org_id=None,
        role=Role.ADMIN,
        cleared=False,
        superuser=True,
    )
    audit.record(
        uow,
        Principal.system("bootstrap"),
        IdentityTag.SUPERUSER_CREATED,
        target_type="user",
        target_id=user.id,
        details={"email": clean_email},
    )
    return user_view(user, None)


def bootstrap_cleared_admin(uow: UnitOfWork, *, org_id: uuid.UUID, email: str, full_name: str, password: str) -> UserView:
    """Create the instance's first cleared program-office admin (the ``admin bootstrap-cleared`` command).

    This is the only way a clearance comes into being without a cleared person granting it,
    so it works exactly once: it is refused as soon as any cleared account exists (active
    or not; clearance cannot be removed from the last cleared admin, who cannot change
    their own account). Every later clearance is granted by a cleared program-office admin.

    Args:
        uow: the unit of work.
        org_id: the program office the admin belongs to.
        email: the admin's login address.
        full_name: display name.
        password: initial password; the admin should change it at first sign-in.

    Raises:
        Conflict: a cleared account exists already.
        ValidationFailed: the organization is not a program office, or bad input.
    """
    # Serialise with any concurrent bootstrap: the chain's write lock is held to commit.
    audit.lock_chain(uow)
    if uow.session.scalar(select(func.count()).select_from(User).where(User.cleared.is_(True))):
        raise Conflict("the instance already has a cleared account; a cleared program-office admin grants clearances")
    org = get_organization_row(uow, org_id)
    if OrgKind(org.kind) is not OrgKind.PROGRAM_OFFICE:
        raise ValidationFailed("the first cleared admin must belong to a program-office organization", field="org")
    clean_email = normalise_email(email)
    clean_name = normalise_name(full_name, field="full_name")
    check_password(password)
    user = new_user(uow, email=clean_email, full_name=clean_name, password=password, org_id=org.id, role=Role.ADMIN, cleared=True)
    audit.record(
        uow,
        Principal.system("bootstrap-cleared"),
        IdentityTag.CLEARED_ADMIN_BOOTSTRAPPED,
        target_type="user",
        target_id=user.id,
        details={"email": clean_email, "organization_id": str(org.id)},
    )
    return user_view(user, org)


def _load_user(uow: UnitOfWork, user_id: uuid.UUID) -> tuple[User, Organization | None]:
    user = uow.session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    org = uow.session.get(Organization, user.organization_id) if user.organization_id else None
    return user, org


def _ref(user: User) -> UserRef:
    return UserRef(user.id, user.organization_id, user.is_superuser, cleared=user.cleared)


def get_user(uow: UnitOfWork, principal: Principal, user_id: uuid.UUID) -> UserView:
    """One user the principal may see."""
    user, org = _load_user(uow, user_id)
    authorize(uow, principal, Permission.USER_READ, _ref(user))
    return user_view(user, org)


def find_user_by_email(uow: UnitOfWork, principal: Principal, email: str) -> UserView | None:
    """The user with ``email``, or None (operators only; used by the CLI)."""
    authorize(uow, principal, Permission.USER_LOOKUP, None)
    user = uow.session.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        return None
    org = uow.session.get(Organization, user.organization_id) if user.organization_id else None
    return user_view(user, org)


def list_users(uow: UnitOfWork, principal: Principal, *, org_id: uuid.UUID) -> list[UserView]:
    """Members of an organization (its own people, program-office admins, operators)."""
    org = get_organization_row(uow, org_id)
    authorize(uow, principal, Permission.USER_LIST, OrgRef(org.id, OrgKind(org.kind)))
    users = uow.session.scalars(select(User).where(User.organization_id == org.id).order_by(User.full_name))
    return [user_view(u, org) for u in users]


def update_user(
    uow: UnitOfWork,
    principal: Principal,
    user_id: uuid.UUID,
    *,
    role: Role | None = None,
    is_active: bool | None = None,
    cleared: bool | None = None,
    expected_version: int | None = None,
) -> UserView:
    """Change a user's role, active status or clearance."""
    user, org = _load_user(uow, user_id)
    ref = _ref(user)
    if role is not None or is_active is not None:
        authorize(uow, principal, Permission.USER_UPDATE, ref)
    if cleared is not None:
        authorize(uow, principal, Permission.USER_SET_CLEARED, ref)
    if expected_version is not None and expected_version != user.version:
        raise Conflict("the user was changed by someone else; reload and try again", field="version")
    changes: dict[str, object] = {}
    if role is not None and role.value != user.role:
        changes["role"] = {"from": user.role, "to": role.value}
        user.role = role.value
    if is_active is not None and is_active != user.is_active:
        changes["is_active"] = {"from": user.is_active, "to": is_active}
        user.is_active = is_active
        if not is_active:
            user.session_epoch += 1
            _end_sessions(uow, user.id)  # signs out every session at once; reactivation revives none
    if cleared is not None and cleared != user.cleared:
        changes["cleared"] = {"from": user.cleared, "to": cleared}
        user.cleared = cleared
    if changes:
        uow.session.flush()
        audit.record(
            uow, principal, IdentityTag.USER_UPDATED, target_type="user", target_id=user.id, details={"changes": changes}
        )
    return user_view(user, org)


# Authentication ------------------------------------------------------------------------


def _principal_for(user: User, org: Organization | None, method: AuthMethod, token_id: uuid.UUID | None = None) -> Principal:
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
    principal = _principal_for(user, org, AuthMethod.SESSION)
    key = _start_session(uow, user, now)
    audit.record(uow, principal, IdentityTag.LOGIN_SUCCEEDED, target_type="user", target_id=user.id)
    return LoginResult(principal=principal, session_key=key)


# Sessions ------------------------------------------------------------------------------


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


def _end_sessions(uow: UnitOfWork, user_id: uuid.UUID) -> int:
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


def unlock_user(uow: UnitOfWork, principal: Principal, user_id: uuid.UUID) -> UserView:
    """End a lockout early (the user's organization admins, operators)."""
    user, org = _load_user(uow, user_id)
    authorize(uow, principal, Permission.USER_UPDATE, _ref(user))
    if user.locked_until is not None or user.failed_logins:
        user.locked_until = None
        user.failed_logins = 0
        uow.session.flush()
        audit.record(uow, principal, IdentityTag.USER_UNLOCKED, target_type="user", target_id=user.id)
    return user_view(user, org)


def sign_out_everywhere(uow: UnitOfWork, principal: Principal) -> str:
    """End every session of the principal's user, copies of this browser's cookie included.

    The caller stays signed in through a fresh session, whose key is returned for the cookie.
    """
    if principal.user_id is None:
        raise ValidationFailed("only a user has sessions", field="user")
    user = uow.session.get(User, principal.user_id)
    if user is None:
        raise NotFound("user not found")
    ended = _end_sessions(uow, user.id)
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
    return _principal_for(user, org, AuthMethod.SESSION)


def principal_for_token(uow: UnitOfWork, plaintext: str) -> Principal | None:
    """The principal of a bearer token, or None when it is unknown, expired or revoked."""
    if not tokens.looks_like_token(plaintext):
        return None
    token = uow.session.scalar(select(ApiToken).where(ApiToken.token_digest == tokens.digest_token(plaintext)))
    now = uow.clock.now()
    if token is None or token.revoked_at is not None or now >= token.expires_at:
        return None
    user = uow.session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    # Recording every use would turn each API read into a write; minute resolution is enough.
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_LAST_USED_RESOLUTION:
        token.last_used_at = now
    org = uow.session.get(Organization, user.organization_id) if user.organization_id else None
    return _principal_for(user, org, AuthMethod.TOKEN, token.id)


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
    _end_sessions(uow, user.id)
    key = _start_session(uow, user, uow.clock.now())
    audit.record(uow, principal, IdentityTag.PASSWORD_CHANGED, target_type="user", target_id=user.id)
    return key


# API tokens ----------------------------------------------------------------------------


def issue_token(
    uow: UnitOfWork, principal: Principal, *, user_id: uuid.UUID, name: str, expires_in_days: int | None = None
) -> tuple[TokenView, str]:
    """Mint a token for ``user_id``; the plaintext is returned once and never stored."""
    user, _org = _load_user(uow, user_id)
    authorize(uow, principal, Permission.TOKEN_ISSUE, _ref(user))
    if not user.is_active:
        raise ValidationFailed("the user is deactivated", field="user_id")
    clean_name = normalise_name(name, field="name", max_length=100)
    days = uow.settings.token_default_days if expires_in_days is None else expires_in_days
    if not 1 <= days <= 366:
        raise ValidationFailed("expires_in_days must be between 1 and 366", field="expires_in_days")
    minted = tokens.mint_token()
    now = uow.clock.now()
    token = ApiToken(
        id=new_id(),
        user_id=user.id,
        name=clean_name,
        lookup=minted.lookup,
        token_digest=minted.digest,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    uow.session.add(token)
    uow.session.flush()
    audit.record(
        uow,
        principal,
        IdentityTag.TOKEN_ISSUED,
        target_type="api_token",
        target_id=token.id,
        details={"owner": str(user.id), "name": clean_name, "expires_at": token.expires_at.isoformat()},
    )
    return _token_view(token), minted.plaintext


def list_tokens(uow: UnitOfWork, principal: Principal, *, user_id: uuid.UUID) -> list[TokenView]:
    """A user's tokens, newest first (metadata only)."""
    user, _org = _load_user(uow, user_id)
    authorize(uow, principal, Permission.TOKEN_READ, _ref(user))
    rows = uow.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc()))
    return [_token_view(t) for t in rows]


def revoke_token(uow: UnitOfWork, principal: Principal, token_id: uuid.UUID) -> TokenView:
    """Revoke a token at once; revoking twice is harmless."""
    token = uow.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"token {token_id} not found")
    owner = uow.session.get(User, token.user_id)
    authorize(
        uow, principal, Permission.TOKEN_REVOKE, TokenRef(token.id, token.user_id, owner.organization_id if owner else None)
    )
    if token.revoked_at is None:
        token.revoked_at = uow.clock.now()
        audit.record(uow, principal, IdentityTag.TOKEN_REVOKED, target_type="api_token", target_id=token.id)
    return _token_view(token)
