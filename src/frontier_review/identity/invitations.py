"""Invitations: how organization admins add members without learning who has an account.

Creating an account directly answers "that address already has an account", which tells
whoever asks that the address is registered somewhere on the platform. Only operators are
entitled to that directory, so everyone else invites: the service records an invitation and
queues a mail to the address, and the inviter gets the same answer whatever the address.
If the address already has an account, nothing about that account changes; the mail tells
its owner, and the audit log records it under the system (outside every organization's own
log), so neither the answer, the invitation list, the mail sink nor the audit view an
organization admin reads tells the inviter anything.

The invited person opens the one-time link, chooses their name and password, and the
account is created with the invited role. Only the SHA-256 digest of the link's token is
stored; an unknown, used, expired or revoked link, or one whose address got an account in
the meantime, all answer the same "not found".
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from frontier_review.audit import service as audit
from frontier_review.db.uow import PendingDenial, UnitOfWork
from frontier_review.identity.domain import (
    INVITATION_LIFETIME,
    InvitationRef,
    OrgKind,
    OrgRef,
    Role,
    invitation_refusal,
    normalise_email,
    normalise_name,
)
from frontier_review.identity.orm import Invitation, Organization, User
from frontier_review.identity.service import check_password, get_organization_row, new_user, principal_for_user
from frontier_review.identity.tags import IdentityTag
from frontier_review.identity.views import UserView, user_view
from frontier_review.kernel.errors import Conflict, NotFound
from frontier_review.kernel.ids import new_id
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import Principal
from frontier_review.notifications import email as mail
from frontier_review.policies import authorize, authorize_visible

__all__ = [
    "InvitationOffer",
    "InvitationView",
    "accept_invitation",
    "get_offer",
    "invitation_link",
    "invite_member",
    "list_invitations",
    "revoke_invitation",
]

# One message for every link that cannot be used, so the page never says which case applies.
LINK_NOT_USABLE = "this invitation link is not valid: it may have expired, been used or been withdrawn"
# Audit entries about what happened to the mail are written by the system, not the inviter,
# so they stay out of the inviter's organization log (which shows entries by its own people).
_SYSTEM = Principal.system("invitations")


@dataclass(frozen=True)
class InvitationView:
    """An invitation as its organization's admins see it (never the token)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    email: str
    role: Role
    invited_by: uuid.UUID | None
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class InvitationOffer:
    """What the invited person sees before accepting."""

    organization_name: str
    email: str
    role: Role
    expires_at: datetime


def _view(row: Invitation) -> InvitationView:
    return InvitationView(
        id=row.id,
        organization_id=row.organization_id,
        email=row.email,
        role=Role(row.role),
        invited_by=row.invited_by,
        created_at=row.created_at,
        expires_at=row.expires_at,
        accepted_at=row.accepted_at,
        revoked_at=row.revoked_at,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invitation_link(token: str, public_url: str | None = None) -> str:
    """The link to the page where an invitation is accepted.

    It is absolute when the instance's public address is configured, never taken from the
    request's Host header, which a caller controls.
    """
    path = f"/invitations/{token}"
    return f"{public_url.rstrip('/')}{path}" if public_url else path


def _mail_body(org: Organization, role: Role, token: str | None, public_url: str | None) -> str:
    if token is None:
        return (
            f"Someone at {org.name} invited this address to join their organization on Frontier Review "
            f"(role: {role.value}).\n\n"
            "This address already has a Frontier Review account, and an account belongs to one organization, "
            "so the invitation cannot be used. Nothing about your account has changed.\n\n"
            "If you should move to this organization, contact your platform operator. If you did not expect "
            "this message, you can ignore it.\n"
        )
    return (
        f"You are invited to join {org.name} on Frontier Review (role: {role.value}).\n\n"
        f"Open this link to choose your name and password: {invitation_link(token, public_url)}\n\n"
        f"The link works once and expires in {INVITATION_LIFETIME.days} days. "
        "If you did not expect this invitation, ignore this message.\n"
    )


def invite_member(uow: UnitOfWork, principal: Principal, *, org_id: uuid.UUID, email: str, role: Role) -> InvitationView:
    """Invite ``email`` into an organization; the same answer whether or not the address has an account.

    A newer invitation to the same address in the same organization replaces a pending one
    (a resend). An address that already belongs to this organization is refused: its admins
    see their own members anyway, so that says nothing about anyone else.

    Args:
        uow: the unit of work.
        principal: an admin of the organization, or an operator.
        org_id: the organization to join.
        email: the address to invite.
        role: the role the account gets on acceptance (never clearance).

    Raises:
        NotFound: no such organization.
        PermissionDenied: the caller may not invite people to it.
        ValidationFailed: the address is not valid.
        Conflict: the address is already a member of this organization.
    """
    org = get_organization_row(uow, org_id)
    authorize(uow, principal, Permission.INVITATION_CREATE, OrgRef(org.id, OrgKind(org.kind)))
    address = normalise_email(email)
    existing = uow.session.scalar(select(User).where(User.email == address))
    if existing is not None and existing.organization_id == org.id:
        raise Conflict(f"{address} is already a member of this organization", field="email")
    now = uow.clock.now()
    superseded = uow.session.execute(
        update(Invitation)
        .where(
            Invitation.organization_id == org.id,
            Invitation.email == address,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    token = secrets.token_urlsafe(32)
    row = Invitation(
        id=new_id(),
        organization_id=org.id,
        email=address,
        role=role.value,
        token_digest=_digest(token),
        invited_by=principal.user_id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    uow.session.add(row)
    uow.session.flush()
    # What the inviter's own log shows: the same whatever the address.
    audit.record(
        uow,
        principal,
        IdentityTag.INVITATION_CREATED,
        target_type="invitation",
        target_id=row.id,
        details={
            "email": address,
            "organization_id": str(org.id),
            "role": role.value,
            "expires_at": row.expires_at.isoformat(),
            "replaced": int(superseded or 0),
        },
    )
    has_account = existing is not None
    mail.queue_email(
        uow,
        to=address,
        subject=f"[Frontier Review] Invitation to join {org.name}",
        body=_mail_body(org, role, None if has_account else token, uow.settings.public_url),
        dedupe_key=f"identity:invitation:{row.id}",
    )
    # The truth, as one system entry either way (so even the number of entries is the same).
    audit.record(
        uow,
        _SYSTEM,
        IdentityTag.INVITATION_NOT_APPLICABLE if has_account else IdentityTag.INVITATION_SENT,
        target_type="invitation",
        target_id=row.id,
        reason="the address already has an account" if has_account else None,
    )
    return _view(row)


def list_invitations(uow: UnitOfWork, principal: Principal, *, org_id: uuid.UUID) -> list[InvitationView]:
    """Pending invitations of an organization (not used, revoked or expired), newest first."""
    org = get_organization_row(uow, org_id)
    authorize(uow, principal, Permission.INVITATION_LIST, OrgRef(org.id, OrgKind(org.kind)))
    rows = uow.session.scalars(
        select(Invitation)
        .where(
            Invitation.organization_id == org.id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > uow.clock.now(),
        )
        .order_by(Invitation.created_at.desc())
    )
    return [_view(r) for r in rows]


def revoke_invitation(uow: UnitOfWork, principal: Principal, invitation_id: uuid.UUID) -> InvitationView:
    """Withdraw an invitation: its link stops working at once. Revoking twice is harmless.

    Raises:
        NotFound: no such invitation, or one the caller may not see (the same answer).
        Conflict: it was used already.
    """
    not_found = f"invitation {invitation_id} not found"
    row = uow.session.get(Invitation, invitation_id)
    if row is None:
        raise NotFound(not_found)
    org = get_organization_row(uow, row.organization_id)
    ref = InvitationRef(row.id, org.id, OrgKind(org.kind))
    authorize_visible(uow, principal, Permission.INVITATION_REVOKE, ref, not_found=not_found, read=Permission.INVITATION_LIST)
    if row.accepted_at is not None:
        raise Conflict("the invitation was accepted already; manage the member instead")
    if row.revoked_at is None:
        row.revoked_at = uow.clock.now()
        uow.session.flush()
        audit.record(uow, principal, IdentityTag.INVITATION_REVOKED, target_type="invitation", target_id=row.id)
    return _view(row)


def _row_for_token(uow: UnitOfWork, token: str) -> Invitation:
    if not token or len(token) > 200:
        raise NotFound(LINK_NOT_USABLE)
    row = uow.session.scalar(select(Invitation).where(Invitation.token_digest == _digest(token)))
    if row is None:
        raise NotFound(LINK_NOT_USABLE)
    return row


def _refusal(uow: UnitOfWork, row: Invitation) -> str | None:
    has_account = uow.session.scalar(select(User.id).where(User.email == row.email)) is not None
    return invitation_refusal(
        accepted_at=row.accepted_at,
        revoked_at=row.revoked_at,
        expires_at=row.expires_at,
        now=uow.clock.now(),
        address_has_account=has_account,
    )


def get_offer(uow: UnitOfWork, *, token: str) -> InvitationOffer:
    """What an invitation link offers, for the page that accepts it (no sign-in needed).

    Raises:
        NotFound: the link is unknown, used, expired, revoked, or its address has an account.
    """
    row = _row_for_token(uow, token)
    if _refusal(uow, row) is not None:
        raise NotFound(LINK_NOT_USABLE)
    org = get_organization_row(uow, row.organization_id)
    return InvitationOffer(organization_name=org.name, email=row.email, role=Role(row.role), expires_at=row.expires_at)


def accept_invitation(uow: UnitOfWork, *, token: str, full_name: str, password: str) -> UserView:
    """Create the invited person's account with the name and password they chose; the link is used up.

    Args:
        uow: the unit of work.
        token: the token from the link.
        full_name: the person's name.
        password: their password (the usual rules apply).

    Raises:
        NotFound: the link cannot be used (one message for every reason; the reason is audited).
        ValidationFailed: bad name or password (the link stays usable).
    """
    row = _row_for_token(uow, token)
    reason = _refusal(uow, row)
    if reason is not None:
        # Audited after the rollback, under the system's scope (no organization's log shows it).
        uow.denials.append(
            PendingDenial(
                actor_label=f"invitee:{row.email}",
                actor_user_id=None,
                actor_org_id=None,
                permission=IdentityTag.INVITATION_ACCEPT,
                reason=reason,
                target_type="invitation",
                target_id=str(row.id),
            )
        )
        raise NotFound(LINK_NOT_USABLE)
    clean_name = normalise_name(full_name, field="full_name")
    check_password(password)
    now = uow.clock.now()
    # Consumed with a conditional UPDATE, so two parallel submissions cannot both use it.
    used = uow.session.execute(
        update(Invitation)
        .where(Invitation.id == row.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session=False)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(LINK_NOT_USABLE)
    org = get_organization_row(uow, row.organization_id)
    role = Role(row.role)
    user = new_user(uow, email=row.email, full_name=clean_name, password=password, org_id=org.id, role=role, cleared=False)
    person = principal_for_user(uow, user_id=user.id)
    assert person is not None  # just created, active
    audit.record(
        uow,
        person,
        IdentityTag.USER_CREATED,
        target_type="user",
        target_id=user.id,
        details={"email": row.email, "organization_id": str(org.id), "role": role.value, "invitation": str(row.id)},
    )
    audit.record(uow, person, IdentityTag.INVITATION_ACCEPTED, target_type="invitation", target_id=row.id)
    return user_view(user, org)
