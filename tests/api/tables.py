"""Reading list tables out of rendered pages: rows, count, sorted header, pager links."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class TableSeen:
    """What a page shows of one table."""

    rows: list[list[str]]  # cell texts, row by row
    links: list[list[str]]  # the hrefs in each row
    sorted_header: tuple[str, str] | None  # (header text, aria-sort)
    header_links: dict[str, str]  # header text -> sort link


class _Tables(HTMLParser):
    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.depth = 0  # >0 inside the wanted table
        self.seen = TableSeen([], [], None, {})
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.row_links: list[str] = []
        self.th: tuple[dict[str, str | None], list[str]] | None = None
        self.hidden = 0
        self.spans: list[bool] = []
        self.in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and (self.depth or a.get("id") == self.table_id):
            self.depth += 1
            return
        if not self.depth:
            return
        if tag == "span":
            hides = "visually-hidden" in (a.get("class") or "")
            self.spans.append(hides)
            self.hidden += hides
        if tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body:
            self.row, self.row_links = [], []
        elif tag == "td" and self.row is not None:
            self.cell = []
        elif tag == "th":
            self.th = (a, [])
        elif tag == "a":
            href = a.get("href") or ""
            if self.row is not None:
                self.row_links.append(href)
            if self.th is not None:
                self.th[0]["_href"] = href

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag == "span" and self.spans:
            self.hidden -= self.spans.pop()
        if tag == "table":
            self.depth -= 1
        elif tag == "td" and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.seen.rows.append(self.row)
            self.seen.links.append(self.row_links)
            self.row = None
        elif tag == "th" and self.th is not None:
            attrs, text = self.th
            label = " ".join("".join(text).split()).rstrip("▲▼↕").strip()
            if attrs.get("aria-sort"):
                self.seen.sorted_header = (label, str(attrs["aria-sort"]))
            if attrs.get("_href"):
                self.seen.header_links[label] = html.unescape(str(attrs["_href"]))
            self.th = None

    def handle_data(self, data: str) -> None:
        if not self.depth or self.hidden:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.th is not None:
            self.th[1].append(data)


def table(page: str, table_id: str) -> TableSeen:
    """The table ``table_id`` of ``page``."""
    parser = _Tables(table_id)
    parser.feed(page)
    assert parser.depth == 0 and (parser.seen.rows or parser.seen.header_links or f'id="{table_id}"' in page), table_id
    return parser.seen


def column(page: str, table_id: str, index: int) -> list[str]:
    """The texts of column ``index`` of every row of the table."""
    return [row[index] for row in table(page, table_id).rows if len(row) > index]


def count(page: str, table_id: str) -> str:
    """The count line of the table ("51–100 of 312 organizations")."""
    match = re.search(rf'<p class="table-count" id="{re.escape(table_id)}-count" role="status">([^<]*)</p>', page)
    assert match, f"no count for {table_id}"
    return html.unescape(match.group(1)).strip()


def pager_links(page: str) -> dict[str, str]:
    """The pager's links by their text (Previous, Next, 1, 2, …, Newer, Older)."""
    nav = re.search(r'<nav class="pager"[^>]*>(.*?)</nav>', page, re.S)
    if not nav:
        return {}
    out = {}
    for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav.group(1), re.S):
        label = re.sub(r"<[^>]+>", "", text).replace("Page ", "").strip(" ←→⇤⇥")
        out[label] = html.unescape(href)
    return out
