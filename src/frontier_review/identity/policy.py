"""Who may do what with organizations, users and API tokens (pure rules)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from frontier_review.identity.domain import InvitationRef, OrgRef, TokenRef, UserRef
from frontier_review.kernel.authz import Rule, superuser_only
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, OrgKind, Principal


def can_read_organization(p: Principal, org: OrgRef, _now: datetime) -> Decision:
    if p.is_superuser:
        return Allowed("superuser")
    if p.is_member_of(org.id):
        return Allowed("own organization")
    if p.org_kind is OrgKind.PROGRAM_OFFICE:
        return Allowed("program office oversees every organization")
    return Denied("you can only see your own organization")


def can_list_all_organizations(p: Principal, _resource: object, _now: datetime) -> Decision:
    if p.is_superuser:
        return Allowed("superuser")
    if p.org_kind is OrgKind.PROGRAM_OFFICE:
        return Allowed("program office oversees every organization")
    return Denied("only the program office and operators list every organization")


def can_create_account(p: Principal, _org: OrgRef, _now: datetime) -> Decision:
    """Create an account directly: operators and the system acting for them.

    The answer tells whether "that address already has an account", so it is kept for those
    entitled to the whole directory.
    """
    if p.is_superuser:
        return Allowed("superuser")
    return Denied(
        "only a platform operator creates accounts directly; leave out the password and full name to send an invitation"
    )


def can_invite(p: Principal, org: OrgRef, _now: datetime) -> Decision:
    """Invite people into an organization and see its pending invitations."""
    if p.is_superuser:
        return Allowed("superuser")
    if p.is_admin_of(org.id):
        return Allowed("admin of the organization")
    return Denied("only an admin of the organization may invite people to it")


def can_revoke_invitation(p: Principal, invitation: InvitationRef, now: datetime) -> Decision:
    return can_invite(p, OrgRef(invitation.org_id, invitation.org_kind), now)


def can_read_user(p: Principal, user: UserRef, _now: datetime) -> Decision:
    if p.is_superuser:
        return Allowed("superuser")
    if p.user_id == user.id:
        return Allowed("self")
    if p.is_member_of(user.org_id):
        return Allowed("same organization")
    if p.is_program_office_admin:
        return Allowed("program-office admin")
    return Denied("you can only see users of your own organization")


def can_list_members(p: Principal, org: OrgRef, _now: datetime) -> Decision:
    if p.is_superuser:
        return Allowed("superuser")
    if p.is_member_of(org.id):
        return Allowed("own organization")
    if p.is_program_office_admin:
        return Allowed("program-office admin")
    return Denied("you can only list the members of your own organization")


def _manages_cleared_account(p: Principal, user: UserRef) -> Decision:
    """A cleared account is changed only by another cleared admin of its program office.

    Operators are deliberately left out: an operator who could change, deactivate and
    reactivate, or mint credentials for a cleared account could act as it and read
    classified content.
    """
    if p.user_id is not None and p.user_id == user.id:
        return Denied("you cannot change your own role, status or clearance")
    if p.is_program_office_admin and p.cleared and p.is_member_of(user.org_id):
        return Allowed("cleared program-office admin, own staff")
    return Denied("a cleared account is managed only by a cleared admin of its program office")


def can_update_user(p: Principal, user: UserRef, _now: datetime) -> Decision:
    if user.cleared and not user.is_superuser:
        return _manages_cleared_account(p, user)
    if p.is_superuser:
        return Allowed("superuser")
    if user.is_superuser:
        return Denied("only an operator may change an operator account")
    if p.user_id == user.id:
        return Denied("you cannot change your own role or status")
    if p.is_admin_of(user.org_id):
        return Allowed("admin of the user's organization")
    return Denied("only an admin of the user's organization may change it")


def can_set_cleared(p: Principal, user: UserRef, _now: datetime) -> Decision:
    """Only a cleared program-office admin grants or removes clearance, for their own staff.

    Operators (and the system acting for them) are refused on purpose: the first cleared
    admin comes from the one-time ``admin bootstrap-cleared`` command, and every later
    clearance is a decision of a cleared person, audited under their name.
    """
    if p.is_program_office_admin and p.cleared and p.is_member_of(user.org_id) and p.user_id != user.id:
        return Allowed("cleared program-office admin, own staff")
    return Denied("only a cleared program-office admin records clearances, for their own staff")


def can_issue_token(p: Principal, owner: UserRef, now: datetime) -> Decision:
    # A token must not mint tokens: a leaked one could otherwise outlive its own revocation.
    if p.method is AuthMethod.TOKEN:
        return Denied("an API token cannot create tokens; sign in to create one")
    # A token acts as its owner: nobody mints one for someone else's cleared account.
    if owner.cleared and p.user_id != owner.id:
        return Denied("only the holder of a cleared account may create its API tokens")
    return can_manage_own_tokens(p, owner, now)


def can_manage_own_tokens(p: Principal, owner: UserRef, _now: datetime) -> Decision:
    if p.is_superuser:
        return Allowed("superuser")
    if p.user_id is not None and p.user_id == owner.id:
        return Allowed("own tokens")
    return Denied("you can only manage your own API tokens")


def can_revoke_token(p: Principal, token: TokenRef, _now: datetime) -> Decision:
    if p.is_superuser:
        return Allowed("superuser")
    if p.user_id is not None and p.user_id == token.owner_user_id:
        return Allowed("own token")
    if p.is_admin_of(token.owner_org_id):
        return Allowed("admin of the token owner's organization")
    return Denied("you can only revoke your own tokens or, as an admin, your organization's")


RULES: Mapping[Permission, Rule] = {
    Permission.ORGANIZATION_CREATE: superuser_only,
    Permission.ORGANIZATION_READ: can_read_organization,
    Permission.ORGANIZATION_LIST_ALL: can_list_all_organizations,
    Permission.USER_CREATE: can_create_account,
    Permission.INVITATION_CREATE: can_invite,
    Permission.INVITATION_LIST: can_invite,
    Permission.INVITATION_REVOKE: can_revoke_invitation,
    Permission.USER_READ: can_read_user,
    Permission.USER_LIST: can_list_members,
    Permission.USER_LOOKUP: superuser_only,
    Permission.USER_UPDATE: can_update_user,
    Permission.USER_SET_CLEARED: can_set_cleared,
    Permission.TOKEN_ISSUE: can_issue_token,
    Permission.TOKEN_READ: can_manage_own_tokens,
    Permission.TOKEN_REVOKE: can_revoke_token,
}
