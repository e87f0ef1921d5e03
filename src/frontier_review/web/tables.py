"""List tables driven by the query string: sort, filters and pages, done in the database.

A page declares its table once (:class:`Table`: columns, which sort, the search box and the
filters), reads what the URL asks for (:meth:`Table.read`, which keeps only what the table
offers, so nothing from the URL reaches SQL except through the area's own whitelist), hands the
resulting :class:`~frontier_review.kernel.listing.ListQuery` to the area's list read (which
authorizes, narrows to what the reader may see, and sorts and pages in its query), and renders
:func:`table_view` of the page with the macros in ``templates/_tables.html``. Every link keeps the
other parameters of the page (a second table's, the filters), so sorting never loses a filter
and filtering never loses the order.

A malformed value never fails the page: an unknown sort key or direction falls back to the
table's default order, a page that is not a number to the first page, a page past the end to the
last one (in the area's read), and a filter value the table does not offer is ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Generic, Literal, TypeVar
from urllib.parse import urlencode

from fastapi import Request

from frontier_review.kernel.listing import MAX_SEARCH, PER_PAGE, ListQuery, Page, Sort

# ``Sort`` is re-exported so a page declares its table with this one import.
__all__ = ["Column", "Filter", "Sort", "Table", "TableView", "table_view"]

T = TypeVar("T")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_PAGE = 1_000_000  # a page past the end is shown as the last page; this only bounds the number


@dataclass(frozen=True)
class Column:
    """A column: its header, and the sort key it offers (``None``: not sortable).

    Attributes:
        label: The header text.
        sort: The area's sort key for this column, or ``None``.
        descending_first: The first click sorts descending (dates and counts: newest, largest).
        numeric: Right-align the column (numbers).
    """

    label: str
    sort: str | None = None
    descending_first: bool = False
    numeric: bool = False


@dataclass(frozen=True)
class Filter:
    """A filter control. Only values the table offers reach the area's read.

    Attributes:
        name: The parameter name (and the area's filter name).
        label: The control's visible label.
        kind: ``select`` (one of ``choices``), ``text`` (free text, at most 200 characters, which
            the area only ever matches as text) or ``date`` (``YYYY-MM-DD``).
        choices: A select's ``(value, label)`` pairs.
        any_label: A select's "no filter" option.
        placeholder: A text input's example value.
    """

    name: str
    label: str
    kind: Literal["select", "text", "date"] = "select"
    choices: Sequence[tuple[str, str]] = ()
    any_label: str = "any"
    placeholder: str = ""

    def accept(self, raw: str | None) -> str | None:
        """The value to filter on, or ``None`` when ``raw`` is empty or not one this filter offers."""
        value = (raw or "").strip()
        if not value:
            return None
        if self.kind == "select":
            return value if value in {v for v, _ in self.choices} else None
        if self.kind == "date":
            return value if _DATE.match(value) else None
        return value[:MAX_SEARCH]


@dataclass(frozen=True)
class Table:
    """A list table: what it shows, how it may be sorted and narrowed, and its page size.

    Attributes:
        id: The table's HTML id (controls and the count are named after it).
        caption: What the table lists ("Organizations").
        columns: The columns, in order.
        default_sort: The order when the URL asks for none (or for one the table does not offer).
        noun: The singular and plural of a row, for the count ("organization", "organizations").
        search_label: The label of the text search box (parameter ``q``); ``None`` for none.
        filters: Further filters, in the order the form shows them.
        per_page: Rows per page.
        prefix: Prefix of every parameter, for a page with more than one table.
        reset_params: Further parameters of this table that filtering starts over from (a position
            in a log) or that the page's form sets itself; without the prefix.
    """

    id: str
    caption: str
    columns: Sequence[Column]
    default_sort: Sort
    noun: tuple[str, str] = ("row", "rows")
    search_label: str | None = None
    filters: Sequence[Filter] = ()
    per_page: int = PER_PAGE
    prefix: str = ""
    reset_params: Sequence[str] = ()

    def param(self, name: str) -> str:
        """The query-string name of this table's parameter ``name``."""
        return self.prefix + name

    @property
    def own_params(self) -> frozenset[str]:
        """Every parameter this table reads."""
        names = ["sort", "dir", "page", "q", *(f.name for f in self.filters), *self.reset_params]
        return frozenset(self.param(n) for n in names)

    @property
    def filter_params(self) -> frozenset[str]:
        """The parameters the filter form sets (the search box and the filters)."""
        return frozenset(self.param(n) for n in ["q", *(f.name for f in self.filters)])

    def with_choices(self, name: str, choices: Iterable[tuple[str, str]]) -> Table:
        """This table with filter ``name`` offering ``choices`` (choices known only per request)."""
        filters = [replace(f, choices=tuple(choices)) if f.name == name else f for f in self.filters]
        return replace(self, filters=tuple(filters))

    def without_filter(self, name: str) -> Table:
        """This table without filter ``name`` (for a reader to whom it would mean nothing)."""
        return replace(self, filters=tuple(f for f in self.filters if f.name != name))

    def column_for(self, sort_key: str) -> Column | None:
        """The column offering ``sort_key``, if any."""
        return next((c for c in self.columns if c.sort is not None and c.sort == sort_key), None)

    def read(self, params: Mapping[str, str]) -> ListQuery:
        """What the URL asks of this table, keeping only what the table offers.

        Args:
            params: The request's query parameters.

        Returns:
            The order, page, search and filter values to hand to the area's list read.
        """
        sort: Sort | None = None
        column = self.column_for(params.get(self.param("sort"), ""))
        if column is not None and column.sort is not None:
            direction = params.get(self.param("dir"))
            descending = direction == "desc" if direction in {"asc", "desc"} else column.descending_first
            sort = Sort(column.sort, descending)
        try:
            page = min(max(int(params.get(self.param("page"), "1")), 1), _MAX_PAGE)
        except ValueError:
            page = 1
        search = (params.get(self.param("q")) or "") if self.search_label else ""
        chosen = {f.name: value for f in self.filters if (value := f.accept(params.get(self.param(f.name)))) is not None}
        return ListQuery(sort=sort, page=page, per_page=self.per_page, search=search, filters=chosen)


@dataclass(frozen=True)
class TableView(Generic[T]):
    """A page of a table as the macros draw it: rows, links that keep the other parameters, count.

    Attributes:
        table: The table.
        page: The page the area's read returned.
        query: What was asked (the filters the form shows again).
        path: The page's path (links and the filter form go there).
        params: The request's query parameters, in order (kept by every link).
        anchor: The id every link and the filter form return to (a table in a tab), or "".
    """

    table: Table
    page: Page[T]
    query: ListQuery
    path: str
    params: tuple[tuple[str, str], ...] = field(default=())
    anchor: str = ""

    @property
    def action(self) -> str:
        """The filter form's action: the page, back at the anchor (a GET form keeps the fragment)."""
        return self.path + (f"#{self.anchor}" if self.anchor else "")

    @property
    def rows(self) -> Sequence[T]:
        """The rows of the page."""
        return self.page.items

    def href(self, **changes: str | None) -> str:
        """The page's URL with this table's parameters ``changes`` set (``None`` removes one)."""
        names = {self.table.param(k): v for k, v in changes.items()}
        kept = [(k, v) for k, v in self.params if k not in names]
        kept += [(k, v) for k, v in names.items() if v is not None]
        return self.path + ("?" + urlencode(kept) if kept else "") + (f"#{self.anchor}" if self.anchor else "")

    def is_sorted_by(self, column: Column) -> bool:
        """Whether the page is sorted by ``column``."""
        return column.sort is not None and column.sort == self.page.sort.key

    def aria_sort(self, column: Column) -> str | None:
        """The header's ``aria-sort``: set on the sorted column only."""
        if not self.is_sorted_by(column):
            return None
        return "descending" if self.page.sort.descending else "ascending"

    def next_descending(self, column: Column) -> bool:
        """The direction a click on ``column``'s header asks for: the other one if sorted by it."""
        return not self.page.sort.descending if self.is_sorted_by(column) else column.descending_first

    def sort_href(self, column: Column) -> str:
        """The link of ``column``'s header (back to the first page: the order changed)."""
        return self.href(sort=column.sort, dir="desc" if self.next_descending(column) else "asc", page=None)

    def page_href(self, number: int) -> str:
        """The link to page ``number``."""
        return self.href(page=str(number) if number > 1 else None)

    @property
    def page_numbers(self) -> list[int | None]:
        """The pages the pager links to: the first, the last and two either side (``None``: a gap)."""
        last, here = self.page.pages, self.page.page
        shown = sorted({1, last, *range(max(1, here - 2), min(last, here + 2) + 1)})
        out: list[int | None] = []
        previous = 0
        for number in shown:
            if previous and number - previous > 1:
                out.append(None)
            out.append(number)
            previous = number
        return out

    @property
    def count_text(self) -> str:
        """The count line: "51–100 of 312 organizations", "1 organization", "No organizations"."""
        one, many = self.table.noun
        total = self.page.total
        if total == 0:
            return f"No {many}{' match the filters' if self.is_filtered else ''}"
        if self.page.pages == 1:
            return f"{total} {one if total == 1 else many}"
        return f"{self.page.first}–{self.page.last} of {total} {many}"

    @property
    def sort_text(self) -> str:
        """How the rows are ordered, for the caption ("sorted by Name, ascending")."""
        column = self.table.column_for(self.page.sort.key)
        label = column.label if column is not None else self.page.sort.key
        return f"sorted by {label}, {'descending' if self.page.sort.descending else 'ascending'}"

    @property
    def is_filtered(self) -> bool:
        """Whether a search or a filter narrows the list."""
        return bool(self.query.search or self.query.filters)

    @property
    def clear_href(self) -> str:
        """The list without this table's search and filters (the order is kept)."""
        dropped = [*(f.name for f in self.table.filters), *self.table.reset_params]
        return self.href(page=None, q=None, **dict.fromkeys(dropped, None))

    @property
    def keep_inputs(self) -> list[tuple[str, str]]:
        """Hidden fields of the filter form: every parameter but the ones it sets and the page."""
        drop = self.table.filter_params | {self.table.param(n) for n in ("page", *self.table.reset_params)}
        return [(k, v) for k, v in self.params if k not in drop]


def table_view(
    request: Request, table: Table, page: Page[T], query: ListQuery, *, path: str | None = None, anchor: str = ""
) -> TableView[T]:
    """The page of ``table`` to render, with links to ``path`` (default: the request's own path).

    A fragment polled on its own URL (htmx) passes the path of the page it lives in, so its links
    lead there.
    """
    items: list[tuple[str, str]] = list(request.query_params.multi_items())
    return TableView(table=table, page=page, query=query, path=path or request.url.path, params=tuple(items), anchor=anchor)
