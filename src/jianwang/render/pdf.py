"""PDF documents with ReportLab, Chinese included, without any font file or network.

Text is set in Adobe's ``STSong-Light`` CID font, which ReportLab names but does not embed: PDF
readers supply it from their Asian font packs, so Chinese and Latin text render with no font
shipped here. Documents are built from ReportLab's flowables (paragraphs, tables, drawings).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

FONT = "STSong-Light"


@cache
def _register_font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


@cache
def styles() -> StyleSheet1:
    """ReportLab's sample styles, re-set in the CJK-capable font."""
    font = _register_font()
    sheet = getSampleStyleSheet()
    for name in ("Normal", "BodyText", "Title", "Heading1", "Heading2", "Heading3", "Code"):
        style: ParagraphStyle = sheet[name]
        style.fontName = font
        style.wordWrap = "CJK"  # break lines between Chinese characters, not only at spaces
    return sheet


def paragraph(text: str, style: str = "BodyText") -> Paragraph:
    """A paragraph of plain text (escaped: page text may hold markup)."""
    return Paragraph(escape(text), styles()[style])


def table(
    header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float] | None = None
) -> Table:
    """A ruled table whose cells wrap; every cell is shown as text."""
    body = styles()["BodyText"]
    small = ParagraphStyle("cell", parent=body, fontSize=8, leading=10)
    data = [[Paragraph(f"<b>{escape(str(h))}</b>", small) for h in header]]
    data += [[Paragraph(escape("" if v is None else str(v)), small) for v in row] for row in rows]
    result = Table(data, colWidths=list(widths) if widths else None, repeatRows=1)
    result.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return result


def write_pdf(target: Path | IO[bytes], *, title: str, flowables: Sequence[Flowable]) -> None:
    """Lay ``flowables`` out on A4 pages and write the PDF to ``target``."""
    _register_font()
    doc = SimpleDocTemplate(
        str(target) if isinstance(target, Path) else target,
        pagesize=A4,
        title=title,
        author="Jianwang",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        # Fixed creation date and document id make the same content give the same bytes.
        invariant=1,
    )
    doc.build(list(flowables))
