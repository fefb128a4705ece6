"""Notices in the reader's scope, and one notice's document as the recipient receives it.

The document is the enforcement layer's own rendering (``render_notice_html``, the same HTML
the CLI writes): the page frames it in a sandboxed iframe, served with a policy that allows no
script, and offers the PDF.
"""

from __future__ import annotations

import io

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from jianwang.enforcement.notices import render_notice_html, write_notice_pdf
from jianwang.errors import UserError
from jianwang.reports.reach import notice_row, notices_for, visible_notice
from jianwang.web.deps import SessionDep
from jianwang.web.pages.common import (
    DOCUMENT_POLICY,
    PageUser,
    error_page,
    render,
    security_headers,
)

router = APIRouter()


@router.get("/notices")
def notices(request: Request, session: SessionDep, who: PageUser) -> Response:
    """Takedown and warning notices in the reader's scope, newest first."""
    return render(
        request, who, "notices/list.html", nav="notices", rows=notices_for(session, who.actor)
    )


@router.get("/notices/{notice_id}")
def notice(request: Request, session: SessionDep, who: PageUser, notice_id: int) -> Response:
    """A notice's record, with its document framed below."""
    try:
        row = notice_row(session, who.actor, notice_id)
    except UserError as exc:
        return error_page(request, who, exc)
    return render(request, who, "notices/notice.html", nav="notices", row=row)


@router.get("/notices/{notice_id}/document")
def document(request: Request, session: SessionDep, who: PageUser, notice_id: int) -> Response:
    """The notice as the HTML document the recipient gets."""
    try:
        found = visible_notice(session, who.actor, notice_id)
    except UserError as exc:
        return error_page(request, who, exc)
    return HTMLResponse(render_notice_html(found), headers=security_headers(DOCUMENT_POLICY))


@router.get("/notices/{notice_id}/pdf")
def pdf(request: Request, session: SessionDep, who: PageUser, notice_id: int) -> Response:
    """The notice as a PDF to print or send."""
    try:
        found = visible_notice(session, who.actor, notice_id)
    except UserError as exc:
        return error_page(request, who, exc)
    buffer = io.BytesIO()
    write_notice_pdf(found, buffer)
    headers = security_headers(DOCUMENT_POLICY)
    headers["Content-Disposition"] = f'attachment; filename="notice-{notice_id}.pdf"'
    return Response(buffer.getvalue(), media_type="application/pdf", headers=headers)
