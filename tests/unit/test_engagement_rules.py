"""The pure engagement rules, unit-tested without a database.

G1 admission, G3 windows, terms, invitation eligibility, who sees which participants and who sees a finding.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.engagements.access.domain import AccessContext, admission, current_state
from frontier_review.engagements.findings.policy import FindingRef, reads_finding
from frontier_review.engagements.lifecycle.domain import (
    MAX_WINDOW,
    ClosedReason,
    Cohort,
    EngagementState,
    Invitee,
    Materials,
    Protections,
    Quotas,
    Recipients,
    Window,
    check_new_window,
    check_terms,
    invite_cohort,
    invite_refusal,
    sees_all_participants,
)
from frontier_review.engagements.lifecycle.policy import EngagementRef, Party
from frontier_review.kernel.errors import ValidationFailed
from frontier_review.kernel.principal import OrgKind

T0 = datetime(2026, 3, 1, tzinfo=UTC)
seconds = st.integers(min_value=0, max_value=int(MAX_WINDOW.total_seconds()))


def _ctx(**changes: object) -> AccessContext:
    """An admitted government participant inside a 30-day window, unless changed."""
    base = AccessContext(
        engagement_id=uuid.uuid4(),
        participant_id=uuid.uuid4(),
        user_id=uuid.uuid4(),
        state=EngagementState.OFFERED,
        closed_reason=None,
        version_status="prerelease",
        window=Window(T0, T0 + MAX_WINDOW),
        cohort=Cohort.GOVERNMENT,
        recipients=Recipients.FEDERAL_ONLY,
        partners_from=None,
        current_terms=2,
        accepted_terms=2,
        participant_revoked=False,
        user_revoked=False,
        user_active=True,
        partner_designation_until=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# --- G1: admission -------------------------------------------------------------------------------

contexts = st.builds(
    _ctx,
    state=st.sampled_from(list(EngagementState)),
    closed_reason=st.sampled_from([None, *ClosedReason]),
    version_status=st.sampled_from(["prerelease", "released", "withdrawn"]),
    cohort=st.sampled_from(list(Cohort)),
    recipients=st.sampled_from(list(Recipients)),
    accepted_terms=st.sampled_from([None, 1, 2]),
    participant_revoked=st.booleans(),
    user_revoked=st.booleans(),
    user_active=st.booleans(),
    partners_from=st.one_of(st.none(), seconds.map(lambda s: T0 + timedelta(seconds=s))),
    partner_designation_until=st.one_of(st.none(), seconds.map(lambda s: T0 + timedelta(seconds=s))),
)
instants = st.integers(min_value=-86_400, max_value=int(MAX_WINDOW.total_seconds()) + 86_400).map(
    lambda s: T0 + timedelta(seconds=s)
)


@given(contexts, instants)
def test_g1_a_call_is_admitted_only_when_every_condition_holds(ctx: AccessContext, now: datetime) -> None:
    """Admitted exactly when: offered and not closed (nor released or withdrawn), inside the
    window, the person active and not revoked, the participant not revoked, the current terms
    accepted, and for a partner, terms including partners, a running designation and its cohort open."""
    state, _ = current_state(ctx, now)
    partner_ok = ctx.cohort is Cohort.GOVERNMENT or (
        ctx.recipients is Recipients.FEDERAL_AND_PARTNERS
        and ctx.partner_designation_until is not None
        and now < ctx.partner_designation_until
        and (ctx.partners_from is None or now >= ctx.partners_from)
    )
    expected = (
        state in {EngagementState.OFFERED, EngagementState.ACTIVE}
        and ctx.window.contains(now)
        and ctx.user_active
        and not ctx.user_revoked
        and not ctx.participant_revoked
        and ctx.accepted_terms == ctx.current_terms
        and partner_ok
    )
    assert (admission(ctx, now) is None) == expected


@given(instants)
def test_g1_the_window_is_half_open_to_the_second(now: datetime) -> None:
    ctx = _ctx()
    assert (admission(ctx, now) is None) == (T0 <= now < T0 + MAX_WINDOW)


@given(instants, st.sampled_from(["released", "withdrawn"]))
def test_g1_release_or_withdrawal_ends_access_at_once(now: datetime, status: str) -> None:
    refusal = admission(_ctx(version_status=status), now)
    assert refusal is not None
    assert refusal.code == "engagement_closed"


def test_g1_each_refusal_names_its_cause() -> None:
    inside = T0 + timedelta(days=1)
    assert admission(_ctx(accepted_terms=1), inside).code == "terms_not_accepted"  # type: ignore[union-attr]
    assert admission(_ctx(participant_revoked=True), inside).code == "participant_revoked"  # type: ignore[union-attr]
    assert admission(_ctx(user_revoked=True), inside).code == "user_revoked"  # type: ignore[union-attr]
    assert admission(_ctx(), T0 - timedelta(seconds=1)).code == "window_not_open"  # type: ignore[union-attr]
    assert admission(_ctx(state=EngagementState.DRAFT), inside).code == "engagement_not_offered"  # type: ignore[union-attr]
    partner = _ctx(cohort=Cohort.PARTNER, recipients=Recipients.FEDERAL_AND_PARTNERS)
    assert admission(partner, inside).code == "partner_not_designated"  # type: ignore[union-attr]
    assert admission(replace(partner, recipients=Recipients.FEDERAL_ONLY), inside).code == "partners_excluded"  # type: ignore[union-attr]
    later = replace(partner, partner_designation_until=T0 + MAX_WINDOW, partners_from=T0 + timedelta(days=2))
    assert admission(later, inside).code == "cohort_not_open"  # type: ignore[union-attr]
    assert admission(later, T0 + timedelta(days=3)) is None


# --- G3: 30 days at most, extensions included ---------------------------------------------------

durations = st.integers(min_value=1, max_value=int(MAX_WINDOW.total_seconds()) * 2)


@given(durations)
def test_g3_a_window_lasts_at_most_thirty_days(length: int) -> None:
    window = Window(T0, T0 + timedelta(seconds=length))
    if timedelta(seconds=length) <= MAX_WINDOW:
        window.check()
    else:
        with pytest.raises(ValidationFailed, match="at most 30 days in total") as caught:
            window.check()
        assert caught.value.problems[0].field == "window_end"


@given(durations, durations)
def test_g3_extensions_count_from_the_fixed_start(first: int, extension: int) -> None:
    """Once offered the start is fixed, so an extension is held to 30 days from that start."""
    now = T0 + timedelta(seconds=1)
    extended = Window(T0, T0 + timedelta(seconds=first + extension))
    total_ok = timedelta(seconds=first + extension) <= MAX_WINDOW
    if total_ok:
        check_new_window(extended, offered=True, start_moved=False, now=now)
    else:
        with pytest.raises(ValidationFailed):
            check_new_window(extended, offered=True, start_moved=False, now=now)


def test_g3_the_start_is_fixed_once_offered_and_the_end_stays_in_the_future() -> None:
    window = Window(T0 + timedelta(days=1), T0 + timedelta(days=2))
    with pytest.raises(ValidationFailed) as moved:
        check_new_window(window, offered=True, start_moved=True, now=T0)
    assert moved.value.problems[0].field == "window_start"
    check_new_window(window, offered=False, start_moved=True, now=T0)
    with pytest.raises(ValidationFailed, match="close the engagement instead"):
        check_new_window(window, offered=True, start_moved=False, now=T0 + timedelta(days=3))


def test_a_window_must_end_after_it_starts() -> None:
    with pytest.raises(ValidationFailed, match="must end after it starts"):
        Window(T0, T0).check()


# --- terms --------------------------------------------------------------------------------------

TEXT = "Confidential: do not share outside the review team."


def test_terms_are_checked_field_by_field() -> None:
    check_terms(Materials(), Protections(TEXT), Quotas())
    cases = [
        (Materials(), Protections("too short"), Quotas(), "confidentiality_text"),
        (Materials(), Protections(TEXT, use_restrictions="x" * 10_001), Quotas(), "use_restrictions"),
        (Materials(), Protections(TEXT, materials_retention_days=0), Quotas(), "materials_retention_days"),
        (Materials(), Protections(TEXT, materials_retention_days=366), Quotas(), "materials_retention_days"),
        (Materials(api_access=False), Protections(TEXT), Quotas(), "materials"),
        (Materials(), Protections(TEXT), Quotas(requests_per_day=0), "requests_per_day"),
    ]
    for materials, protections, quotas, field in cases:
        with pytest.raises(ValidationFailed) as caught:
            check_terms(materials, protections, quotas)
        assert caught.value.problems[0].field == field


@given(st.integers(min_value=-5, max_value=2_000_000_000))
def test_quotas_are_whole_numbers_from_one_to_a_billion(value: int) -> None:
    quotas = Quotas(requests_per_day=value)
    if 0 < value <= 1_000_000_000:
        quotas.check()
    else:
        with pytest.raises(ValidationFailed):
            quotas.check()


# --- invitations ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [OrgKind.AGENCY, OrgKind.PROGRAM_OFFICE])
@pytest.mark.parametrize("recipients", list(Recipients))
def test_agencies_and_the_program_office_are_always_invitable(kind: OrgKind, recipients: Recipients) -> None:
    invitee = Invitee("Agency", kind)
    assert invite_refusal(invitee, recipients, T0) is None
    assert invite_cohort(invitee, recipients, T0) is Cohort.GOVERNMENT


@given(st.one_of(st.none(), st.integers(min_value=-86_400, max_value=86_400)), st.sampled_from(list(Recipients)))
def test_a_partner_is_invitable_only_with_partner_terms_and_a_running_designation(
    offset: int | None, recipients: Recipients
) -> None:
    until = None if offset is None else T0 + timedelta(seconds=offset)
    invitee = Invitee("Grid Co", OrgKind.PARTNER, until)
    expected = recipients is Recipients.FEDERAL_AND_PARTNERS and until is not None and until > T0
    assert (invite_refusal(invitee, recipients, T0) is None) == expected
    if expected:
        assert invite_cohort(invitee, recipients, T0) is Cohort.PARTNER
    else:
        with pytest.raises(ValidationFailed) as caught:
            invite_cohort(invitee, recipients, T0)
        assert caught.value.problems[0].field == "organization_id"


def test_other_organizations_are_never_invitable() -> None:
    refusal = invite_refusal(Invitee("Acme", OrgKind.DEVELOPER), Recipients.FEDERAL_AND_PARTNERS, T0)
    assert refusal == "Acme is a developer organization; invite agencies, trusted partners or the program office"


# --- who sees which participants (G6) -----------------------------------------------------------


def test_participants_are_seen_by_the_developer_the_program_office_and_the_platform() -> None:
    developer, agency = uuid.uuid4(), uuid.uuid4()
    assert sees_all_participants(developer, OrgKind.DEVELOPER, developer)
    assert sees_all_participants(uuid.uuid4(), OrgKind.PROGRAM_OFFICE, developer)
    assert sees_all_participants(None, None, developer, system=True)
    assert not sees_all_participants(agency, OrgKind.AGENCY, developer)
    assert not sees_all_participants(uuid.uuid4(), OrgKind.DEVELOPER, developer)


# --- who sees a finding (the TLP audience, pure) -------------------------------------------------


def _finding(label: str, *, named: frozenset[uuid.UUID] = frozenset()) -> tuple[FindingRef, uuid.UUID, uuid.UUID, uuid.UUID]:
    developer, finder, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    parties = {finder: Party("government", accepted_current_terms=True), other: Party("government", accepted_current_terms=True)}
    ref = EngagementRef(id=uuid.uuid4(), developer_org_id=developer, draft=False, partners_included=False, participants=parties)
    filer = uuid.uuid4()
    return FindingRef(ref, uuid.uuid4(), finder, label, recipients=named, filer_user_id=filer), developer, finder, other


def test_a_red_finding_is_seen_by_its_named_people_and_filer_only() -> None:
    named = uuid.uuid4()
    f, developer, finder, _ = _finding("TLP:RED", named=frozenset({named}))
    assert reads_finding(named, developer, OrgKind.DEVELOPER, f, T0).allowed
    assert reads_finding(f.filer_user_id, finder, OrgKind.AGENCY, f, T0).allowed
    assert not reads_finding(uuid.uuid4(), developer, OrgKind.DEVELOPER, f, T0).allowed
    assert not reads_finding(uuid.uuid4(), finder, OrgKind.AGENCY, f, T0).allowed


def test_an_amber_finding_stays_with_the_organizations_that_need_to_know() -> None:
    f, developer, finder, other = _finding("TLP:AMBER")
    assert reads_finding(uuid.uuid4(), developer, OrgKind.DEVELOPER, f, T0).allowed
    assert reads_finding(uuid.uuid4(), finder, OrgKind.AGENCY, f, T0).allowed
    assert not reads_finding(uuid.uuid4(), other, OrgKind.AGENCY, f, T0).allowed


def test_a_green_finding_reaches_parties_that_accepted_the_current_terms() -> None:
    f, _, _, other = _finding("TLP:GREEN")
    assert reads_finding(uuid.uuid4(), other, OrgKind.AGENCY, f, T0).allowed
    unaccepted = replace(f.engagement, participants={**f.engagement.participants, other: Party("government")})
    assert not reads_finding(uuid.uuid4(), other, OrgKind.AGENCY, replace(f, engagement=unaccepted), T0).allowed
