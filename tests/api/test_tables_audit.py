"""The audit browser: Newer/Older paging with the filtered total, a date range, target names for those who may see them."""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx

from frontier_review.audit import service as audit
from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind, Role
from frontier_review.kernel.tags import AuditTag
from tests.api.helpers import web_login
from tests.api.tables import count, pager_links, table
from tests.factories.engagements import make_engagement
from tests.factories.identity import make_org, make_superuser, make_user

DAY = datetime(2026, 5, 1, tzinfo=UTC)


class BrowseTag(AuditTag):
    """Entries these tests write, easy to filter on."""

    PING = "tests:browse:ping"
    PONG = "tests:browse:pong"


def _write(container: Container, n: int, *, start: datetime, step: timedelta, tag: BrowseTag = BrowseTag.PING) -> None:
    """``n`` entries, ``step`` apart from ``start``, each aimed at an engagement id that exists nowhere."""
    with container.uow() as uow:
        audit.append_many(
            uow,
            [
                {
                    "actor_label": "robot@example.org",
                    "actor_user_id": None,
                    "actor_org_id": None,
                    "action": tag,
                    "target_type": "engagement",
                    "target_id": f"00000000-0000-4000-8000-{i:012d}",
                    "details": {"n": i},
                    "occurred_at": start + i * step,
                }
                for i in range(n)
            ],
        )


def _seqs(page: str) -> list[int]:
    return [int(row[0]) for row in table(page, "audit-table").rows]


def test_newer_older_paging_with_the_filtered_total(container: Container, http: httpx.Client) -> None:
    operator = make_superuser(container)
    _write(container, 120, start=DAY, step=timedelta(minutes=1))
    _write(container, 7, start=DAY, step=timedelta(minutes=1), tag=BrowseTag.PONG)
    web_login(http, operator.email, operator.password)

    first = http.get("/audit", params={"action": "tests:browse:ping"})
    assert first.status_code == 200
    assert count(first.text, "audit-table") == "1–50 of 120 entries"
    newest = _seqs(first.text)
    assert len(newest) == 50 and newest == sorted(newest, reverse=True)
    links = pager_links(first.text)
    assert set(links) == {"Older", "Oldest"}  # nothing is newer than the newest page

    second = http.get(links["Older"])
    assert count(second.text, "audit-table") == "51–100 of 120 entries"
    middle = _seqs(second.text)
    assert middle[0] < newest[-1] and len(middle) == 50
    assert parse_qs(urlsplit(links["Older"]).query)["action"] == ["tests:browse:ping"]  # the filter is kept

    third = http.get(pager_links(second.text)["Older"])
    assert count(third.text, "audit-table") == "101–120 of 120 entries"
    assert len(_seqs(third.text)) == 20
    assert set(pager_links(third.text)) == {"Newest", "Newer"}

    back = http.get(pager_links(third.text)["Newer"])
    assert _seqs(back.text) == middle
    assert count(back.text, "audit-table") == "51–100 of 120 entries"
    # Oldest is the 50 oldest entries: a full page, ending where the last Older page ends.
    oldest = http.get(links["Oldest"])
    assert count(oldest.text, "audit-table") == "71–120 of 120 entries"
    assert _seqs(oldest.text)[-20:] == _seqs(third.text)
    again = http.get(pager_links(second.text)["Newest"])
    assert _seqs(again.text) == newest

    # Another filter narrows the total; a new filter starts over from the newest page.
    pong = http.get("/audit", params={"action": "tests:browse:pong", "before_seq": str(newest[-1])})
    assert count(pong.text, "audit-table") == "7 entries"
    assert 'name="before_seq"' not in pong.text  # the filter form does not carry a position


def test_bad_positions_and_dates_fall_back_safely(container: Container, http: httpx.Client) -> None:
    operator = make_superuser(container)
    _write(container, 60, start=DAY, step=timedelta(hours=1))
    web_login(http, operator.email, operator.password)
    for params in (
        {"before_seq": "abc"},
        {"after_seq": "-1"},
        {"before_seq": "99999999999999999999999"},
        {"outcome": "exploded"},
        {"tz": "Mars/Olympus_Mons"},
        {"tz": "../../etc/passwd"},
    ):
        page = http.get("/audit", params={"action": "tests:browse:ping", **params})
        assert page.status_code == 200, params
        assert count(page.text, "audit-table") == "1–50 of 60 entries", params
    impossible = http.get("/audit", params={"action": "tests:browse:ping", "from": "2026-02-31"})
    assert impossible.status_code == 200
    assert "is not a date" in impossible.text and 'role="alert"' in impossible.text
    assert count(impossible.text, "audit-table") == "1–50 of 60 entries"
    backwards = http.get("/audit", params={"action": "tests:browse:ping", "from": "2026-05-03", "to": "2026-05-01"})
    assert "after the “to” date" in backwards.text
    assert count(backwards.text, "audit-table") == "No entries match the filters"


def test_date_range_in_the_viewers_zone(container: Container, http: httpx.Client) -> None:
    operator = make_superuser(container)
    # One entry an hour from 2026-05-01 00:00 UTC: 24 a day, for three days.
    _write(container, 72, start=DAY, step=timedelta(hours=1))
    web_login(http, operator.email, operator.password)

    utc = http.get("/audit", params={"action": "tests:browse:ping", "from": "2026-05-02", "to": "2026-05-02"})
    assert count(utc.text, "audit-table") == "24 entries"
    assert "Dates are days in <span data-zone-label>UTC</span>" in utc.text
    # 2026-05-02 in New York (EDT, UTC-4) runs from 04:00 UTC that day to 04:00 UTC the next.
    york = http.get(
        "/audit", params={"action": "tests:browse:ping", "from": "2026-05-02", "to": "2026-05-02", "tz": "America/New_York"}
    )
    assert count(york.text, "audit-table") == "24 entries"
    times = [row[1] for row in table(york.text, "audit-table").rows]
    assert times[0].startswith("2026-05-03 03:00") and times[-1].startswith("2026-05-02 04:00")
    assert 'value="America/New_York" data-browser-zone' in york.text
    # An open-ended range, and the export carries the same filters (all entries, not one page).
    since = http.get("/audit", params={"action": "tests:browse:ping", "from": "2026-05-03"})
    assert count(since.text, "audit-table") == "24 entries"
    export = next(href for href in _hrefs(york.text) if href.startswith("/audit/export.jsonl"))
    assert parse_qs(urlsplit(export).query) == {
        "action": ["tests:browse:ping"],
        "from": ["2026-05-02"],
        "to": ["2026-05-02"],
        "tz": ["America/New_York"],
    }
    lines = http.get(export).text.splitlines()
    entries = [json.loads(line) for line in lines]
    assert len(entries) == 24 and all(e["action"] == "tests:browse:ping" for e in entries)


def _hrefs(page: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'href="([^"]+)"', page)]


def test_target_filters_and_names(container: Container, http: httpx.Client) -> None:
    operator = make_superuser(container)
    agency = make_org(container, OrgKind.AGENCY, name="Bureau of Examples")
    _write(container, 3, start=DAY, step=timedelta(hours=1))
    web_login(http, operator.email, operator.password)
    orgs = http.get("/audit", params={"target_type": "organization"})
    assert count(orgs.text, "audit-table") == "1 entry"
    cell = table(orgs.text, "audit-table").rows[0][5]
    assert cell == "Bureau of Examples (organization)"
    assert f"/organizations/{agency.id}" in table(orgs.text, "audit-table").links[0]
    # An id that names nothing stays a bare (short) id, and filtering by its start finds it.
    one = http.get("/audit", params={"target": "00000000-0000-4000-8000-000000000002"})
    assert count(one.text, "audit-table") == "1 entry"
    assert table(one.text, "audit-table").rows[0][5] == "engagement 00000000"
    assert count(http.get("/audit", params={"target": "00000000-0000-4000"}).text, "audit-table") == "3 entries"


def test_a_hidden_target_never_shows_its_title(container: Container, http: httpx.Client) -> None:
    setup = make_engagement(container)  # another developer's engagement, "Review of Atlas rc-…"
    title = setup.engagement.title
    rival = make_org(container, OrgKind.DEVELOPER, name="Rival Labs")
    rival_admin = make_user(container, rival, role=Role.ADMIN)
    rival_member = make_user(container, rival)
    # The rival's member tries the engagement's page: refused as missing, and the refusal is audited
    # with the engagement as its target, in the rival's own part of the log.
    web_login(http, rival_member.email, rival_member.password)
    assert http.get(f"/engagements/{setup.engagement.id}").status_code == 404

    with httpx.Client(base_url=str(http.base_url), timeout=30) as admin:
        web_login(admin, rival_admin.email, rival_admin.password)
        page = admin.get("/audit", params={"target_type": "engagement"})
        assert page.status_code == 200
        rows = table(page.text, "audit-table").rows
        assert rows, page.text
        assert title not in page.text
        assert all(row[5] == f"engagement {str(setup.engagement.id)[:8]}" for row in rows)
        assert f"/engagements/{setup.engagement.id}" not in page.text

    # Its developer, and the program office that oversees it, see the title as a link.
    with httpx.Client(base_url=str(http.base_url), timeout=30) as owner:
        web_login(owner, setup.developer.email, setup.developer.password)
        page = owner.get("/audit", params={"target_type": "engagement"})
        assert f'<a href="/engagements/{setup.engagement.id}">{title}</a>' in page.text
    with httpx.Client(base_url=str(http.base_url), timeout=30) as po:
        web_login(po, setup.program_office.email, setup.program_office.password)
        page = po.get("/audit", params={"target": str(setup.engagement.id), "outcome": "denied"})
        assert count(page.text, "audit-table") == "1 entry"
        assert table(page.text, "audit-table").rows[0][5] == f"{title} (engagement)"
