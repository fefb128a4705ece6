"""Charts of the campaign figures, drawn with ReportLab's graphics and nothing online.

One ``Drawing`` serves both documents: the PDF places it as a flowable, the HTML page inlines
it as SVG. Labels are set in the CJK font of ``render.pdf`` so Chinese titles draw in the PDF;
the HTML page's stylesheet picks a local CJK font for the same text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from xml.dom import minidom

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import BarChart, HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors

from jianwang.render.pdf import FONT, styles
from jianwang.reports.campaign import CampaignReport, Count

WIDTH = 480.0
BAR = colors.HexColor("#2f6db5")
TOP_WORKS = 10
TOP_REGIONS = 15
UPRIGHT_LABELS = 12  # more month labels than this are turned upright so they do not overlap
LABEL_CHARS = 18


@dataclass(frozen=True)
class Chart:
    """A titled chart of one breakdown."""

    key: str
    title: str
    drawing: Drawing


def _label(text: str) -> str:
    # Pirate-page titles can be long; a chart label only has to be recognisable.
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _value_axis(chart: BarChart, largest: int) -> None:
    """Whole-number ticks from 0, at least 1 high (an all-zero chart still has a scale)."""
    step = max(1, math.ceil(largest / 5))
    chart.valueAxis.valueMin = 0
    chart.valueAxis.valueMax = max(step, math.ceil(largest / step) * step)
    chart.valueAxis.valueStep = step
    chart.valueAxis.labelTextFormat = "%d"
    chart.valueAxis.labels.fontName = FONT
    chart.valueAxis.labels.fontSize = 8


def bar_chart(
    counts: Sequence[Count], *, title: str, horizontal: bool = False, width: float = WIDTH
) -> Drawing:
    """A bar chart of ``counts`` under ``title``; horizontal bars suit long category names.

    With nothing to count it says so instead of drawing an empty frame.
    """
    styles()  # registers the CJK font the labels are set in
    bar_space = 18.0
    plot_height = max(len(counts), 1) * bar_space if horizontal else 140.0
    left = 150.0 if horizontal else 40.0
    upright = not horizontal and len(counts) > UPRIGHT_LABELS
    bottom = 50.0 if upright else 30.0
    height = plot_height + bottom + 30.0
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 14, title, fontName=FONT, fontSize=11))
    if not counts:
        drawing.add(String(left, height / 2 - 10, "无数据 No data", fontName=FONT, fontSize=10))
        return drawing
    chart: BarChart = HorizontalBarChart() if horizontal else VerticalBarChart()
    chart.x = left
    chart.y = bottom
    chart.width = width - left - 20
    chart.height = plot_height
    # A horizontal chart draws its first category at the bottom; reverse so the largest is on top.
    ordered = list(reversed(counts)) if horizontal else list(counts)
    chart.data = [tuple(c.count for c in ordered)]
    chart.categoryAxis.categoryNames = [_label(c.key) for c in ordered]
    chart.categoryAxis.labels.fontName = FONT
    chart.categoryAxis.labels.fontSize = 8
    if horizontal:
        chart.categoryAxis.labels.boxAnchor = "e"
        chart.categoryAxis.labels.dx = -8
    elif upright:
        # Read top to bottom, starting at the axis: a browser's stand-in for the CJK font may be
        # wider than the metrics ReportLab placed the text by, and then runs off the bottom
        # instead of into the bars.
        chart.categoryAxis.labels.angle = -90
        chart.categoryAxis.labels.boxAnchor = "w"
        chart.categoryAxis.labels.dy = -4
    else:
        chart.categoryAxis.labels.boxAnchor = "n"
        chart.categoryAxis.labels.dy = -4
    _value_axis(chart, max(c.count for c in counts))
    chart.bars[0].fillColor = BAR
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName = FONT
    chart.barLabels.fontSize = 7
    chart.barLabels.boxAnchor = "w" if horizontal else "s"
    chart.barLabels.dx = 3 if horizontal else 0
    chart.barLabels.dy = 0 if horizontal else 2
    drawing.add(chart)
    return drawing


def campaign_charts(report: CampaignReport) -> tuple[Chart, ...]:
    """The report's charts: copies by month, by work (the ten most copied) and by region (the
    fifteen with most); the tables list them all, the charts only have to fit on a page."""
    found = report.detections
    return (
        Chart(
            "by_month",
            "按月侵权数量 Copies found by month",
            bar_chart(found.by_month, title="按月侵权数量 Copies found by month"),
        ),
        Chart(
            "by_work",
            f"作品（前{TOP_WORKS}） Top {TOP_WORKS} works",
            bar_chart(
                found.by_work[:TOP_WORKS],
                title=f"作品（前{TOP_WORKS}） Top {TOP_WORKS} works",
                horizontal=True,
            ),
        ),
        Chart(
            "by_region",
            f"地区（前{TOP_REGIONS}） Top {TOP_REGIONS} regions",
            bar_chart(
                found.by_region[:TOP_REGIONS],
                title=f"地区（前{TOP_REGIONS}） Top {TOP_REGIONS} regions",
                horizontal=True,
            ),
        ),
    )


def inline_svg(drawing: Drawing, *, title: str) -> str:
    """``drawing`` as an ``<svg>`` element to paste into an HTML page.

    ReportLab writes a standalone file: an XML prolog, a DOCTYPE naming a DTD on the web,
    namespace declarations and fixed element ids. Inline in HTML none of these are needed, the
    DTD address would be the page's one network reference, and the ids would clash between
    charts, so all are dropped; the ``<title>`` gets the chart's title for screen readers.
    """
    source = renderSVG.drawToString(drawing, useClip=True)
    document = minidom.parseString(source.encode("utf-8"))
    root = document.documentElement
    if root is None:
        raise ValueError("ReportLab wrote an SVG document without a root element")
    for attribute in ("xmlns", "xmlns:xlink"):
        if root.hasAttribute(attribute):
            root.removeAttribute(attribute)
    root.setAttribute("role", "img")
    root.setAttribute("aria-label", title)
    for element in root.getElementsByTagName("*"):
        if element.hasAttribute("id"):
            element.removeAttribute("id")
    for desc in root.getElementsByTagName("desc"):
        root.removeChild(desc)
    for node in root.getElementsByTagName("title"):
        for child in list(node.childNodes):
            node.removeChild(child)
        node.appendChild(document.createTextNode(title))
    markup: str = root.toxml()
    return markup
