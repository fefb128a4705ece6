"""REST API: campaign reports as JSON, CSV, HTML or PDF.

The figures and their definitions are ``reports.campaign``'s; here only the scope is decided. An
officer (or a viewer with an authority) reports on its own authority unless it names another
inside its region; an admin (or a viewer without an authority) may report on everything.
"""

from __future__ import annotations

import io
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from jianwang.catalog.actors import Actor
from jianwang.catalog.people import find_authority
from jianwang.db.models import Role
from jianwang.detections.visibility import may_read_region, reads_everywhere
from jianwang.errors import PermissionDenied
from jianwang.reports import export
from jianwang.reports.campaign import campaign_report, parse_day
from jianwang.web.api.schemas_enforcement import Reporter
from jianwang.web.deps import SessionDep

router = APIRouter(tags=["reports"])

DOCUMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Inline CSS and SVG charts only; the page fetches nothing and runs nothing.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
}


class ReportFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    HTML = "html"
    PDF = "pdf"


class PeriodOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from", description="First day, YYYY-MM-DD (UTC, inclusive).")
    to: str = Field(description="Last day, YYYY-MM-DD (UTC, inclusive).")


class ScopeOut(BaseModel):
    name: str
    region: str | None


class CountOut(BaseModel):
    key: str
    count: int


class TimingOut(BaseModel):
    count: int
    median: float | None
    p90: float | None


class BatchOut(BaseModel):
    name: str
    published_on: str
    works: int


class BatchesOut(BaseModel):
    count: int
    batches: list[BatchOut]


class DetectionFiguresOut(BaseModel):
    copies: int
    by_work: list[CountOut]
    by_site: list[CountOut]
    by_region: list[CountOut]
    by_month: list[CountOut]


class CampaignReportOut(BaseModel):
    """Every campaign figure (definitions in ``reports/campaign.py``); money as a string with
    two decimals so no fen is lost."""

    period: PeriodOut
    authority: ScopeOut | None
    cases_investigated: int
    sites_shut_down: int
    fines_imposed: str
    fines_count: int
    cases_referred: int
    cases_opened: int
    cases_closed: int
    cases_by_state: dict[str, int]
    works_on_protection_list: int
    batches_published: BatchesOut
    detections: DetectionFiguresOut
    capture_to_detection_s: TimingOut
    notices_sent: int
    notices_removed: int
    notices_non_compliant: int
    notice_to_removal_h: TimingOut


def report_scope(session: SessionDep, actor: Actor, authority: str | None) -> str | None:
    """The authority the report is for: the one named, if the caller reaches its region, else
    the caller's own; None (everything) only for a caller that reads every region."""
    if authority is None:
        if actor.authority_id is not None and actor.role is not Role.ADMIN:
            return find_authority(session, actor.authority_id).name
        if reads_everywhere(actor):
            return None
        raise PermissionDenied(f"{actor.name} belongs to no authority to report on")
    named = find_authority(session, authority)
    if not may_read_region(actor, named.region):
        raise PermissionDenied(
            f"{actor.name} may not report on {named.name} ({named.region}): it is outside "
            f"{actor.region or 'any region of theirs'}"
        )
    return named.name


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/reports/campaign",
    response_model=CampaignReportOut,
    responses={
        200: {
            "content": {"text/csv": {}, "text/html": {}, "application/pdf": {}},
            "description": "JSON by default; CSV, HTML or PDF with format.",
        }
    },
)
def get_campaign_report(
    session: SessionDep,
    actor: Reporter,
    start: Annotated[
        str, Query(alias="from", description="First day, YYYY-MM-DD (UTC, inclusive).")
    ],
    end: Annotated[str, Query(alias="to", description="Last day, YYYY-MM-DD (UTC, inclusive).")],
    authority: Annotated[
        str | None,
        Query(max_length=200, description="Authority name (default: the caller's own)."),
    ] = None,
    fmt: Annotated[
        ReportFormat, Query(alias="format", description="json, csv, html or pdf.")
    ] = ReportFormat.JSON,
) -> CampaignReportOut | Response:
    """Campaign figures for a period: cases investigated, sites shut down, fines, referrals,
    the protection list, detections and notices."""
    first = parse_day(start, option="from")
    last = parse_day(end, option="to")
    scope = report_scope(session, actor, authority)
    report = campaign_report(session, start=first, end=last, authority=scope)
    stem = f"campaign-{first.isoformat()}-{last.isoformat()}"
    if fmt is ReportFormat.CSV:
        return Response(
            export.to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers=_attachment(f"{stem}.csv"),
        )
    if fmt is ReportFormat.HTML:
        return HTMLResponse(export.to_html(report), headers=DOCUMENT_HEADERS)
    if fmt is ReportFormat.PDF:
        buffer = io.BytesIO()
        export.write_pdf(report, buffer)
        return Response(
            buffer.getvalue(),
            media_type="application/pdf",
            headers={**DOCUMENT_HEADERS, **_attachment(f"{stem}.pdf")},
        )
    return CampaignReportOut.model_validate(report.to_dict())
