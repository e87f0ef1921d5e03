"""A list's page in one query: ORDER BY a whitelisted sort key, COUNT(*), LIMIT and OFFSET.

Areas build the filtered ``SELECT`` of what the reader may see (visibility first, then the
filters, which only narrow it) and hand it here with the columns each of their sort keys means.
A sort key from the URL is only ever looked up in that mapping, never put into SQL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, SQLColumnExpression, case, false, func, or_, select
from sqlalchemy.orm import Session

from frontier_review.kernel.errors import ValidationFailed
from frontier_review.kernel.listing import ListQuery, Page, Sort, last_page

__all__ = ["AnyRow", "AnySelect", "Col", "SortColumns", "by_position", "fetch_page", "search_any"]

Col = SQLColumnExpression[Any]
"""A column or an expression (mapped attributes included)."""

SortColumns = Mapping[str, Sequence[Col]]
"""Each sort key an area offers, with the columns (or expressions) it orders by, in order."""

AnySelect = Select[*tuple[Any, ...]]
AnyRow = Row[*tuple[Any, ...]]


def fetch_page(
    session: Session,
    stmt: AnySelect,
    query: ListQuery,
    *,
    sorts: SortColumns,
    default: Sort,
    unique: Col | Sequence[Col],
) -> Page[AnyRow]:
    """The page ``query`` asks for of ``stmt``'s rows, with the total of the whole filtered list.

    Args:
        session: The unit of work's session.
        stmt: The list's statement, already limited to what the reader may see and filtered.
        query: The order, page and size asked for (its filters are the caller's to apply).
        sorts: The sort keys the list offers.
        default: The order when ``query`` asks for none.
        unique: A unique column (or columns), the last tie-breaker, so pages never overlap or skip rows.

    Returns:
        The rows of the page (a page past the end is brought back to the last page).

    Raises:
        ValidationFailed: ``query`` asks for a sort key the list does not offer.
    """
    sort = query.sort or default
    columns = sorts.get(sort.key)
    if columns is None:
        raise ValidationFailed(f"cannot sort by {sort.key!r}; choose one of {', '.join(sorted(sorts))}", field="sort")
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    page = min(query.page, last_page(total, query.per_page))
    # NULLS LAST in both directions on both databases (PostgreSQL would put them first on DESC).
    order = [(c.desc() if sort.descending else c.asc()).nulls_last() for c in columns]
    for column in unique if isinstance(unique, Sequence) else [unique]:
        order.append((column.desc() if sort.descending else column.asc()).nulls_last())
    rows = session.execute(stmt.order_by(None).order_by(*order).limit(query.per_page).offset((page - 1) * query.per_page))
    return Page(list(rows.all()), total, page, query.per_page, sort)


def search_any(text: str, *columns: Col) -> ColumnElement[bool]:
    """A condition: one of ``columns`` contains ``text``, case-insensitively, ``%`` and ``_`` literal."""
    if not columns:
        return false()
    return or_(*(column.icontains(text, autoescape=True) for column in columns))


def by_position(column: Col, ordered: Sequence[Any]) -> Col:
    """An expression ordering rows by where ``column``'s value stands in ``ordered`` (others last).

    For sorting on something another area owns, such as an organization's name: that area gives
    the ids in name order (through its public read), and the list sorts by their position without
    reading the other area's tables. Meant for tens to a few hundred values.
    """
    if not ordered:
        return column
    return case({value: index for index, value in enumerate(ordered)}, value=column, else_=len(ordered))
