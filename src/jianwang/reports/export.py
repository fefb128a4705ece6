"""The campaign report as files: CSV, JSON, HTML and PDF, all built offline.

Every format is drawn from one list of sections, so a figure added to the report shows up in
all of them alike: the CSV is that list in long form (``section,key,value``), the HTML page and
the PDF lay each section out as a table under a heading in Chinese and English, with the charts
of ``reports.charts``.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO

from markupsafe import Markup
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from jianwang.db.models import CaseState
from jianwang.render import pdf
from jianwang.render.documents import render_html
from jianwang.reports.campaign import CampaignReport, Count, Timing
from jianwang.reports.charts import campaign_charts, inline_svg

TITLE_ZH = "打击网络侵权盗版专项行动报告"
TITLE_EN = "Campaign report"
WIDTHS = (110 * mm, 60 * mm)

STATE_NAMES: dict[CaseState, str] = {
    CaseState.LEAD: "线索",
    CaseState.SCREENING: "初查",
    CaseState.FILED: "立案",
    CaseState.INVESTIGATING: "调查取证",
    CaseState.ADVANCE_NOTICE: "事先告知",
    CaseState.STATEMENT_WINDOW: "陈述申辩",
    CaseState.HEARING: "听证",
    CaseState.DECIDED: "作出决定",
    CaseState.ENFORCING: "执行",
    CaseState.CLOSED: "结案",
    CaseState.REJECTED: "不予立案",
    CaseState.TRANSFERRED: "移交",
    CaseState.CLOSED_NO_PENALTY: "不予处罚结案",
    CaseState.REFERRED: "移送司法",
}


@dataclass(frozen=True)
class Row:
    """One figure: a stable key for scripts, a label for people, and its value as text."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    """A group of figures under one bilingual heading."""

    key: str
    heading: str
    columns: tuple[str, str]
    rows: tuple[Row, ...]


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _figure(key: str, label: str, value: object) -> Row:
    return Row(key, label, str(value))


def _timing_rows(timing: Timing, unit: str) -> tuple[Row, ...]:
    return (
        _figure("count", "样本数 Count", timing.count),
        Row("median", f"中位数 Median ({unit})", _number(timing.median)),
        Row("p90", f"90分位 90th percentile ({unit})", _number(timing.p90)),
    )


def _breakdown(key: str, heading: str, column: str, counts: tuple[Count, ...]) -> Section:
    rows = tuple(Row(c.key, c.key, str(c.count)) for c in counts)
    return Section(key, heading, (column, "数量 Copies"), rows)


FIGURE = ("指标 Figure", "数值 Value")


def headline(report: CampaignReport) -> Section:
    """The five figures a campaign is judged by."""
    return Section(
        "headline",
        "核心数据 Headline figures",
        FIGURE,
        (
            _figure("cases_investigated", "立案调查 Cases investigated", report.cases_investigated),
            _figure("sites_shut_down", "关闭网站 Sites shut down", report.sites_shut_down),
            Row(
                "fines_imposed", "罚款金额（元） Fines imposed (yuan)", _money(report.fines_imposed)
            ),
            _figure(
                "cases_referred", "移送司法 Cases referred for prosecution", report.cases_referred
            ),
            _figure(
                "works_on_protection_list",
                "重点保护作品 Works on the protection list",
                report.works_on_protection_list,
            ),
        ),
    )


def sections(report: CampaignReport) -> tuple[Section, ...]:
    """Every figure of ``report``, grouped as the documents show them (the headline first)."""
    scope = Section(
        "scope",
        "报告范围 Scope",
        FIGURE,
        (
            Row("from", "起始日期 From", report.start.isoformat()),
            Row("to", "截止日期 To", report.end.isoformat()),
            Row("authority", "执法机关 Authority", report.authority or ""),
            Row("region", "地区 Region", report.region or ""),
        ),
    )
    cases = report.cases
    case_section = Section(
        "cases",
        "案件办理 Cases",
        FIGURE,
        (
            _figure("opened", "新增案件 Cases opened", cases.opened),
            _figure("investigated", "立案调查 Cases investigated", cases.investigated),
            _figure("fines_count", "罚款案件 Cases fined", cases.fines_count),
            Row(
                "fines_imposed", "罚款金额（元） Fines imposed (yuan)", _money(cases.fines_imposed)
            ),
            _figure("sites_shut_down", "关闭网站 Sites shut down", cases.sites_shut_down),
            _figure("closed", "结案 Cases closed", cases.closed),
            _figure("referred", "移送司法 Cases referred for prosecution", cases.referred),
        ),
    )
    states = Section(
        "cases_by_state",
        "新增案件当前状态 Cases opened, by current state",
        ("状态 State", "数量 Cases"),
        tuple(
            Row(c.key, f"{STATE_NAMES[CaseState(c.key)]} {c.key}", str(c.count))
            for c in cases.by_state
        ),
    )
    protection = Section(
        "protection_list",
        "重点作品保护名单 Protection list",
        FIGURE,
        (
            _figure("works", "名单内作品 Works on the list", report.protection.works),
            _figure(
                "batches_published",
                "本期发布批次 Batches published in the period",
                len(report.protection.batches_published),
            ),
        ),
    )
    batches = Section(
        "batches_published",
        "本期发布批次 Batches published",
        ("批次 Batch", "发布日期 Published"),
        tuple(
            Row(b.name, b.name, b.published_on.isoformat())
            for b in report.protection.batches_published
        ),
    )
    found = report.detections
    detections = Section(
        "detections",
        "侵权监测 Detections",
        FIGURE,
        (_figure("copies", "确认侵权链接 Confirmed copies", found.copies),),
    )
    notices = report.notices
    notice_section = Section(
        "notices",
        "通知删除 Notices",
        FIGURE,
        (
            _figure("sent", "发出通知 Notices sent", notices.sent),
            _figure("removed", "已删除 Removal verified", notices.removed),
            _figure("non_compliant", "拒不删除 Not complied with", notices.non_compliant),
        ),
    )
    return (
        scope,
        headline(report),
        case_section,
        states,
        protection,
        batches,
        detections,
        _breakdown("detections_by_work", "按作品 Copies by work", "作品 Work", found.by_work),
        _breakdown("detections_by_site", "按网站 Copies by site", "网站 Site", found.by_site),
        _breakdown(
            "detections_by_region", "按地区 Copies by region", "地区 Region", found.by_region
        ),
        _breakdown("detections_by_month", "按月份 Copies by month", "月份 Month", found.by_month),
        Section(
            "capture_to_detection_s",
            "发现时效 Capture to detection (seconds)",
            FIGURE,
            _timing_rows(found.capture_to_detection_s, "s"),
        ),
        notice_section,
        Section(
            "notice_to_removal_h",
            "删除时效 Takedown notice to verified removal (hours)",
            FIGURE,
            _timing_rows(notices.to_removal_h, "h"),
        ),
    )


def to_csv(report: CampaignReport) -> str:
    """Every figure as one ``section,key,value`` row, under a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(("section", "key", "value"))
    for section in sections(report):
        for row in section.rows:
            writer.writerow((section.key, row.key, row.value))
    return buffer.getvalue()


def to_json(report: CampaignReport) -> str:
    """``report.to_dict()`` as indented JSON, Chinese kept readable."""
    return json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n"


def _title(report: CampaignReport) -> str:
    scope = f" — {report.authority}" if report.authority else ""
    return f"{TITLE_ZH} {TITLE_EN}{scope}"


def to_html(report: CampaignReport) -> str:
    """A self-contained page: inline CSS and SVG charts, no script and no network reference."""
    charts = [
        # Markup: the SVG is ReportLab's own output, its text already escaped by the XML writer.
        (chart.title, Markup(inline_svg(chart.drawing, title=chart.title)))
        for chart in campaign_charts(report)
    ]
    all_sections = sections(report)
    return render_html(
        "campaign.html",
        title=_title(report),
        report=report,
        headline=all_sections[1],
        sections=[s for s in all_sections if s.key != "headline"],
        charts=charts,
    )


def _flowables(report: CampaignReport) -> list[Flowable]:
    story: list[Flowable] = [pdf.paragraph(_title(report), "Title")]
    period = f"{report.start.isoformat()} — {report.end.isoformat()} (UTC)"
    story.append(pdf.paragraph(period, "Normal"))
    all_sections = sections(report)
    top = all_sections[1]
    story += [
        pdf.paragraph(top.heading, "Heading2"),
        pdf.table(top.columns, [(r.label, r.value) for r in top.rows], widths=WIDTHS),
    ]
    for chart in campaign_charts(report):
        story += [Spacer(1, 8), chart.drawing]
    for section in all_sections:
        if section.key == "headline":
            continue
        story.append(pdf.paragraph(section.heading, "Heading3"))
        if section.rows:
            rows = [(r.label, r.value) for r in section.rows]
            story.append(pdf.table(section.columns, rows, widths=WIDTHS))
        else:
            story.append(pdf.paragraph("无 None"))
    return story


def write_pdf(report: CampaignReport, target: Path | IO[bytes]) -> None:
    """The report as a PDF: the same sections as the page, tables and charts, Chinese set in
    the reader's built-in CJK font."""
    pdf.write_pdf(target, title=_title(report), flowables=_flowables(report))
