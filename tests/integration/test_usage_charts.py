"""Gateway usage per participant per day as small charts (issue 12, item 7), rendered by the
engagement page's partial from the real read, as each party would see it: the developer and the
program office see every participant, a participant only its own organization, an outsider or a
revoked person nothing at all. SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from frontier_review import engagements
from frontier_review.bootstrap import Container
from frontier_review.engagements.access import usage
from frontier_review.engagements.access.orm import AccessLog
from frontier_review.engagements.access.service import UsageRow
from frontier_review.identity.domain import OrgKind
from frontier_review.kernel.ids import new_id
from frontier_review.web.templating import templates
from tests.factories.engagements import Setup, make_engagement
from tests.factories.identity import Person, make_org, make_user

# The line the engagement page carries (detail.html), so the test renders exactly what it would.
PAGE_LINE = '{% if usage_chart is defined and usage_chart %}{% include "engagements/_usage.html" %}{% endif %}'
AGENCY_CALLS = {1: (5, 1, 700, 300), 0: (2, 0, 90, 40)}  # days before today → served, refused, prompt, completion
PARTNER_CALLS = {0: (9, 0, 1111, 222)}


def _log(container: Container, setup: Setup, org_id: uuid.UUID, calls: dict[int, tuple[int, int, int, int]]) -> None:
    participant = next(p for p in setup.engagement.participants if p.organization_id == org_id)
    today = container.clock.now()
    with container.sessions() as session, session.begin():
        for days_ago, (served, refused, prompt, completion) in calls.items():
            at = today - timedelta(days=days_ago)
            statuses = [200] * served + [429] * refused
            for i, status in enumerate(statuses):
                session.add(
                    AccessLog(
                        ref=new_id(),
                        at=at,
                        kind="gateway",
                        engagement_id=setup.engagement.id,
                        participant_id=participant.id,
                        organization_id=org_id,
                        user_id=None,
                        actor_label="tester",
                        status=status,
                        outcome="ok" if status == 200 else "refused",
                        # All of the day's tokens on its first call, so the sums are the figures above.
                        prompt_tokens=prompt if i == 0 else 0,
                        completion_tokens=completion if i == 0 else 0,
                        day=at.date(),
                        detail={},
                    )
                )


@pytest.fixture
def setup(container: Container) -> Setup:
    found = make_engagement(container)
    _log(container, found, found.agency.id, AGENCY_CALLS)
    _log(container, found, found.partner.id, PARTNER_CALLS)
    return found


def _render(container: Container, person: Person, engagement_id: uuid.UUID) -> str:
    with container.uow() as uow:
        chart = usage.usage_chart(uow, person.principal, engagement_id)
    return templates.env.from_string(PAGE_LINE).render(usage_chart=chart)


def _shown(html: str) -> set[str]:
    return set(re.findall(r'<h4 id="usage-p-[^"]+">([^<]+)</h4>', html))


def test_the_developer_and_the_program_office_see_every_participant(container: Container, setup: Setup) -> None:
    names = {setup.agency.name, setup.partner.name}
    for person in (setup.developer, setup.program_office):
        html = _render(container, person, setup.engagement.id)
        assert _shown(html) == names, person.email
        svgs = re.findall(r"<svg .*?</svg>", html, re.S)
        assert len(svgs) == 4  # calls and tokens, per participant
        for svg in svgs:
            root = ET.fromstring(svg)  # noqa: S314 - our own output: well-formed
            assert root.get("role") == "img" and root[0].text
            assert "<script" not in svg
        # Busiest first; every day of the run of days present, zero when nobody called.
        assert html.index(setup.partner.name) < html.index(setup.agency.name)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
        assert "9 calls served · 1,333 tokens" in text
        assert "7 calls served · 1 refused · 1,130 tokens" in text
        yesterday = (container.clock.now() - timedelta(days=1)).date().isoformat()
        assert re.search(rf"{yesterday} 0 0 0 0", text), "the partner's day without calls is missing"
        assert re.search(rf"{yesterday} 5 1 700 300", text)


@pytest.mark.parametrize(("who", "own"), [("reviewer", "agency"), ("agency_admin", "agency"), ("partner_reviewer", "partner")])
def test_a_participant_sees_its_own_organization_only(container: Container, setup: Setup, who: str, own: str) -> None:
    person: Person = getattr(setup, who)
    html = _render(container, person, setup.engagement.id)
    mine, other = (setup.agency, setup.partner) if own == "agency" else (setup.partner, setup.agency)
    assert _shown(html) == {mine.name}
    assert other.name not in html
    others = next(p.id for p in setup.engagement.participants if p.organization_id == other.id)
    assert str(others) not in html  # not even its charts' ids


def test_an_outsider_and_a_revoked_person_see_nothing(container: Container, setup: Setup) -> None:
    outsider = make_user(container, make_org(container, OrgKind.DEVELOPER))
    assert _render(container, outsider, setup.engagement.id) == ""
    with container.uow() as uow:
        engagements.revoke_user(uow, setup.developer.principal, setup.engagement.id, email=setup.reviewer.email)
    assert _render(container, setup.reviewer, setup.engagement.id) == ""
    assert _render(container, setup.program_office, uuid.uuid4()) == ""  # no such engagement


def test_an_engagement_without_calls_says_so(container: Container) -> None:
    quiet = make_engagement(container)
    html = _render(container, quiet.developer, quiet.engagement.id)
    assert "No gateway calls yet." in html and "<svg" not in html


def test_usage_is_shaped_into_one_series_per_participant_over_the_same_days() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    d = date(2026, 6, 1)
    rows = [
        UsageRow("Agency", a, d, 3, 0, 10, 5),
        UsageRow("Agency", a, d + timedelta(days=3), 1, 1, 1, 1),
        UsageRow("Partner", b, d + timedelta(days=1), 9, 0, 0, 0),
    ]
    days, shaped = usage.shape_usage(rows)
    assert days == tuple(d + timedelta(days=i) for i in range(4))
    assert [p.organization_name for p in shaped] == ["Partner", "Agency"]  # busiest first
    assert [x.requests for x in shaped[1].days] == [3, 0, 0, 1]
    assert [x.requests for x in shaped[0].days] == [0, 9, 0, 0]
    long_ago = [UsageRow("Agency", a, d - timedelta(days=90), 1, 0, 0, 0), *rows]
    days, _ = usage.shape_usage(long_ago)
    assert len(days) == usage.MAX_DAYS and days[-1] == d + timedelta(days=3)
    assert usage.shape_usage([]) == ((), [])
