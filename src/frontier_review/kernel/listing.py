"""What a list asks for and what it gets back: order, page and filters; rows and their total.

Every area's list read takes a :class:`ListQuery` and returns a :class:`Page`, so the web kit
(``web/tables.py``) can draw any list the same way, and the sorting, filtering and paging happen
in the area's own query (``db/listing.py``) rather than on rows loaded in full. Pure values: the
area decides what a sort key or a filter means, and every filter only narrows what the reader
may see anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Generic, TypeVar

__all__ = ["MAX_PER_PAGE", "MAX_SEARCH", "PER_PAGE", "ListQuery", "Page", "Sort", "last_page"]

T = TypeVar("T")
U = TypeVar("U")

PER_PAGE = 50
MAX_PER_PAGE = 500
MAX_SEARCH = 200


@dataclass(frozen=True)
class Sort:
    """One sort key of a list (an area names its keys) and its direction."""

    key: str
    descending: bool = False


@dataclass(frozen=True)
class ListQuery:
    """A page of a list: its order, which page, a text search and the chosen filter values.

    Attributes:
        sort: The order asked for; ``None`` means the list's own default order.
        page: 1-based page number (a page past the end shows the last page).
        per_page: Rows per page.
        search: Text the list's searchable columns must contain (case-insensitive); "" for none.
        filters: Filter name to the one value chosen (a select); absent means "any".
    """

    sort: Sort | None = None
    page: int = 1
    per_page: int = PER_PAGE
    search: str = ""
    filters: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ValueError("page must be at least 1")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        object.__setattr__(self, "search", self.search.strip()[:MAX_SEARCH])
        object.__setattr__(self, "filters", MappingProxyType(dict(self.filters)))

    def filter(self, name: str) -> str | None:
        """The value chosen for filter ``name``, or ``None`` for "any"."""
        return self.filters.get(name) or None


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list, with how many rows the whole (filtered) list has.

    Attributes:
        items: The rows of this page, in order.
        total: Rows in the whole filtered list (what the count shows).
        page: The page shown (a page past the end was brought back to the last one).
        per_page: Rows per page.
        sort: The order applied (the default when none, or an unknown one, was asked for).
    """

    items: Sequence[T]
    total: int
    page: int
    per_page: int
    sort: Sort

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def pages(self) -> int:
        """How many pages the list has (at least one, even when empty)."""
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        """1-based position of the first row shown (0 when there is none)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        """1-based position of the last row shown (0 when there is none)."""
        return self.first + len(self.items) - 1 if self.items else 0

    def map(self, convert: Callable[[T], U]) -> Page[U]:
        """The same page with each row converted (rows to views)."""
        return Page([convert(item) for item in self.items], self.total, self.page, self.per_page, self.sort)


def last_page(total: int, per_page: int) -> int:
    """The number of the last page of ``total`` rows (1 for an empty list)."""
    return max(1, -(-total // per_page))
