"""The chart kit (web/charts.py): well-formed SVG with a title and a description, and no script."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from frontier_review.web import charts

HOSTILE = '<script>alert("x")</script> & "quotes" ]]>'


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it is well-formed


def _name(element: ET.Element) -> str:
    return str(element.tag).rsplit("}", 1)[-1]


def _bar(**overrides: object) -> str:
    kwargs: dict[str, object] = {
        "chart_id": "calls-1",
        "title": "Calls served per day: CISA",
        "desc": "12 calls served from Jun 1 to Jun 3 (UTC).",
        "labels": ["Jun 1", "Jun 2", "Jun 3"],
        "values": [3, 0, 9],
        "unit": "calls",
    }
    kwargs.update(overrides)
    return str(charts.bar_chart(**kwargs))  # type: ignore[arg-type]


def _estimates() -> str:
    return str(
        charts.estimate_chart(
            chart_id="cmp-1",
            title="Score on cyber@1: this run against the reference models",
            desc="Scores from 0 to 1 with one standard error either side.",
            estimates=[
                charts.Estimate("This run: Atlas rc1", 0.71, 0.06),
                charts.Estimate("reference-frontier-2026", 0.55, 0.05),
                charts.Estimate("reference-without-stderr", 0.4, None),
            ],
        )
    )


@pytest.mark.parametrize("render", [_bar, _estimates], ids=["bar", "estimates"])
def test_a_chart_is_well_formed_svg_named_by_its_title_and_desc(render: object) -> None:
    svg = render()  # type: ignore[operator]
    root = _parse(svg)
    assert _name(root) == "svg"
    assert root.get("role") == "img"
    chart_id = root.get("id")
    assert chart_id
    title, desc = root[0], root[1]
    assert (_name(title), _name(desc)) == ("title", "desc")
    assert root.get("aria-labelledby") == f"{chart_id}-title {chart_id}-desc"
    assert (title.get("id"), desc.get("id")) == (f"{chart_id}-title", f"{chart_id}-desc")
    assert title.text and desc.text
    # Sized by CSS: a viewBox and no fixed size, so it never makes a page scroll sideways.
    assert root.get("viewBox")
    assert root.get("width") is None and root.get("height") is None


@pytest.mark.parametrize("render", [_bar, _estimates], ids=["bar", "estimates"])
def test_a_chart_carries_no_script_style_or_event_handler(render: object) -> None:
    svg = render()  # type: ignore[operator]
    root = _parse(svg)
    names = {_name(e) for e in root.iter()}
    assert not names & {"script", "style", "foreignObject", "a", "image", "use"}
    for element in root.iter():
        for attribute, value in element.attrib.items():
            assert not attribute.lower().startswith("on"), attribute
            assert "javascript:" not in value.lower()
            assert not attribute.endswith("href"), attribute
    assert "<script" not in svg.lower() and "pygal.config" not in svg and "<!--" not in svg


def test_text_is_escaped_not_markup() -> None:
    svg = _bar(title=HOSTILE, desc=HOSTILE, labels=[HOSTILE, "b", "c"])
    root = _parse(svg)
    assert root[0].text == HOSTILE
    assert "<script" not in svg
    assert not any(_name(e) == "script" for e in root.iter())


def test_every_bar_has_a_hover_title_with_its_label_and_value() -> None:
    root = _parse(_bar())
    bars = [e for e in root.iter() if "bar" in (e.get("class") or "").split()]
    titles = [next(_name(c) == "title" and c.text for c in bar if _name(c) == "title") for bar in bars]
    assert titles == ["Jun 1: 3 calls", "Jun 2: 0 calls", "Jun 3: 9 calls"]
    # pygal's own tooltip data (read by its script) is gone.
    assert not [e for e in root.iter() if _name(e) == "desc" and e.get("id") is None]


def test_estimates_read_top_to_bottom_with_whiskers_where_a_stderr_is_known() -> None:
    root = _parse(_estimates())
    bars = [e for e in root.iter() if "bar" in (e.get("class") or "").split()]
    hints = [next(c.text for c in bar if _name(c) == "title") for bar in bars]
    # pygal draws from the bottom up; the kit reverses, so the last drawn is the first given.
    assert hints[::-1] == [
        "This run: Atlas rc1: 0.710 ± 0.060",
        "reference-frontier-2026: 0.550 ± 0.050",
        "reference-without-stderr: 0.400",
    ]
    whiskers = [e for e in root.iter() if e.get("class") == "ci"]
    assert len(whiskers) == 2


def test_labels_are_thinned_to_at_most_seven_but_every_bar_is_drawn() -> None:
    labels = [f"Jun {d}" for d in range(1, 31)]
    root = _parse(_bar(labels=labels, values=list(range(30))))
    shown = [e.text for e in root.iter() if _name(e) == "text" and e.text in labels]
    assert 2 <= len(shown) <= 8
    assert len([e for e in root.iter() if "bar" in (e.get("class") or "").split()]) == 30


def test_one_label_per_value() -> None:
    with pytest.raises(ValueError, match="one label per value"):
        _bar(labels=["a"], values=[1, 2])


def test_no_data_still_renders_a_named_chart() -> None:
    root = _parse(_bar(labels=[], values=[]))
    assert root[0].text == "Calls served per day: CISA"


@pytest.mark.parametrize(
    ("value", "shown"), [(0, "0"), (950, "950"), (1200, "1.2k"), (12_000, "12k"), (2_500_000, "2.5M"), (0.25, "0.25")]
)
def test_compact_numbers(value: float, shown: str) -> None:
    assert charts.compact_number(value) == shown


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_ticks_start_at_zero_cover_the_top_and_are_few_and_whole(top: float) -> None:
    ticks = charts.nice_ticks(top)
    assert ticks[0] == 0
    assert ticks[-1] >= top
    assert 2 <= len(ticks) <= 6
    steps = {round(b - a, 6) for a, b in itertools.pairwise(ticks)}
    assert len(steps) == 1 and all(float(s).is_integer() for s in steps)
