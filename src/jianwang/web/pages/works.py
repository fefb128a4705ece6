"""The protection list as the reader may see it (a rights holder: its own works)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from jianwang.reports.reach import works_for
from jianwang.web.deps import SessionDep
from jianwang.web.pages.common import PageUser, render

router = APIRouter()


@router.get("/works")
def works(request: Request, session: SessionDep, who: PageUser) -> Response:
    """Every protected work in the reader's scope, with its references, batch and licences."""
    return render(request, who, "works.html", nav="works", works=works_for(session, who.actor))
