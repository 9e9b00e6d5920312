"""Draw server-rendered, accessible SVG charts for pages and PDF reports.

One module draws every chart Custos shows, so the dashboard in the browser and the
PDF audit report (WeasyPrint) show the same picture. It imports no app: callers
hand it plain figures and the URL of the filtered list behind each one.

Each drawing function returns a :class:`Chart`: ``chart.svg`` is safe markup
(``<title>`` and ``<desc>`` referenced by ``aria-labelledby``; ``role="img"``, or
``role="group"`` when its bars or points are links, because an ``img`` role hides
its children, links included, from assistive technology), and ``chart.table`` is
the data-table equivalent with the same links. ``templates/includes/chart.html``
renders both::

    {% include "includes/chart.html" with chart=score_chart %}
    {% include "includes/chart.html" with chart=score_chart table_open=True %}

Colours are CSS classes (``chart-tone-ok``, ``chart-series-2``…) styled by
``static/css/charts.css``; each shape also carries the same colour as an SVG
``fill``/``stroke`` presentation attribute, because WeasyPrint draws inline SVG
without the document's stylesheets. Presentation attributes are not ``style=``
attributes, so the Content-Security-Policy allows them; the stylesheet, when
present, wins over them.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Tones name what a figure means; the palette matches static/css/custos.css.
TONES: dict[str, str] = {
    "primary": "#1d4ed8",
    "ok": "#15803d",
    "warn": "#a16207",
    "bad": "#b91c1c",
    "muted": "#6b7280",
}
# Series colours for multi-series charts, distinguishable in grey scale too.
SERIES_COLOURS: tuple[str, ...] = ("#1d4ed8", "#15803d", "#a16207", "#7c3aed", "#b91c1c", "#0e7490")
INK = "#111827"
GRID = "#d1d5db"
FONT_SIZE = 12


@dataclass(frozen=True)
class Datum:
    """One figure of a chart: a label, a value, and optionally the list behind it."""

    label: str
    value: float
    url: str = ""
    tone: str = "primary"
    display: str = ""  # the value as people read it ("82%"); defaults to the number

    def shown(self, unit: str = "") -> str:
        """Return the value as printed on the chart and in the table."""
        if self.display:
            return self.display
        return format_number(self.value) + unit


@dataclass(frozen=True)
class Series:
    """A named run of values over shared labels (a line, or one layer of a stacked bar)."""

    name: str
    values: Sequence[float | None]
    urls: Sequence[str] = ()
    tone: str = ""


@dataclass(frozen=True)
class Cell:
    """One cell of a chart's data table."""

    text: str
    url: str = ""


@dataclass(frozen=True)
class Table:
    """The data-table equivalent of a chart: a caption, headers and rows of cells."""

    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Chart:
    """A drawn chart: its identity, the SVG markup and its data-table equivalent."""

    chart_id: str
    title: str
    description: str
    svg: SafeString
    table: Table
    empty: bool = False
    kind: str = "bar"
    legend: tuple[tuple[str, str, str], ...] = field(default=())  # (name, css class, colour)

    def __str__(self) -> str:  # lets templates write {{ chart }} for the SVG alone
        return self.svg

    def __html__(self) -> str:
        return self.svg


def format_number(value: float | None) -> str:
    """Return ``value`` without a needless ``.0`` (12 → "12", 2.5 → "2.5")."""
    if value is None:
        return "–"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def nice_maximum(value: float) -> float:
    """Return a round axis maximum at or above ``value`` (1, 2, 2.5, 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))  # pragma: no cover - the loop always returns


def _attribute(value: object) -> str:
    return escape(str(value))


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))


def _tone_colour(tone: str) -> str:
    return TONES.get(tone, TONES["primary"])


def _series_colour(index: int, tone: str = "") -> tuple[str, str]:
    if tone:
        return f"chart-tone-{tone}", _tone_colour(tone)
    position = index % len(SERIES_COLOURS)
    return f"chart-series-{position + 1}", SERIES_COLOURS[position]


def _open_svg(*, chart_id: str, title: str, description: str, width: int, height: int, linked: bool, kind: str) -> list[str]:
    role = "group" if linked else "img"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg chart-{kind}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="{role}" aria-labelledby="{_attribute(chart_id)}-title {_attribute(chart_id)}-desc" '
        f'font-family="sans-serif" font-size="{FONT_SIZE}">',
        f'<title id="{_attribute(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{_attribute(chart_id)}-desc">{escape(description)}</desc>',
    ]


def _linked(shape: str, *, url: str, label: str) -> str:
    """Wrap ``shape`` in a link to ``url`` named by ``label`` (or a tooltip when unlinked)."""
    tooltip = f"<title>{escape(label)}</title>"
    if not url:
        return f'<g class="chart-mark">{tooltip}{shape}</g>'
    return f'<a class="chart-link" href="{_attribute(url)}" aria-label="{_attribute(label)}">{tooltip}{shape}</a>'


def _text(x: float, y: float, text: str, *, anchor: str = "start", css: str = "chart-label", extra: str = "") -> str:
    return (
        f'<text class="{css}" x="{_number(x)}" y="{_number(y)}" text-anchor="{anchor}" fill="{INK}"{extra}>'
        f"{escape(text)}</text>"
    )


def _empty_svg(parts: list[str], width: int, height: int, message: str) -> SafeString:
    parts.append(_text(width / 2, height / 2, message, anchor="middle", css="chart-empty"))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def _short(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    data: Sequence[Datum],
    unit: str = "",
    max_value: float | None = None,
    value_header: str = "Value",
    label_header: str = "Item",
    width: int = 560,
    height: int = 240,
    empty_message: str = "No data yet.",
) -> Chart:
    """Return a vertical bar chart of ``data``, one bar per datum, each a link when it has a URL."""
    data = list(data)
    linked = any(datum.url for datum in data)
    parts = _open_svg(chart_id=chart_id, title=title, description=description, width=width, height=height, linked=linked, kind="bar")
    table = Table(
        caption=title,
        headers=(label_header, value_header),
        rows=tuple((Cell(datum.label, datum.url), Cell(datum.shown(unit), datum.url)) for datum in data),
    )
    if not data:
        return Chart(chart_id, title, description, _empty_svg(parts, width, height, empty_message), table, empty=True, kind="bar")
    top = nice_maximum(max_value if max_value is not None else max(datum.value for datum in data))
    left, right, upper, lower = 40, 10, 20, 40
    plot_width, plot_height = width - left - right, height - upper - lower
    parts.extend(_value_axis(left=left, upper=upper, plot_width=plot_width, plot_height=plot_height, top=top, unit=unit))
    slot = plot_width / len(data)
    bar_width = max(4.0, min(60.0, slot * 0.6))
    limit = max(4, int(slot / 7))
    for index, datum in enumerate(data):
        value = max(0.0, min(datum.value, top))
        bar_height = plot_height * value / top
        x = left + slot * index + (slot - bar_width) / 2
        y = upper + plot_height - bar_height
        shape = (
            f'<rect class="chart-bar chart-tone-{_attribute(datum.tone)}" x="{_number(x)}" y="{_number(y)}" '
            f'width="{_number(bar_width)}" height="{_number(max(bar_height, 0.5))}" fill="{_tone_colour(datum.tone)}"/>'
            + _text(x + bar_width / 2, y - 4, datum.shown(unit), anchor="middle", css="chart-value")
        )
        parts.append(_linked(shape, url=datum.url, label=f"{datum.label}: {datum.shown(unit)}"))
        parts.append(_text(x + bar_width / 2, upper + plot_height + 16, _short(datum.label, limit), anchor="middle"))
    parts.append("</svg>")
    return Chart(chart_id, title, description, mark_safe("".join(parts)), table, kind="bar")


def horizontal_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    data: Sequence[Datum],
    unit: str = "",
    max_value: float | None = None,
    value_header: str = "Value",
    label_header: str = "Item",
    width: int = 560,
    bar_height: int = 22,
    empty_message: str = "No data yet.",
) -> Chart:
    """Return a horizontal bar chart of ``data`` (long labels read better this way)."""
    data = list(data)
    linked = any(datum.url for datum in data)
    label_width = 170
    upper, gap = 8, 8
    height = max(60, upper * 2 + len(data) * (bar_height + gap))
    parts = _open_svg(chart_id=chart_id, title=title, description=description, width=width, height=height, linked=linked, kind="hbar")
    table = Table(
        caption=title,
        headers=(label_header, value_header),
        rows=tuple((Cell(datum.label, datum.url), Cell(datum.shown(unit), datum.url)) for datum in data),
    )
    if not data:
        return Chart(chart_id, title, description, _empty_svg(parts, width, height, empty_message), table, empty=True, kind="hbar")
    top = nice_maximum(max_value if max_value is not None else max(datum.value for datum in data))
    plot_width = width - label_width - 60
    for index, datum in enumerate(data):
        value = max(0.0, min(datum.value, top))
        length = plot_width * value / top
        y = upper + index * (bar_height + gap)
        parts.append(_text(label_width - 6, y + bar_height * 0.7, _short(datum.label, 26), anchor="end"))
        shape = (
            f'<rect class="chart-track" x="{label_width}" y="{y}" width="{_number(plot_width)}" height="{bar_height}" fill="#f3f4f6"/>'
            f'<rect class="chart-bar chart-tone-{_attribute(datum.tone)}" x="{label_width}" y="{y}" '
            f'width="{_number(max(length, 0.5))}" height="{bar_height}" fill="{_tone_colour(datum.tone)}"/>'
            + _text(label_width + plot_width + 6, y + bar_height * 0.7, datum.shown(unit), css="chart-value")
        )
        parts.append(_linked(shape, url=datum.url, label=f"{datum.label}: {datum.shown(unit)}"))
    parts.append("</svg>")
    return Chart(chart_id, title, description, mark_safe("".join(parts)), table, kind="hbar")


def _value_axis(*, left: float, upper: float, plot_width: float, plot_height: float, top: float, unit: str) -> list[str]:
    parts = []
    for step in range(5):
        value = top * step / 4
        y = upper + plot_height - plot_height * step / 4
        parts.append(
            f'<line class="chart-grid" x1="{left}" y1="{_number(y)}" x2="{_number(left + plot_width)}" '
            f'y2="{_number(y)}" stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(_text(left - 6, y + 4, format_number(value) + unit, anchor="end", css="chart-axis"))
    return parts


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    max_value: float | None = None,
    label_header: str = "Month",
    width: int = 560,
    height: int = 240,
    empty_message: str = "No history yet.",
) -> Chart:
    """Return a line chart of ``series`` over ``labels`` (e.g. 12 months); ``None`` leaves a gap."""
    labels = list(labels)
    series = list(series)
    linked = any(url for one in series for url in one.urls)
    parts = _open_svg(chart_id=chart_id, title=title, description=description, width=width, height=height, linked=linked, kind="line")
    table = _series_table(title=title, label_header=label_header, labels=labels, series=series, unit=unit)
    values = [value for one in series for value in one.values if value is not None]
    legend = tuple((one.name, *_series_colour(index, one.tone)) for index, one in enumerate(series))
    if not labels or not values:
        svg = _empty_svg(parts, width, height, empty_message)
        return Chart(chart_id, title, description, svg, table, empty=True, kind="line", legend=legend)
    top = nice_maximum(max_value if max_value is not None else max(values))
    left, right, upper, lower = 44, 16, 20, 40
    plot_width, plot_height = width - left - right, height - upper - lower
    parts.extend(_value_axis(left=left, upper=upper, plot_width=plot_width, plot_height=plot_height, top=top, unit=unit))
    step = plot_width / max(1, len(labels) - 1)
    every = max(1, math.ceil(len(labels) / 12))
    for index, label in enumerate(labels):
        if index % every == 0:
            parts.append(_text(left + step * index, upper + plot_height + 16, _short(label, 8), anchor="middle", css="chart-axis"))

    def point(index: int, value: float) -> tuple[float, float]:
        bounded = max(0.0, min(value, top))
        x = left + (step * index if len(labels) > 1 else plot_width / 2)
        return x, upper + plot_height - plot_height * bounded / top

    for number, one in enumerate(series):
        css, colour = _series_colour(number, one.tone)
        runs: list[list[tuple[float, float]]] = [[]]
        for index, value in enumerate(one.values):
            if value is None:
                runs.append([])
            else:
                runs[-1].append(point(index, value))
        for run in runs:
            if len(run) > 1:
                coordinates = " ".join(f"{_number(x)},{_number(y)}" for x, y in run)
                parts.append(
                    f'<polyline class="chart-line {css}" points="{coordinates}" fill="none" '
                    f'stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"/>'
                )
        for index, value in enumerate(one.values):
            if value is None or index >= len(labels):
                continue
            x, y = point(index, value)
            url = one.urls[index] if index < len(one.urls) else ""
            shape = f'<circle class="chart-point {css}" cx="{_number(x)}" cy="{_number(y)}" r="4" fill="{colour}"/>'
            parts.append(_linked(shape, url=url, label=f"{one.name}, {labels[index]}: {format_number(value)}{unit}"))
    parts.append("</svg>")
    return Chart(chart_id, title, description, mark_safe("".join(parts)), table, kind="line", legend=legend)


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str = "",
    label_header: str = "Item",
    width: int = 560,
    height: int = 240,
    empty_message: str = "No data yet.",
) -> Chart:
    """Return a stacked bar chart: one bar per label, one layer per series (e.g. statuses)."""
    labels = list(labels)
    series = list(series)
    linked = any(url for one in series for url in one.urls)
    parts = _open_svg(chart_id=chart_id, title=title, description=description, width=width, height=height, linked=linked, kind="stacked")
    table = _series_table(title=title, label_header=label_header, labels=labels, series=series, unit=unit)
    legend = tuple((one.name, *_series_colour(index, one.tone)) for index, one in enumerate(series))
    totals = [sum((one.values[index] or 0) for one in series if index < len(one.values)) for index in range(len(labels))]
    if not labels or not any(totals):
        svg = _empty_svg(parts, width, height, empty_message)
        return Chart(chart_id, title, description, svg, table, empty=True, kind="stacked", legend=legend)
    top = nice_maximum(max(totals))
    left, right, upper, lower = 40, 10, 20, 40
    plot_width, plot_height = width - left - right, height - upper - lower
    parts.extend(_value_axis(left=left, upper=upper, plot_width=plot_width, plot_height=plot_height, top=top, unit=unit))
    slot = plot_width / len(labels)
    bar_width = max(4.0, min(60.0, slot * 0.6))
    for index, label in enumerate(labels):
        x = left + slot * index + (slot - bar_width) / 2
        base = upper + plot_height
        for number, one in enumerate(series):
            value = (one.values[index] if index < len(one.values) else 0) or 0
            if value <= 0:
                continue
            css, colour = _series_colour(number, one.tone)
            layer = plot_height * value / top
            base -= layer
            url = one.urls[index] if index < len(one.urls) else ""
            shape = (
                f'<rect class="chart-bar {css}" x="{_number(x)}" y="{_number(base)}" width="{_number(bar_width)}" '
                f'height="{_number(layer)}" fill="{colour}"/>'
            )
            parts.append(_linked(shape, url=url, label=f"{label}, {one.name}: {format_number(value)}{unit}"))
        parts.append(_text(x + bar_width / 2, upper + plot_height + 16, _short(label, max(4, int(slot / 7))), anchor="middle"))
    parts.append("</svg>")
    return Chart(chart_id, title, description, mark_safe("".join(parts)), table, kind="stacked", legend=legend)


def _series_table(*, title: str, label_header: str, labels: list[str], series: list[Series], unit: str) -> Table:
    rows = []
    for index, label in enumerate(labels):
        cells = [Cell(label)]
        for one in series:
            value = one.values[index] if index < len(one.values) else None
            url = one.urls[index] if index < len(one.urls) else ""
            cells.append(Cell(format_number(value) + (unit if value is not None else ""), url))
        rows.append(tuple(cells))
    return Table(caption=title, headers=(label_header, *(one.name for one in series)), rows=tuple(rows))
