"""The organizations list: sorted, filtered and paged in the database, every link keeping the rest."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from frontier_review.bootstrap import Container
from frontier_review.identity.domain import OrgKind, Role
from tests.api.helpers import web_login
from tests.api.tables import count, pager_links, table
from tests.factories.identity import make_org, make_superuser, make_user

KINDS = [OrgKind.DEVELOPER, OrgKind.AGENCY, OrgKind.PARTNER]


def _names(page: str) -> list[str]:
    return [row[0] for row in table(page, "orgs-table").rows]


def test_organizations_sort_filter_and_page(container: Container, http: httpx.Client) -> None:
    for n in range(1, 62):
        make_org(container, KINDS[n % 3], name=f"Org {n:03d}")
    operator = make_superuser(container)
    web_login(http, operator.email, operator.password)

    first = http.get("/organizations")
    assert first.status_code == 200
    assert count(first.text, "orgs-table") == "1–50 of 61 organizations"
    assert _names(first.text) == [f"Org {n:03d}" for n in range(1, 51)]
    assert table(first.text, "orgs-table").sorted_header == ("Name", "ascending")
    assert 'class="sortable"' not in first.text  # one behaviour: the server sorts

    second = http.get(pager_links(first.text)["Next"])
    assert count(second.text, "orgs-table") == "51–61 of 61 organizations"
    assert _names(second.text) == [f"Org {n:03d}" for n in range(51, 62)]

    # The Name header sorts the other way; the link keeps the other parameters.
    flipped_href = table(first.text, "orgs-table").header_links["Name"]
    assert parse_qs(urlsplit(flipped_href).query) == {"sort": ["name"], "dir": ["desc"]}
    flipped = http.get(flipped_href)
    assert _names(flipped.text)[:3] == ["Org 061", "Org 060", "Org 059"]
    assert table(flipped.text, "orgs-table").sorted_header == ("Name", "descending")

    # Filters narrow, in the query; the sort survives filtering and the filter survives sorting.
    searched = http.get("/organizations", params={"q": "org 05", "sort": "name", "dir": "desc"})
    assert _names(searched.text) == [f"Org {n:03d}" for n in range(59, 49, -1)]
    assert count(searched.text, "orgs-table") == "10 organizations"
    by_members = table(searched.text, "orgs-table").header_links["Members"]
    assert parse_qs(urlsplit(by_members).query)["q"] == ["org 05"]
    agencies = http.get("/organizations", params={"kind": "agency"})
    assert _names(agencies.text) == [f"Org {n:03d}" for n in range(1, 62) if n % 3 == 1]
    assert count(agencies.text, "orgs-table") == "21 organizations"
    none = http.get("/organizations", params={"q": "no such org"})
    assert count(none.text, "orgs-table") == "No organizations match the filters"

    # Sorting by a count happens in the query too (largest first on the first click).
    people = make_org(container, OrgKind.AGENCY, name="Busy Agency")
    for _ in range(3):
        make_user(container, people)
    busiest = http.get(table(first.text, "orgs-table").header_links["Members"])
    assert table(busiest.text, "orgs-table").rows[0][0] == "Busy Agency"
    assert table(busiest.text, "orgs-table").rows[0][3] == "3"


def test_organizations_bad_parameters_fall_back_safely(container: Container, http: httpx.Client) -> None:
    for n in range(1, 56):
        make_org(container, OrgKind.AGENCY, name=f"Agency {n:03d}")
    operator = make_superuser(container)
    web_login(http, operator.email, operator.password)
    for params in (
        {"sort": "name); drop table organizations; --"},
        {"sort": "id", "dir": "sideways"},
        {"page": "abc"},
        {"page": "-3"},
        {"kind": "not-a-kind"},
    ):
        page = http.get("/organizations", params=params)
        assert page.status_code == 200, params
        assert _names(page.text)[0] == "Agency 001", params
        assert count(page.text, "orgs-table") == "1–50 of 55 organizations", params
    past_the_end = http.get("/organizations", params={"page": "999999999999"})
    assert past_the_end.status_code == 200
    assert count(past_the_end.text, "orgs-table") == "51–55 of 55 organizations"


def test_organizations_list_never_widens_what_a_member_sees(container: Container, http: httpx.Client) -> None:
    mine = make_org(container, OrgKind.DEVELOPER, name="Northwind AI")
    make_org(container, OrgKind.DEVELOPER, name="Southwind AI")
    admin = make_user(container, mine, role=Role.ADMIN)
    web_login(http, admin.email, admin.password)
    for params in ({}, {"q": "wind"}, {"kind": "developer"}, {"sort": "name", "dir": "desc"}):
        page = http.get("/organizations", params=params)
        assert _names(page.text) == ["Northwind AI"], params
