"""Identity rules: names, e-mail addresses, sectors, resource references and login throttling."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.identity.domain import (
    INVITATION_LIFETIME,
    ORG_KIND_LABELS,
    LoginThrottle,
    OrgKind,
    OrgRef,
    Sector,
    TokenRef,
    UserRef,
    check_sector,
    invitation_refusal,
    name_key,
    normalise_email,
    normalise_name,
)
from frontier_review.kernel.errors import FieldProblem, ValidationFailed

NOW = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)

# names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Acme AI", "Acme AI"),
        ("  Acme \t\n  AI  ", "Acme AI"),
        ("Ab", "Ab"),
        ("Ünïcode Labs", "Ünïcode Labs"),
    ],
)
def test_normalise_name(raw: str, clean: str) -> None:
    assert normalise_name(raw, field="name") == clean


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "at least 2"),
        ("   ", "at least 2"),
        (" a ", "at least 2"),
        ("Acme\x00AI", "control characters"),
        ("Acme\x7fAI", "control characters"),
    ],
)
def test_normalise_name_refusals_name_the_field(raw: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message) as caught:
        normalise_name(raw, field="full_name")
    assert [p.field for p in caught.value.problems] == ["full_name"]


def test_normalise_name_length_limit_applies_after_collapsing() -> None:
    assert normalise_name("a" * 10, field="n", max_length=10) == "a" * 10
    assert normalise_name("a  " + "b" * 7, field="n", max_length=10) == "a " + "b" * 7
    with pytest.raises(ValidationFailed, match="at most 10"):
        normalise_name("a" * 11, field="n", max_length=10)
    with pytest.raises(ValidationFailed, match="at most 200"):
        normalise_name("a" * 201, field="n")


def test_name_key_is_case_insensitive() -> None:
    assert name_key("Acme AI") == name_key("ACME ai")
    assert name_key("Straße") == name_key("STRASSE")


# e-mail ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [("Ann.Lee@Example.ORG", "ann.lee@example.org"), ("  bob@example.org\n", "bob@example.org")],
)
def test_normalise_email(raw: str, clean: str) -> None:
    assert normalise_email(raw) == clean


@pytest.mark.parametrize("raw", ["", "not-an-address", "a@", "@example.org", "a b@example.org", "a@@example.org"])
def test_normalise_email_refuses_invalid_addresses(raw: str) -> None:
    with pytest.raises(ValidationFailed, match="not a valid e-mail address") as caught:
        normalise_email(raw, field="contact")
    assert caught.value.problems[0].field == "contact"


# sectors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [k for k in OrgKind if k is not OrgKind.PARTNER])
def test_only_partners_have_a_sector(kind: OrgKind) -> None:
    check_sector(kind, None)
    with pytest.raises(ValidationFailed, match="only partner organizations") as caught:
        check_sector(kind, Sector.ENERGY)
    assert caught.value.problems == (FieldProblem("sector", "only partner organizations have a sector"),)


def test_a_partner_needs_a_sector() -> None:
    for sector in Sector:
        check_sector(OrgKind.PARTNER, sector)
    with pytest.raises(ValidationFailed, match="needs its critical-infrastructure sector"):
        check_sector(OrgKind.PARTNER, None)


def test_sixteen_sectors_and_labels() -> None:
    assert len(Sector) == 16
    assert Sector.FINANCIAL_SERVICES.label == "Financial services"
    assert set(ORG_KIND_LABELS) == set(OrgKind)


def test_resource_references_describe_their_audit_target() -> None:
    ident = uuid.UUID(int=7)
    assert OrgRef(ident, OrgKind.AGENCY).audit_target() == ("organization", str(ident))
    assert UserRef(ident, None).audit_target() == ("user", str(ident))
    assert UserRef(ident, None).is_superuser is False
    assert TokenRef(ident, uuid.UUID(int=8), None).audit_target() == ("api_token", str(ident))


# login throttling ------------------------------------------------------------------------


@given(max_failures=st.integers(min_value=1, max_value=30), lockout_seconds=st.integers(min_value=1, max_value=86_400))
def test_lock_happens_exactly_at_max_failures(max_failures: int, lockout_seconds: int) -> None:
    throttle = LoginThrottle(max_failures=max_failures, lockout=timedelta(seconds=lockout_seconds))
    failures = 0
    for attempt in range(1, max_failures):
        failures, locked_until = throttle.after_failure(failures, NOW)
        assert (failures, locked_until) == (attempt, None)
    failures, locked_until = throttle.after_failure(failures, NOW)
    assert failures == 0
    assert locked_until == NOW + timedelta(seconds=lockout_seconds)
    assert throttle.is_locked(locked_until, NOW)
    assert throttle.is_locked(locked_until, locked_until - timedelta(microseconds=1))
    assert not throttle.is_locked(locked_until, locked_until)


@given(max_failures=st.integers(min_value=1, max_value=30), start=st.integers(min_value=0, max_value=60))
def test_a_count_already_at_or_past_the_limit_locks_at_once(max_failures: int, start: int) -> None:
    throttle = LoginThrottle(max_failures=max_failures, lockout=timedelta(minutes=15))
    failures, locked_until = throttle.after_failure(start, NOW)
    if start + 1 >= max_failures:
        assert (failures, locked_until) == (0, NOW + timedelta(minutes=15))
    else:
        assert (failures, locked_until) == (start + 1, None)


def test_never_locked_without_a_lock() -> None:
    assert not LoginThrottle(3, timedelta(minutes=1)).is_locked(None, NOW)


def test_an_invitation_is_usable_only_while_pending_unexpired_and_its_address_unregistered() -> None:
    sent = datetime(2026, 6, 2, 12, 0, tzinfo=UTC)
    expires = sent + INVITATION_LIFETIME

    def refusal(
        now: datetime, *, accepted: datetime | None = None, revoked: datetime | None = None, has_account: bool = False
    ) -> str | None:
        return invitation_refusal(
            accepted_at=accepted, revoked_at=revoked, expires_at=expires, now=now, address_has_account=has_account
        )

    assert refusal(sent) is None
    assert refusal(expires - timedelta(microseconds=1)) is None
    assert refusal(expires) == "invitation expired"
    assert refusal(sent, accepted=sent) == "invitation already used"
    assert refusal(sent, revoked=sent) == "invitation revoked"
    assert refusal(sent, has_account=True) == "the address already has an account"
