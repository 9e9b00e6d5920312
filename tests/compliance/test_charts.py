"""compliance/charts.py: accessible SVG charts, their data tables, and the PDF path."""
import re
import xml.etree.ElementTree as ElementTree

import pytest
from django.template.loader import render_to_string

from compliance import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(chart):
    return ElementTree.fromstring(str(chart.svg))


def test_bar_chart_is_labelled_and_links_each_bar():
    chart = charts.bar_chart(
        chart_id="erasure",
        title="Open requests",
        description="Open rights requests per regulation.",
        data=[
            charts.Datum("GDPR", 4, url="/erasure/?regulation=gdpr&status=open", tone="warn"),
            charts.Datum("CCPA", 1, url="/erasure/?regulation=ccpa"),
        ],
    )
    root = parse(chart)
    assert root.get("role") == "group"  # linked children stay reachable
    assert root.get("aria-labelledby") == "erasure-title erasure-desc"
    assert root.find(f"{SVG}title").text == "Open requests"
    assert root.find(f"{SVG}title").get("id") == "erasure-title"
    assert root.find(f"{SVG}desc").text == "Open rights requests per regulation."
    links = root.findall(f"{SVG}a")
    assert [link.get("href") for link in links] == ["/erasure/?regulation=gdpr&status=open", "/erasure/?regulation=ccpa"]
    assert [link.get("aria-label") for link in links] == ["GDPR: 4", "CCPA: 1"]
    bars = root.findall(f".//{SVG}rect")
    assert "chart-tone-warn" in bars[0].get("class")
    assert bars[0].get("fill") == charts.TONES["warn"]  # WeasyPrint draws it without the stylesheet
    # The taller value draws the taller bar.
    assert float(bars[0].get("height")) > float(bars[1].get("height"))
    assert chart.table.headers == ("Item", "Value")
    assert chart.table.rows[0] == (
        charts.Cell("GDPR", "/erasure/?regulation=gdpr&status=open"),
        charts.Cell("4", "/erasure/?regulation=gdpr&status=open"),
    )


def test_unlinked_chart_is_an_image_and_has_no_style_attribute():
    chart = charts.horizontal_bar_chart(
        chart_id="sens", title="Datasets", description="By sensitivity.",
        data=[charts.Datum("Special category", 3), charts.Datum("Public", 0)],
    )
    root = parse(chart)
    assert root.get("role") == "img"
    assert not root.findall(f".//{SVG}a")
    assert "style=" not in str(chart.svg)
    assert "<script" not in str(chart.svg)


def test_labels_and_urls_are_escaped():
    chart = charts.bar_chart(
        chart_id="x", title="<b>T</b>", description='"quoted" & more',
        data=[charts.Datum("<script>alert(1)</script>", 1, url='/x/?a=1&b="2"')],
    )
    svg = str(chart.svg)
    assert "<script>" not in svg
    assert "&lt;b&gt;T&lt;/b&gt;" in svg
    parse(chart)  # still well-formed XML
    assert parse(chart).find(f"{SVG}a").get("href") == '/x/?a=1&b="2"'


def test_empty_chart_says_so():
    chart = charts.bar_chart(chart_id="e", title="Nothing", description="Empty.", data=[], empty_message="No requests yet.")
    assert chart.empty
    assert "No requests yet." in str(chart.svg)
    assert chart.table.rows == ()


def test_line_chart_draws_twelve_months_with_gaps_and_point_links():
    months = [f"2026-{month:02d}" for month in range(1, 13)]
    values = [None, None, 40.0, 45.5, 50, 52, 60, 61, 65, 70, 72, 80]
    chart = charts.line_chart(
        chart_id="trend", title="GDPR score", description="Score over 12 months.",
        labels=months, series=[charts.Series("GDPR", values, urls=[f"/m/{m}" for m in months])],
        unit="%", max_value=100,
    )
    root = parse(chart)
    points = root.findall(f".//{SVG}circle")
    assert len(points) == 10  # no point for a month without a snapshot
    assert len(root.findall(f".//{SVG}polyline")) == 1
    # Higher scores sit higher (smaller y) on the plot.
    assert float(points[-1].get("cy")) < float(points[0].get("cy"))
    assert chart.table.headers == ("Month", "GDPR")
    assert chart.table.rows[0] == (charts.Cell("2026-01"), charts.Cell("–", "/m/2026-01"))
    assert chart.table.rows[3][1].text == "45.5%"
    assert chart.legend == (("GDPR", "chart-series-1", charts.SERIES_COLOURS[0]),)
    assert root.findall(f"{SVG}a")[0].get("aria-label") == "GDPR, 2026-03: 40%"


def test_line_chart_without_values_is_empty():
    chart = charts.line_chart(chart_id="t", title="T", description="D", labels=["a"], series=[charts.Series("S", [None])])
    assert chart.empty


def test_stacked_bar_chart_layers_sum_to_total():
    chart = charts.stacked_bar_chart(
        chart_id="st", title="Statuses", description="Requirement statuses per framework.",
        labels=["GDPR", "HIPAA"],
        series=[charts.Series("Met", [3, 1], tone="ok"), charts.Series("Not met", [1, 0], tone="bad")],
    )
    rects = parse(chart).findall(f".//{SVG}rect")
    assert len(rects) == 3  # a zero layer draws nothing
    heights = [float(rect.get("height")) for rect in rects]
    assert heights[0] == pytest.approx(3 * heights[1], rel=0.02)
    assert chart.table.rows[1] == (charts.Cell("HIPAA"), charts.Cell("1"), charts.Cell("0"))


@pytest.mark.parametrize(("value", "expected"), [(0, 1), (3, 5), (7, 10), (10, 10), (12, 20), (24, 25), (100, 100), (0.3, 0.5)])
def test_nice_maximum(value, expected):
    assert charts.nice_maximum(value) == expected


def test_values_above_the_maximum_stay_inside_the_plot():
    chart = charts.bar_chart(chart_id="c", title="T", description="D", data=[charts.Datum("a", 150)], max_value=100, height=240)
    rect = parse(chart).find(f".//{SVG}rect")
    assert float(rect.get("y")) >= 0


def test_include_renders_svg_and_table_with_links():
    chart = charts.bar_chart(
        chart_id="inc", title="Expiring evidence", description="Evidence expiring within 30 days.",
        data=[charts.Datum("GDPR", 2, url="/controls/evidence/?expiring=30")],
    )
    html = render_to_string("includes/chart.html", {"chart": chart})
    assert '<figure class="chart chart-kind-bar" id="inc">' in html
    assert 'aria-labelledby="inc-title inc-desc"' in html
    assert '<th scope="row"><a href="/controls/evidence/?expiring=30">GDPR</a></th>' in html
    assert "<details class=\"chart-data\">" in html
    assert "style=" not in html
    opened = render_to_string("includes/chart.html", {"chart": chart, "table_open": True})
    assert '<details class="chart-data" open>' in opened


def test_weasyprint_draws_the_chart_in_its_colours():
    weasyprint = pytest.importorskip("weasyprint")
    chart = charts.bar_chart(chart_id="pdf", title="T", description="D", data=[charts.Datum("a", 1, tone="bad")])
    html = render_to_string("includes/chart.html", {"chart": chart, "table_open": True})
    pdf = weasyprint.HTML(string=f"<html><body>{html}</body></html>").write_pdf()
    assert pdf.startswith(b"%PDF")
    # The bar's fill (#b91c1c) reaches the PDF as an RGB fill operator.
    import zlib
    streams = [zlib.decompress(match) for match in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S) if match[:1] == b"x"]
    red = f"{0xb9 / 255:.6f}".rstrip("0")[:5]
    assert any(red.encode() in stream and b"rg" in stream for stream in streams)
