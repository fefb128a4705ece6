"""The campaign report's files: every figure in the CSV, JSON that round-trips, a self-contained
HTML page with inline SVG charts, and a PDF; built from a report made by hand (no database)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from jianwang.reports.campaign import (
    BatchLine,
    CampaignReport,
    CaseFigures,
    Count,
    DetectionFigures,
    NoticeFigures,
    ProtectionFigures,
    Timing,
)
from jianwang.reports.charts import bar_chart, campaign_charts, inline_svg
from jianwang.reports.export import sections, to_csv, to_html, to_json, write_pdf


def make_report(*, works: tuple[Count, ...] | None = None) -> CampaignReport:
    by_work = works if works is not None else (Count("流浪地球3", 3), Count("<b>盗</b> & Co", 1))
    return CampaignReport(
        start=date(2025, 3, 1),
        end=date(2025, 4, 30),
        authority="浙江省版权局",
        region="CN-33",
        cases=CaseFigures(
            investigated=17,
            opened=23,
            closed=9,
            referred=4,
            sites_shut_down=6,
            fines_imposed=Decimal("123456.78"),
            fines_count=11,
            by_state=(Count("filed", 13), Count("referred", 4)),
        ),
        protection=ProtectionFigures(
            works=321,
            batches_published=(BatchLine("2025年第二批", date(2025, 3, 31), 12),),
        ),
        detections=DetectionFigures(
            copies=sum(c.count for c in by_work),
            by_work=by_work,
            by_site=(Count("盗版影院", 4),),
            by_region=(Count("CN-33-01", 3), Count("unknown", 1)),
            by_month=(Count("2025-03", 4), Count("2025-04", 0)),
            capture_to_detection_s=Timing(count=4, median=300.0, p90=1320.0),
        ),
        notices=NoticeFigures(
            sent=15, removed=8, non_compliant=2, to_removal_h=Timing(count=7, median=15.0, p90=49.2)
        ),
    )


def test_csv_holds_every_figure_in_long_form() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(make_report()))))
    assert rows[0] == ["section", "key", "value"]
    figures = {(section, key): value for section, key, value in rows[1:]}
    assert len(figures) == len(rows) - 1, "a (section, key) pair appears twice"
    expected = {
        ("headline", "cases_investigated"): "17",
        ("headline", "sites_shut_down"): "6",
        ("headline", "fines_imposed"): "123456.78",
        ("headline", "cases_referred"): "4",
        ("headline", "works_on_protection_list"): "321",
        ("cases", "opened"): "23",
        ("cases", "closed"): "9",
        ("cases", "fines_count"): "11",
        ("cases_by_state", "filed"): "13",
        ("batches_published", "2025年第二批"): "2025-03-31",
        ("detections", "copies"): "4",
        ("detections_by_work", "<b>盗</b> & Co"): "1",
        ("detections_by_site", "盗版影院"): "4",
        ("detections_by_region", "unknown"): "1",
        ("detections_by_month", "2025-04"): "0",
        ("capture_to_detection_s", "p90"): "1320.00",
        ("notices", "non_compliant"): "2",
        ("notice_to_removal_h", "median"): "15.00",
        ("scope", "region"): "CN-33",
    }
    assert {k: figures.get(k) for k in expected} == expected
    assert float(figures[("headline", "fines_imposed")]) == 123456.78


def test_json_round_trips() -> None:
    report = make_report()
    data = json.loads(to_json(report))
    assert data == report.to_dict()
    assert data["fines_imposed"] == "123456.78"
    assert data["notice_to_removal_h"] == {"count": 7, "median": 15.0, "p90": 49.2}
    assert data["detections"]["by_month"] == [
        {"key": "2025-03", "count": 4},
        {"key": "2025-04", "count": 0},
    ]


def test_html_is_self_contained_with_headline_and_charts() -> None:
    page = to_html(make_report())
    assert re.search(r'<html lang="zh-CN">', page)
    for figure in ("17", "6", "123456.78", "4", "321"):
        assert f'<div class="value">{figure}</div>' in page
    assert "立案调查 Cases investigated" in page
    assert page.count("<svg") == 3
    # No network: no scheme-qualified address at all, nothing loaded, no script.
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "<script" not in page and "@import" not in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    # A title from a pirate page is text, not markup.
    assert "<b>盗</b>" not in page and "&lt;b&gt;盗&lt;/b&gt; &amp;amp; Co" not in page
    assert "&lt;b&gt;盗&lt;/b&gt; &amp; Co" in page


def test_pdf_has_pages(tmp_path: Path) -> None:
    target = tmp_path / "report.pdf"
    write_pdf(make_report(), target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    assert re.search(rb"/Type\s*/Page\b", data)
    assert b"STSong-Light" in data
    again = io.BytesIO()
    write_pdf(make_report(), again)
    assert again.getvalue() == data, "the same report should give the same bytes"


def test_charts_draw_the_top_ten_works_and_survive_no_data() -> None:
    many = tuple(Count(f"作品{i:02d}", 30 - i) for i in range(14))
    charts = {c.key: c for c in campaign_charts(make_report(works=many))}
    svg = inline_svg(charts["by_work"].drawing, title=charts["by_work"].title)
    assert "作品09" in svg and "作品10" not in svg
    empty = inline_svg(bar_chart((), title="空 Empty"), title="空 Empty")
    assert "No data" in empty and empty.startswith("<svg")
    # Every chart of an empty report still renders to the page and the PDF.
    assert to_html(make_report(works=())).count("<svg") == 3


def test_every_section_has_a_bilingual_heading() -> None:
    for section in sections(make_report()):
        assert re.search(r"[\u4e00-\u9fff]", section.heading), section.key
        assert re.search(r"[A-Za-z]", section.heading), section.key


def test_unscoped_report_names_no_authority() -> None:
    report = dataclasses.replace(make_report(), authority=None, region=None)
    page = to_html(report)
    assert "None" not in page and "浙江省版权局" not in page
    assert json.loads(to_json(report))["authority"] is None


@pytest.mark.parametrize("fmt", ["csv", "json", "html"])
def test_text_formats_are_utf8_text(fmt: str) -> None:
    text = {"csv": to_csv, "json": to_json, "html": to_html}[fmt](make_report())
    assert "流浪地球3" in text
    text.encode("utf-8")
