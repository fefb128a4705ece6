"""Campaign reports to take away: the same figures as the dashboard, as HTML, PDF or CSV.

Each file is the report module's own export (``reports.export``), scoped to the reader's
authority as the dashboard is, for the period the reader chooses.
"""

from __future__ import annotations

import io
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jianwang.errors import UserError
from jianwang.reports.export import to_csv, to_html, write_pdf
from jianwang.reports.reach import report_for, report_scope
from jianwang.web.deps import SessionDep
from jianwang.web.pages.common import (
    DOCUMENT_POLICY,
    PageUser,
    error_page,
    render,
    security_headers,
)
from jianwang.web.pages.dashboard import FromQuery, ToQuery, period

router = APIRouter()

MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


@router.get("/reports")
def reports(
    request: Request,
    session: SessionDep,
    who: PageUser,
    start: FromQuery = None,
    end: ToQuery = None,
) -> Response:
    """Choose a period and a format."""
    first, last = period(start, end)
    try:
        scope = report_scope(session, who.actor)
    except UserError as exc:
        return error_page(request, who, exc)
    return render(request, who, "reports.html", nav="reports", start=first, end=last, scope=scope)


@router.get("/reports/campaign.{fmt}")
def campaign(
    request: Request,
    session: SessionDep,
    who: PageUser,
    fmt: Literal["html", "pdf", "csv"],
    start: FromQuery = None,
    end: ToQuery = None,
) -> Response:
    """The campaign report for the period as a file."""
    first, last = period(start, end)
    try:
        report = report_for(session, who.actor, start=first, end=last)
    except UserError as exc:
        return error_page(request, who, exc)
    if fmt == "html":
        body: bytes = to_html(report).encode("utf-8")
    elif fmt == "csv":
        body = to_csv(report).encode("utf-8")
    else:
        buffer = io.BytesIO()
        write_pdf(report, buffer)
        body = buffer.getvalue()
    name = f"campaign-{first.isoformat()}-{last.isoformat()}.{fmt}"
    headers = security_headers(DOCUMENT_POLICY)
    # The HTML page may be read in place (it has no script); everything else is a download.
    inline = fmt == "html" and request.query_params.get("inline") == "1"
    disposition = "inline" if inline else "attachment"
    headers["Content-Disposition"] = f'{disposition}; filename="{name}"'
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=headers)
