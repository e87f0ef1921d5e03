"""The TLP 2.0 audience function (DESIGN §3.5a), over every label × every principal shape, and
its properties: raising a label never widens the audience; revoked readers are in none."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.kernel import tlp
from frontier_review.kernel.tlp import Audience, Label, Reader, Standing

NTK, CLIENT, COMMUNITY, OUTSIDE = (uuid.UUID(int=n) for n in (0xA, 0xC, 0xD, 0xE))
NAMED, UNNAMED, NAMED_ELSEWHERE = (uuid.UUID(int=n) for n in (0x1, 0x2, 0x3))
AUDIENCE = Audience(
    community=frozenset({COMMUNITY}),
    need_to_know=frozenset({NTK}),
    clients=frozenset({CLIENT}),
    named=frozenset({NAMED, NAMED_ELSEWHERE}),
)


def _reader(user: uuid.UUID | None, org: uuid.UUID | None, *, sees: bool = True, revoked: bool = False) -> Reader:
    return Reader(user, org, Standing.REVOKED if revoked else Standing.ACTIVE, sees)


READERS: dict[str, Reader] = {
    "named in a need-to-know org": _reader(NAMED, NTK),
    "unnamed in a need-to-know org": _reader(UNNAMED, NTK),
    "a client of a need-to-know org": _reader(UNNAMED, CLIENT),
    "elsewhere in the community": _reader(UNNAMED, COMMUNITY),
    "named, but only in the community": _reader(NAMED_ELSEWHERE, COMMUNITY),
    "outside the community": _reader(UNNAMED, OUTSIDE),
    "anonymous (public feed)": _reader(None, None),
    "cannot see the container": _reader(NAMED, NTK, sees=False),
    "revoked": _reader(NAMED, NTK, revoked=True),
}

# Columns: CLEAR GREEN AMBER AMBER+STRICT RED
TABLE: dict[str, str] = {
    "named in a need-to-know org": "Y Y Y Y Y",
    "unnamed in a need-to-know org": "Y Y Y Y .",
    "a client of a need-to-know org": "Y Y Y . .",
    "elsewhere in the community": "Y Y . . .",
    "named, but only in the community": "Y Y . . .",
    "outside the community": "Y . . . .",
    "anonymous (public feed)": "Y . . . .",
    "cannot see the container": ". . . . .",
    "revoked": ". . . . .",
}
CASES = [(shape, label, cell == "Y") for shape, row in TABLE.items() for label, cell in zip(tlp.ORDER, row.split(), strict=True)]


def test_the_table_covers_every_shape_and_label() -> None:
    assert set(TABLE) == set(READERS)
    assert len(CASES) == len(READERS) * len(Label)


@pytest.mark.parametrize(("shape", "label", "allowed"), CASES, ids=[f"{s}-{lab.value}" for s, lab, _ in CASES])
def test_audience_table(shape: str, label: Label, allowed: bool) -> None:
    decision = tlp.decide(label, READERS[shape], AUDIENCE)
    assert decision.allowed is allowed, decision
    if not allowed:
        # A refusal names the label or the revocation, never anything about the item.
        assert label.value in getattr(decision, "reason", "") or "revoked" in getattr(decision, "reason", "")


def test_parse_and_rank() -> None:
    assert tlp.parse(" amber+strict ") is Label.AMBER_STRICT
    assert tlp.parse("TLP:RED") is Label.RED
    assert [tlp.rank(label) for label in tlp.ORDER] == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="TLP:WHITE"):
        tlp.parse("white")  # TLP 1.0's WHITE is CLEAR in 2.0; no silent mapping


ORG_POOL = [uuid.UUID(int=0x100 + n) for n in range(5)]
USER_POOL = [uuid.UUID(int=0x200 + n) for n in range(5)]
orgs = st.frozensets(st.sampled_from(ORG_POOL), max_size=4)
audiences = st.builds(Audience, community=orgs, need_to_know=orgs, clients=orgs, named=st.frozensets(st.sampled_from(USER_POOL)))
readers = st.builds(
    Reader,
    user_id=st.none() | st.sampled_from(USER_POOL),
    org_id=st.none() | st.sampled_from(ORG_POOL),
    standing=st.sampled_from(Standing),
    sees_container=st.booleans(),
)


@given(reader=readers, audience=audiences, low=st.sampled_from(Label), high=st.sampled_from(Label))
def test_raising_the_label_never_widens_the_audience(reader: Reader, audience: Audience, low: Label, high: Label) -> None:
    if tlp.rank(low) <= tlp.rank(high) and tlp.decide(high, reader, audience).allowed:
        assert tlp.decide(low, reader, audience).allowed


@given(reader=readers, audience=audiences, label=st.sampled_from(Label))
def test_revoked_or_blind_readers_are_in_no_audience(reader: Reader, audience: Audience, label: Label) -> None:
    if reader.standing is Standing.REVOKED or not reader.sees_container:
        assert not tlp.decide(label, reader, audience).allowed


@given(reader=readers, audience=audiences)
def test_red_reaches_only_named_people_in_need_to_know_organizations(reader: Reader, audience: Audience) -> None:
    if tlp.decide(Label.RED, reader, audience).allowed:
        assert reader.user_id in audience.named
        assert reader.org_id in audience.need_to_know


@given(reader=readers, audience=audiences)
def test_amber_strict_never_reaches_clients_outside_need_to_know(reader: Reader, audience: Audience) -> None:
    if reader.org_id in audience.clients - audience.need_to_know:
        assert not tlp.decide(Label.AMBER_STRICT, reader, audience).allowed
