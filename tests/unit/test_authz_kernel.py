"""The authorization kernel (deny by default) and the service-side ``authorize`` check."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.orm import Session

from frontier_review import composition, policies
from frontier_review.config import Settings
from frontier_review.db.uow import PendingDenial, UnitOfWork
from frontier_review.identity.domain import OrgRef, UserRef
from frontier_review.kernel import authz
from frontier_review.kernel.clock import FrozenClock
from frontier_review.kernel.decision import Allowed, Decision, Denied
from frontier_review.kernel.errors import PermissionDenied
from frontier_review.kernel.permissions import Permission
from frontier_review.kernel.principal import AuthMethod, OrgKind, Principal, Role
from frontier_review.security.keyring import KeyringSource

NOW = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
ORG = uuid.UUID(int=0xD0)
OTHER_ORG = uuid.UUID(int=0xD2)


def member(org_id: uuid.UUID | None = ORG, *, superuser: bool = False) -> Principal:
    return Principal(
        user_id=uuid.UUID(int=0x12),
        org_id=org_id,
        org_kind=OrgKind.DEVELOPER if org_id else None,
        role=Role.MEMBER,
        cleared=False,
        is_superuser=superuser,
        label="member@example.org",
        method=AuthMethod.SESSION,
    )


def test_superuser_only_rule() -> None:
    assert authz.superuser_only(member(superuser=True), None, NOW) == Allowed("superuser")
    assert authz.superuser_only(Principal.system("job"), None, NOW).allowed is True
    denied = authz.superuser_only(member(), None, NOW)
    assert isinstance(denied, Denied)
    assert denied.reason


def test_decide_consults_the_rule_for_the_permission_only() -> None:
    seen: list[tuple[Principal, object, datetime]] = []

    def rule(p: Principal, resource: object, now: datetime) -> Decision:
        seen.append((p, resource, now))
        return Allowed("test rule")

    principal = member()
    decision = authz.decide({Permission.USER_READ: rule}, principal, Permission.USER_READ, "thing", NOW)
    assert decision == Allowed("test rule")
    assert seen == [(principal, "thing", NOW)]
    other = authz.decide({Permission.USER_READ: rule}, principal, Permission.USER_UPDATE, "thing", NOW)
    assert isinstance(other, Denied)
    assert "identity:user:update" in other.reason
    assert len(seen) == 1


def test_empty_rule_set_denies_everything() -> None:
    for permission in Permission:
        assert authz.decide({}, Principal.system("tests"), permission, None, NOW).allowed is False


def test_a_rule_that_raises_is_denied() -> None:
    """The kernel's docstring promises deny-by-default when a rule raises."""

    def broken(_p: Principal, resource: object, _now: datetime) -> Decision:
        raise AttributeError(f"{resource!r} has no attribute 'id'")

    decision = authz.decide({Permission.USER_READ: broken}, member(), Permission.USER_READ, None, NOW)
    assert isinstance(decision, Denied)
    assert decision.reason


def test_composed_rule_given_the_wrong_resource_is_denied() -> None:
    # can_read_organization reads ``org.id``; a None resource must deny, not crash the caller.
    decision = authz.decide(composition.RULES, member(), Permission.ORGANIZATION_READ, None, NOW)
    assert isinstance(decision, Denied)


def test_decision_values() -> None:
    assert Allowed("x").allowed is True
    assert Denied("y").allowed is False
    with pytest.raises(AttributeError):
        Denied("y").reason = "z"  # type: ignore[misc]


# authorize: the service-side check ------------------------------------------------------


@pytest.fixture
def uow(tmp_path: Path) -> UnitOfWork:
    settings = Settings(data_dir=tmp_path, master_key=SecretStr(base64.b64encode(os.urandom(32)).decode()))
    return UnitOfWork(
        session=Session(), clock=FrozenClock(NOW), settings=settings, keyring=KeyringSource(settings), rules=composition.RULES
    )


def test_authorize_returns_the_allowed_decision_and_records_nothing(uow: UnitOfWork) -> None:
    decision = policies.authorize(uow, member(), Permission.ORGANIZATION_READ, OrgRef(ORG, OrgKind.DEVELOPER))
    assert decision == Allowed("own organization")
    assert uow.denials == []


def test_authorize_raises_and_queues_the_denial_for_the_audit_log(uow: UnitOfWork) -> None:
    principal = member()
    target = OrgRef(OTHER_ORG, OrgKind.DEVELOPER)
    with pytest.raises(PermissionDenied) as caught:
        policies.authorize(uow, principal, Permission.ORGANIZATION_READ, target)
    assert caught.value.reason == "you can only see your own organization"
    assert uow.denials == [
        PendingDenial(
            actor_label="member@example.org",
            actor_user_id=principal.user_id,
            actor_org_id=ORG,
            permission=Permission.ORGANIZATION_READ,
            reason="you can only see your own organization",
            target_type="organization",
            target_id=str(OTHER_ORG),
        )
    ]


def test_authorize_denial_without_a_describable_target(uow: UnitOfWork) -> None:
    with pytest.raises(PermissionDenied):
        policies.authorize(uow, member(), Permission.KEYS_ROTATE, None)
    (denial,) = uow.denials
    assert (denial.target_type, denial.target_id) == (None, None)
    assert denial.permission == "security:keys:rotate"


def test_authorize_names_a_user_target(uow: UnitOfWork) -> None:
    target = UserRef(uuid.UUID(int=0x99), OTHER_ORG)
    with pytest.raises(PermissionDenied):
        policies.authorize(uow, member(), Permission.USER_UPDATE, target)
    assert (uow.denials[0].target_type, uow.denials[0].target_id) == ("user", str(target.id))
