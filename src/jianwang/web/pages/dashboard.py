"""The first page: what waits for the reader, and the campaign's figures with their charts.

The charts are the campaign report's own (``reports.charts``), drawn on the server by ReportLab
and inlined as SVG: the page needs no chart library and fetches nothing from outside.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from jianwang.errors import UserError
from jianwang.reports.charts import campaign_charts, inline_svg
from jianwang.reports.reach import default_period, overview
from jianwang.web.deps import SessionDep
from jianwang.web.pages.common import PageUser, error_page, render

router = APIRouter()

FromQuery = Annotated[date | None, Query(alias="from", description="First day (UTC).")]
ToQuery = Annotated[date | None, Query(alias="to", description="Last day (UTC).")]


def period(start: date | None, end: date | None) -> tuple[date, date]:
    """The period asked for; a missing end is today, a missing start 30 days before the end."""
    first, last = default_period(end)
    return start or first, last


@router.get("/")
def dashboard(
    request: Request,
    session: SessionDep,
    who: PageUser,
    start: FromQuery = None,
    end: ToQuery = None,
) -> Response:
    """Counts for the reader, and the campaign figures where it may read them."""
    first, last = period(start, end)
    try:
        view = overview(session, who.actor, start=first, end=last)
    except UserError as exc:
        return error_page(request, who, exc)
    charts = []
    if view.report is not None:
        charts = [
            # ReportLab's XML writer escaped the labels; the SVG is ours, not the reader's.
            (chart.title, Markup(inline_svg(chart.drawing, title=chart.title)))
            for chart in campaign_charts(view.report)
        ]
    return render(
        request,
        who,
        "dashboard.html",
        nav="dashboard",
        view=view,
        report=view.report,
        charts=charts,
        start=first,
        end=last,
    )
