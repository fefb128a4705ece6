"""REST API: takedown and warning notices, from draft to follow-up.

Reading is scoped by the services (a platform reads the notices addressed to its own site, a
rights holder its own, an officer those to sites in its region); each step checks the caller's
rights over the notice's detections and the notice's state, and refuses before anything changes.
"""

from __future__ import annotations

import io
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from jianwang.catalog.service import find_site
from jianwang.db.models import NoticeKind, NoticeStatus
from jianwang.detections.review import load_detections
from jianwang.enforcement.notices import (
    draft_takedown_notices,
    escalate_notice,
    noticeable,
    readable_notice,
    record_counter_notice,
    render_notice_html,
    send_notice,
    visible_notices,
    write_notice_pdf,
)
from jianwang.web.api.common import Page, PagingDep
from jianwang.web.api.schemas_enforcement import (
    Anyone,
    Body,
    BodyId,
    CaseOfficer,
    CaseSummary,
    NoticeDetail,
    NoticeGiver,
    NoticeSummary,
    Reason,
    RecordId,
    lookup_ref,
    paged,
)
from jianwang.web.deps import ServicesDep, SessionDep

router = APIRouter(tags=["notices"])

DOCUMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # The notice page is ours and autoescaped, but quotes what pirate pages said: no script,
    # no fetches, only its own inline style.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
}


class DocumentFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


class DraftRequest(Body):
    site: str = Field(min_length=1, max_length=300, description="Site id, name or domain.")
    detection_ids: list[BodyId] | None = Field(
        default=None,
        max_length=1000,
        description="Only these confirmed detections; default: every confirmed detection on the "
        "site not yet in a running notice that the caller may give notice of.",
    )


class CounterRequest(Body):
    sender: str = Field(max_length=300, description="Who sent the counter-notice.")
    grounds: str = Field(max_length=10_000, description="The grounds it gives.")


class EscalateRequest(Body):
    reason: Reason


@router.get("/notices", response_model=Page[NoticeSummary])
def list_notices(
    session: SessionDep,
    actor: Anyone,
    paging: PagingDep,
    status: Annotated[NoticeStatus | None, Query(description="Only this status.")] = None,
    kind: Annotated[NoticeKind | None, Query(description="takedown or warning.")] = None,
    site: Annotated[
        str | None, Query(max_length=300, description="Only this site (id, name or domain).")
    ] = None,
) -> Page[NoticeSummary]:
    """Notices the caller may read, newest first."""
    rows = visible_notices(
        session,
        actor=actor,
        status=status,
        kind=kind,
        site_id=find_site(session, lookup_ref(site, "site")).id if site else None,
    )
    return paged(rows, paging, NoticeSummary.of)


@router.get("/notices/{notice_id}", response_model=NoticeDetail)
def get_notice(notice_id: RecordId, session: SessionDep, actor: Anyone) -> NoticeDetail:
    """A notice as structured data, with every field the law asks of it."""
    return NoticeDetail.of(readable_notice(session, actor=actor, notice_id=notice_id))


@router.get(
    "/notices/{notice_id}/document",
    response_class=Response,
    responses={
        200: {
            "content": {"text/html": {}, "application/pdf": {}},
            "description": "The notice as HTML or PDF.",
        }
    },
)
def get_notice_document(
    notice_id: RecordId,
    session: SessionDep,
    actor: Anyone,
    format: Annotated[DocumentFormat, Query(description="html or pdf.")] = DocumentFormat.HTML,
) -> Response:
    """The notice as the document sent: HTML (bilingual, every field) or PDF."""
    notice = readable_notice(session, actor=actor, notice_id=notice_id)
    if format is DocumentFormat.HTML:
        return HTMLResponse(render_notice_html(notice), headers=DOCUMENT_HEADERS)
    buffer = io.BytesIO()
    write_notice_pdf(notice, buffer)
    return Response(
        buffer.getvalue(),
        media_type="application/pdf",
        headers={
            **DOCUMENT_HEADERS,
            "Content-Disposition": f'attachment; filename="notice-{notice.id}.pdf"',
        },
    )


@router.post("/notices", response_model=list[NoticeSummary], status_code=201)
def draft_notices(
    body: DraftRequest, session: SessionDep, svc: ServicesDep, actor: NoticeGiver
) -> list[NoticeSummary]:
    """Draft takedown notices (one per rights holder) for confirmed detections on a site."""
    site = find_site(session, lookup_ref(body.site, "site"))
    chosen = (
        load_detections(session, body.detection_ids)
        if body.detection_ids
        else noticeable(session, site=site, actor=actor)
    )
    notices = draft_takedown_notices(
        session, site=site, detections=chosen, actor=actor, settings=svc.settings
    )
    return [NoticeSummary.of(n) for n in notices]


@router.post("/notices/{notice_id}/send", response_model=NoticeSummary)
def send(notice_id: RecordId, session: SessionDep, actor: NoticeGiver) -> NoticeSummary:
    """Send a drafted notice: its deadline runs from now."""
    notice = readable_notice(session, actor=actor, notice_id=notice_id)
    return NoticeSummary.of(send_notice(session, notice=notice, actor=actor))


@router.post("/notices/{notice_id}/counter", response_model=NoticeSummary)
def counter(
    notice_id: RecordId, body: CounterRequest, session: SessionDep, actor: NoticeGiver
) -> NoticeSummary:
    """Record the recipient's counter-notice."""
    notice = readable_notice(session, actor=actor, notice_id=notice_id)
    done = record_counter_notice(
        session, notice=notice, actor=actor, sender=body.sender, grounds=body.grounds
    )
    return NoticeSummary.of(done)


@router.post("/notices/{notice_id}/escalate", response_model=CaseSummary, status_code=201)
def escalate(
    notice_id: RecordId, body: EscalateRequest, session: SessionDep, actor: CaseOfficer
) -> CaseSummary:
    """Open a case on a notice that was not complied with."""
    notice = readable_notice(session, actor=actor, notice_id=notice_id)
    return CaseSummary.of(escalate_notice(session, notice=notice, actor=actor, reason=body.reason))
