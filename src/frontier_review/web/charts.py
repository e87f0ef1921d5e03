"""Server-rendered SVG charts: a small kit over pygal, for pages where people would rather look.

Every chart is an inline ``<svg role="img">`` whose ``<title>`` and ``<desc>`` name it and say
what it shows; the page puts the same numbers in a table next to it (the chart is for the eye,
the table for screen readers and for exact values). What pygal adds for its own interactive
mode is taken out before the SVG leaves here: its ``<script>`` (the site's CSP allows scripts
from the site only, and an inline one would be refused anyway), its inline ``<style>`` (charts
are styled by ``app.css``, like every other element), comments and the hidden tooltip data. Each
bar keeps a ``<title>``, the browser's own hover tooltip, which needs no script.

The SVG has a ``viewBox`` and no width or height, so CSS sizes it to its container
(``.chart-svg { width: 100% }``): a chart never makes a page scroll sideways.

pygal is imported on first use. Bar charts are cached (most are the same from one request to the
next); charts of scores are not, so no classified value outlives the request that showed it.
"""

from __future__ import annotations

import functools
import math
import sys
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup

__all__ = ["Estimate", "bar_chart", "compact_number", "estimate_chart"]

_WIDTH = 320
_LABEL_PX = 11  # axis text; app.css uses the same size, pygal needs it to lay out the margins
_MAX_X_LABELS = 7


@dataclass(frozen=True)
class Estimate:
    """One measured value with its standard error (``None`` when unknown), as a labelled bar."""

    label: str
    value: float
    stderr: float | None = None


def compact_number(value: float) -> str:
    """A number short enough for an axis: 950, 12k, 1.2M."""
    magnitude = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            shown = value / limit
            return f"{shown:.0f}{suffix}" if abs(shown) >= 10 else f"{shown:.1f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def nice_ticks(top: float, *, at_most: int = 4) -> tuple[float, ...]:
    """Round axis ticks from 0 to at least ``top``: 1, 2 or 5 times a power of ten apart."""
    if top <= 0:
        return (0.0, 1.0)
    raw = max(top / at_most, 1.0)  # counts: never a fractional tick
    power = 10 ** math.floor(math.log10(raw))
    step = float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))
    count = max(1, math.ceil(top / step))
    return tuple(float(i * step) for i in range(count + 1))


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    labels: Sequence[str],
    values: Sequence[float],
    y_max: float | None = None,
    unit: str = "",
) -> Markup:
    """A small vertical bar chart of counts (calls per day, tokens per day).

    Args:
        chart_id: An id unique on the page (the SVG's ``id``; its title and desc derive theirs).
        title: The chart's accessible name.
        desc: What it shows, in a sentence (read by screen readers along with the title).
        labels: One label per bar (at most seven are printed on the axis; every bar keeps its
            label in its hover title).
        values: One value per bar.
        y_max: The top of the scale, so that small multiples share one (the largest value
            when not given).
        unit: Said after a value in a bar's hover title ("12 calls").
    """
    if len(labels) != len(values):
        raise ValueError("one label per value")
    top = max([y_max or 0.0, *values, 0.0])
    return Markup(_bar_svg(chart_id, title, desc, tuple(labels), tuple(float(v) for v in values), top, unit))  # noqa: S704 - built by ElementTree, every text escaped


def estimate_chart(
    *, chart_id: str, title: str, desc: str, estimates: Sequence[Estimate], low: float = 0.0, high: float = 1.0
) -> Markup:
    """Horizontal bars for estimates on a fixed scale (scores 0 to 1), each with ±1 standard error whiskers.

    Args:
        chart_id: An id unique on the page.
        title: The chart's accessible name.
        desc: What it shows, in a sentence.
        estimates: The bars, top to bottom.
        low: The left end of the scale.
        high: The right end of the scale.
    """
    rows = tuple((e.label, float(e.value), None if e.stderr is None else float(e.stderr)) for e in estimates)
    return Markup(_estimate_svg(chart_id, title, desc, rows, float(low), float(high)))  # noqa: S704 - built by ElementTree, every text escaped


# Rendering ---------------------------------------------------------------------------------


@functools.cache
def _pygal() -> Any:
    """Pygal, imported on first use and held to the standard library's ElementTree.

    pygal would switch to lxml if that were installed; the filter below is written for one of them.
    """
    import pygal
    from pygal.etree import etree

    etree.to_etree()
    # pygal appends a finder for its map plugins to sys.meta_path that has only the legacy
    # find_module: on Python 3.11 every later import that no other finder resolves then warns
    # (ImportWarning, an error under the tests' warning filter). No map plugin is used here.
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]
    return pygal


def _style() -> Any:
    from pygal.style import Style

    # Only what changes the layout matters here (font sizes feed pygal's margins); colours and
    # fonts come from app.css.
    return Style(
        font_family="system-ui, sans-serif",
        label_font_size=_LABEL_PX,
        major_label_font_size=_LABEL_PX,
        title_font_size=13,
        value_font_size=_LABEL_PX,
        no_data_font_size=13,
        colors=("#1f4e99",),
    )


def _common() -> dict[str, Any]:
    return {
        "style": _style(),
        "js": [],
        "css": [],
        "disable_xml_declaration": True,
        "explicit_size": False,  # viewBox only: CSS gives the width
        "show_legend": False,
        "classes": ["chart-svg"],
        "margin": 6,
        "spacing": 6,
        "no_data_text": "No data",
    }


@functools.lru_cache(maxsize=256)
def _bar_svg(
    chart_id: str, title: str, desc: str, labels: tuple[str, ...], values: tuple[float, ...], top: float, unit: str
) -> str:
    pygal = _pygal()
    ticks = nice_ticks(top)
    every = max(1, math.ceil(len(labels) / _MAX_X_LABELS))
    chart = pygal.Bar(
        width=_WIDTH,
        height=170,
        range=(0, ticks[-1]),
        y_labels=list(ticks),
        value_formatter=compact_number,
        x_labels_major_every=every,
        show_minor_x_labels=every == 1,
        truncate_label=-1,
        show_x_guides=False,
        **_common(),
    )
    chart.x_labels = list(labels)
    chart.add(title, list(values))
    exact = (f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}" for v in values)
    hints = tuple(f"{label}: {shown} {unit}".strip() for label, shown in zip(labels, exact, strict=True))
    return _render(chart, chart_id=chart_id, title=title, desc=desc, hints=hints)


def _estimate_svg(
    chart_id: str, title: str, desc: str, rows: tuple[tuple[str, float, float | None], ...], low: float, high: float
) -> str:
    pygal = _pygal()
    chart = pygal.HorizontalBar(
        width=_WIDTH,
        height=40 + 34 * len(rows),
        range=(low, high),
        y_labels=[low + (high - low) * i / 4 for i in range(5)],
        value_formatter=lambda v: f"{v:.2f}",
        truncate_label=-1,
        margin_right=16,  # room for the last scale label, centred on the plot's edge
        **_common(),
    )
    # pygal draws the first value at the bottom of a horizontal chart: reversed, so the bars
    # read top to bottom in the order given (and in the order of the table beside them).
    ordered = rows[::-1]
    chart.x_labels = [label for label, _, _ in ordered]
    chart.add(
        title,
        [
            {"value": value, **({"ci": {"low": max(low, value - se), "high": min(high, value + se)}} if se else {})}
            for _, value, se in ordered
        ],
    )
    hints = tuple(f"{label}: {value:.3f}" + (f" ± {se:.3f}" if se is not None else "") for label, value, se in ordered)
    return _render(chart, chart_id=chart_id, title=title, desc=desc, hints=hints)


def _render(chart: Any, *, chart_id: str, title: str, desc: str, hints: tuple[str, ...]) -> str:
    chart.add_xml_filter(lambda root: _accessible(root, chart_id=chart_id, title=title, desc=desc, hints=hints))
    return str(chart.render(is_unicode=True))


def _tag(element: ET.Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _accessible(root: ET.Element, *, chart_id: str, title: str, desc: str, hints: tuple[str, ...]) -> ET.Element:
    """Name the chart for assistive technology; take out pygal's script, style and tooltip machinery.

    pygal's tooltips are drawn by its script from ``<desc>`` data on each bar; each bar gets a
    plain ``<title>`` instead (``hints``, in pygal's drawing order), which browsers show on hover.
    """
    bars: list[ET.Element] = []
    for parent in list(root.iter()):
        for child in list(parent):
            name, classes = _tag(child), (child.get("class") or "").split()
            if not isinstance(child.tag, str) or name in {"script", "style"} or "tooltip-overlay" in classes:
                parent.remove(child)  # comments, pygal's script and inline style, the tooltip layer
            elif name in {"desc", "title"} and parent is not root:
                parent.remove(child)  # tooltip data, and axis labels' titles (wrong on horizontal charts)
            elif name == "g" and "bar" in classes:
                bars.append(child)
    for bar, text in zip(bars, hints, strict=False):
        ET.SubElement(bar, "title").text = text
    for defs in [c for c in root if _tag(c) == "defs" and len(c) == 0]:
        root.remove(defs)
    root.set("id", chart_id)
    root.set("role", "img")
    root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
    heading = next((c for c in root if _tag(c) == "title"), None)
    if heading is None:
        heading = ET.Element("title")
        root.insert(0, heading)
    heading.text = title
    heading.set("id", f"{chart_id}-title")
    about = ET.Element("desc", {"id": f"{chart_id}-desc"})
    about.text = desc
    root.insert(list(root).index(heading) + 1, about)
    return root
