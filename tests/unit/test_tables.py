"""The table kit without a database: what the URL may ask for, the links it draws, the count."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.kernel.listing import ListQuery, Page, Sort
from frontier_review.web.tables import Column, Filter, Table, TableView

TABLE = Table(
    id="things",
    caption="Things",
    noun=("thing", "things"),
    columns=(Column("Name", "name"), Column("Size", "size", descending_first=True), Column("Notes")),
    default_sort=Sort("name"),
    search_label="Name contains",
    filters=(Filter("colour", "Colour", choices=(("red", "Red"), ("blue", "Blue"))), Filter("from", "From", kind="date")),
)


def _view(params: dict[str, str], total: int = 312, page: int = 2, sort: Sort | None = None) -> TableView[int]:
    query = TABLE.read(params)
    shown = min(50, max(0, total - (page - 1) * 50))
    return TableView(
        TABLE,
        Page(list(range(shown)), total, page, 50, sort or query.sort or TABLE.default_sort),
        query,
        "/things",
        tuple(params.items()),
    )


def _query(href: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(href).query))


def test_read_keeps_only_what_the_table_offers() -> None:
    query = TABLE.read({"sort": "size", "page": "3", "q": "  ab  ", "colour": "red", "from": "2026-05-02", "other": "x"})
    assert query == ListQuery(
        sort=Sort("size", descending=True), page=3, search="ab", filters={"colour": "red", "from": "2026-05-02"}
    )
    assert TABLE.read({"sort": "size", "dir": "asc"}).sort == Sort("size", descending=False)


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "notes"},  # a column that does not sort
        {"sort": "name; drop table things"},
        {"sort": "id"},
        {"page": "abc"},
        {"page": "0"},
        {"page": "-2"},
        {"colour": "green"},
        {"from": "yesterday"},
        {"dir": "sideways"},
    ],
)
def test_anything_else_falls_back(params: dict[str, str]) -> None:
    query = TABLE.read(params)
    assert query.sort is None and query.page == 1 and not query.filters


@given(st.dictionaries(st.sampled_from(["sort", "dir", "page", "q", "colour", "from", "x"]), st.text(max_size=300)))
def test_read_never_fails_and_only_passes_known_values(params: dict[str, str]) -> None:
    query = TABLE.read(params)
    assert query.sort is None or query.sort.key in {"name", "size"}
    assert query.page >= 1 and len(query.search) <= 200
    assert set(query.filters) <= {"colour", "from"}
    assert query.filter("colour") in {None, "red", "blue"}


def test_links_keep_the_other_parameters() -> None:
    view = _view({"q": "ab", "colour": "red", "page": "2", "other_table_page": "4"})
    name, size, notes = TABLE.columns
    assert view.aria_sort(name) == "ascending" and view.aria_sort(size) is None and view.aria_sort(notes) is None
    assert _query(view.sort_href(name)) == {"q": "ab", "colour": "red", "other_table_page": "4", "sort": "name", "dir": "desc"}
    assert _query(view.sort_href(size))["dir"] == "desc"  # sizes: largest first on the first click
    assert _query(view.page_href(3)) == {"q": "ab", "colour": "red", "other_table_page": "4", "page": "3"}
    assert "page" not in _query(view.page_href(1))
    assert _query(view.clear_href) == {"other_table_page": "4"}
    assert dict(view.keep_inputs) == {"other_table_page": "4"}


def test_count_and_pages() -> None:
    assert _view({}, total=312, page=2).count_text == "51–100 of 312 things"
    assert _view({}, total=312, page=7).count_text == "301–312 of 312 things"
    assert _view({}, total=1, page=1).count_text == "1 thing"
    assert _view({}, total=0, page=1).count_text == "No things"
    assert _view({"q": "zz"}, total=0, page=1).count_text == "No things match the filters"
    assert _view({}, total=312, page=4).page_numbers == [1, 2, 3, 4, 5, 6, 7]
    assert _view({}, total=2000, page=20).page_numbers == [1, None, 18, 19, 20, 21, 22, None, 40]
    assert _view({}, total=312, page=2).sort_text == "sorted by Name, ascending"


def test_page_positions() -> None:
    page = Page(list(range(12)), 312, 7, 50, Sort("name"))
    assert (page.pages, page.first, page.last) == (7, 301, 312)
    empty: Page[int] = Page([], 0, 1, 50, Sort("name"))
    assert (empty.pages, empty.first, empty.last) == (1, 0, 0)
    assert page.map(str).items[:2] == ["0", "1"]
    with pytest.raises(ValueError, match="page"):
        ListQuery(page=0)
