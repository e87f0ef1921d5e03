"""Identity use cases. Each authorizes, changes state and audits in the caller's transaction.

Organizations and people are here; signing in and sessions are in :mod:`.sessions`, API tokens in
:mod:`.tokens`, the views they return in :mod:`.views`. This module is the area's one face for
use cases: it re-exports the others' (``__all__``), so callers need not know the split.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from frontier_review.audit import service as audit
from frontier_review.db.uow import UnitOfWork
from frontier_review.identity.domain import (
    OrgKind,
    OrgRef,
    Role,
    Sector,
    check_law_enforcement,
    check_sector,
    name_key,
    normalise_email,
    normalise_name,
)
from frontier_review.identity.orm import Organization, User
from frontier_review.identity.sessions import (
    LOGIN_FAILED_MESSAGE,
    LoginFailed,
    LoginResult,
    change_password,
    check_password,
    end_all_sessions,
    end_session,
    login,
    principal_for_session,
    principal_for_user,
    record_throttled_login,
    sign_out_everywhere,
)
from frontier_review.identity.tags import IdentityTag
from frontier_review.identity.tokens import issue_token, list_tokens, principal_for_token, revoke_token
from frontier_review.identity.views import OrganizationView, TokenView, UserView, get_user_rows, org_view, user_ref, user_view
from frontier_review.kernel.errors import Conflict, NotFound, ValidationFailed
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.policies import authorize, decide
from frontier_review.security import passwords

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
    "set_law_enforcement",
    "sign_out_everywhere",
    "unlock_user",
    "update_user",
]


def create_organization(
    uow: UnitOfWork,
    principal: Principal,
    *,
    name: str,
    kind: OrgKind,
    sector: Sector | None = None,
    law_enforcement: bool = False,
) -> OrganizationView:
    """Create an organization (operators only); only an agency may be a law-enforcement organization."""
    authorize(uow, principal, Permission.ORGANIZATION_CREATE, None)
    clean = normalise_name(name, field="name")
    check_sector(kind, sector)
    check_law_enforcement(kind, law_enforcement=law_enforcement)
    key = name_key(clean)
    if uow.session.scalar(select(Organization.id).where(Organization.name_key == key)) is not None:
        raise Conflict(f"an organization named {clean!r} already exists", field="name")
    org = Organization(
        id=new_id(),
        name=clean,
        name_key=key,
        kind=kind.value,
        sector=sector.value if sector else None,
        law_enforcement=law_enforcement,
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
        details={"name": clean, "kind": kind.value, "sector": org.sector, "law_enforcement": law_enforcement},
    )
    return org_view(org)


def set_law_enforcement(uow: UnitOfWork, principal: Principal, org_id: uuid.UUID, *, law_enforcement: bool) -> OrganizationView:
    """Mark an agency as a law-enforcement organization, or unmark it (operators only, audited).

    Incidents already referred to it stay referred: a referral is a record of what was shared.

    Raises:
        NotFound: No such organization.
        PermissionDenied: Not an operator.
        ValidationFailed: The organization is not an agency.
    """
    authorize(uow, principal, Permission.ORGANIZATION_CREATE, None)
    org = get_organization_row(uow, org_id)
    check_law_enforcement(OrgKind(org.kind), law_enforcement=law_enforcement)
    previous = bool(org.law_enforcement)
    org.law_enforcement = law_enforcement
    uow.session.flush()
    audit.record(
        uow,
        principal,
        IdentityTag.ORGANIZATION_UPDATED,
        target_type="organization",
        target_id=org.id,
        details={"law_enforcement": {"from": previous, "to": law_enforcement}},
    )
    count = uow.session.scalar(select(func.count()).select_from(User).where(User.organization_id == org.id)) or 0
    return org_view(org, count)


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
    return org_view(org, count)


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
    return [org_view(org, int(n)) for org, n in rows]


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


def get_user(uow: UnitOfWork, principal: Principal, user_id: uuid.UUID) -> UserView:
    """One user the principal may see."""
    user, org = get_user_rows(uow, user_id)
    authorize(uow, principal, Permission.USER_READ, user_ref(user))
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
    user, org = get_user_rows(uow, user_id)
    ref = user_ref(user)
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
            end_all_sessions(uow, user.id)  # signs out every session at once; reactivation revives none
    if cleared is not None and cleared != user.cleared:
        changes["cleared"] = {"from": user.cleared, "to": cleared}
        user.cleared = cleared
    if changes:
        uow.session.flush()
        audit.record(
            uow, principal, IdentityTag.USER_UPDATED, target_type="user", target_id=user.id, details={"changes": changes}
        )
    return user_view(user, org)


def unlock_user(uow: UnitOfWork, principal: Principal, user_id: uuid.UUID) -> UserView:
    """End a lockout early (the user's organization admins, operators)."""
    user, org = get_user_rows(uow, user_id)
    authorize(uow, principal, Permission.USER_UPDATE, user_ref(user))
    if user.locked_until is not None or user.failed_logins:
        user.locked_until = None
        user.failed_logins = 0
        uow.session.flush()
        audit.record(uow, principal, IdentityTag.USER_UNLOCKED, target_type="user", target_id=user.id)
    return user_view(user, org)
