"""The monitored sites in the reader's scope: their status and when they were last swept."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jianwang.reports.reach import sites_for
from jianwang.web.deps import SessionDep
from jianwang.web.pages.common import PageUser, render

router = APIRouter()


@router.get("/sites")
def sites(request: Request, session: SessionDep, who: PageUser) -> Response:
    """Sites with their status, last sweep and what was found there."""
    return render(request, who, "sites.html", nav="sites", lines=sites_for(session, who.actor))
