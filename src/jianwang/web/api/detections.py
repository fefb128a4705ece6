"""REST API: detections, their evidence files, and their review.

Everything here is scoped by the services: a rights holder sees its own works, an officer (or a
viewer with an authority) the sites in its region, an admin everything; platforms see nothing.
Evidence files are served as downloads that a browser never runs in this origin: a captured
page is someone else's HTML, so it comes back as text, and every file is sandboxed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field, model_validator

from jianwang.catalog.service import find_site, find_work
from jianwang.db.models import Artefact, DetectionStatus
from jianwang.detections.review import confirm, reject, review_queue
from jianwang.detections.visibility import (
    detection_artefact,
    detection_artefacts,
    readable_detection,
    visible_allow_rules,
    visible_detections,
)
from jianwang.errors import NotFoundError
from jianwang.web.api.common import Page, PagingDep
from jianwang.web.api.schemas_enforcement import (
    AllowRuleOut,
    ArtefactOut,
    Body,
    BodyId,
    DetectionDetail,
    DetectionSummary,
    QueueItemOut,
    Reader,
    Reason,
    RecordId,
    Reviewer,
    lookup_ref,
    paged,
)
from jianwang.web.deps import SessionDep

log = logging.getLogger(__name__)

router = APIRouter(tags=["detections"])

MAX_IDS = 1000

INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "audio/ogg", "audio/mpeg"})
"""Evidence types a browser may show inline: pictures and sound, which run no code."""

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "audio/ogg": ".ogg",
    "audio/mpeg": ".mp3",
    "text/html": ".html",
    "application/json": ".json",
    "text/plain": ".txt",
}
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-store",
}


class ConfirmRequest(Body):
    ids: list[BodyId] = Field(min_length=1, max_length=MAX_IDS, description="Detection ids.")
    reason: Reason


class ConfirmResult(BaseModel):
    confirmed: list[int]


class RejectRequest(Body):
    ids: list[BodyId] = Field(min_length=1, max_length=MAX_IDS, description="Detection ids.")
    reason: Reason
    allow: Literal["work-site", "url"] | None = Field(
        default=None,
        description="'work-site': allow each rejected work on its site from now on; 'url': "
        "allow pages whose page or media URL matches url_pattern.",
    )
    url_pattern: str | None = Field(
        default=None, max_length=2000, description="A glob, e.g. https://example.com/trailers/*"
    )

    @model_validator(mode="after")
    def _pattern_fits(self) -> RejectRequest:
        if self.allow == "url" and not self.url_pattern:
            raise ValueError("allow 'url' needs a url_pattern")
        if self.allow == "work-site" and self.url_pattern:
            raise ValueError("a work-site allow rule takes no url_pattern")
        return self


class RejectResult(BaseModel):
    rejected: list[int]
    allow_rules: list[int]


def _artefact_url(request: Request, detection_id: int, artefact_id: int) -> str:
    return request.app.url_path_for(
        "get_detection_artefact", detection_id=detection_id, artefact_id=artefact_id
    )


@router.get("/detections", response_model=Page[DetectionSummary])
def list_detections(
    session: SessionDep,
    actor: Reader,
    paging: PagingDep,
    status: Annotated[DetectionStatus | None, Query(description="Only this status.")] = None,
    site: Annotated[
        str | None, Query(max_length=300, description="Only this site (id, name or domain).")
    ] = None,
    work: Annotated[
        str | None, Query(max_length=300, description="Only this work (id or title).")
    ] = None,
) -> Page[DetectionSummary]:
    """Detections the caller may read, newest first."""
    rows = visible_detections(
        session,
        actor=actor,
        status=status,
        site_id=find_site(session, lookup_ref(site, "site")).id if site else None,
        work_id=find_work(session, lookup_ref(work, "work")).id if work else None,
    )
    return paged(rows, paging, DetectionSummary.of)


@router.get("/detections/{detection_id}", response_model=DetectionDetail)
def get_detection(
    detection_id: RecordId, request: Request, session: SessionDep, actor: Reader
) -> DetectionDetail:
    """One detection with its spans, score, evidence class and evidence files."""
    detection = readable_detection(session, actor=actor, detection_id=detection_id)
    artefacts = [
        ArtefactOut.of(a, _artefact_url(request, detection.id, a.id))
        for a in detection_artefacts(session, detection=detection)
    ]
    return DetectionDetail.detail(detection, artefacts)


def _download_name(artefact: Artefact) -> str:
    base = artefact.content_type.split(";", 1)[0].strip().lower()
    suffix = Path(artefact.path).suffix.lower() or EXTENSIONS.get(base, ".bin")
    return f"artefact-{artefact.id}-{artefact.kind}{suffix}"


@router.get(
    "/detections/{detection_id}/artefacts/{artefact_id}",
    response_class=FileResponse,
    responses={200: {"description": "The evidence file."}, 404: {"description": "No such file"}},
)
def get_detection_artefact(
    detection_id: RecordId, artefact_id: RecordId, session: SessionDep, actor: Reader
) -> FileResponse:
    """One evidence file of a detection: stills and screenshots as images, excerpts as audio,
    everything else (the captured page, the HTTP exchange, text passages) as a text/plain
    attachment, never rendered here."""
    detection = readable_detection(session, actor=actor, detection_id=detection_id)
    artefact = detection_artefact(session, detection=detection, artefact_id=artefact_id)
    path = Path(artefact.path)
    if not path.is_file():
        log.warning("artefact %d: file %s is missing", artefact.id, path)
        raise NotFoundError(f"the file of artefact {artefact.id} is missing from the store")
    base = artefact.content_type.split(";", 1)[0].strip().lower()
    inline = base in INLINE_TYPES
    return FileResponse(
        path,
        media_type=artefact.content_type if inline else _text_or_binary(base),
        filename=_download_name(artefact),
        content_disposition_type="inline" if inline else "attachment",
        headers={**SAFE_HEADERS, "X-Content-SHA256": artefact.sha256},
    )


def _text_or_binary(base: str) -> str:
    """Text-like evidence is offered as plain text; anything else as opaque bytes."""
    if base.startswith("text/") or base in {"application/json", "application/xhtml+xml"}:
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


@router.get("/review", response_model=Page[QueueItemOut])
def get_review_queue(
    session: SessionDep,
    actor: Reviewer,
    paging: PagingDep,
    site: Annotated[str | None, Query(max_length=300, description="Only this site.")] = None,
    work: Annotated[str | None, Query(max_length=300, description="Only this work.")] = None,
) -> Page[QueueItemOut]:
    """The review queue: detections waiting for a reviewer that the caller may review, oldest
    first."""
    rows = review_queue(
        session,
        actor=actor,
        site_id=find_site(session, lookup_ref(site, "site")).id if site else None,
        work_id=find_work(session, lookup_ref(work, "work")).id if work else None,
    )
    return paged(rows, paging, QueueItemOut.model_validate)


@router.post("/detections/confirm", response_model=ConfirmResult)
def confirm_detections(body: ConfirmRequest, session: SessionDep, actor: Reviewer) -> ConfirmResult:
    """Confirm detections as infringing copies (all or none: one refused, none changes)."""
    done = confirm(session, detection_ids=body.ids, actor=actor, reason=body.reason)
    return ConfirmResult(confirmed=[d.id for d in done])


@router.post("/detections/reject", response_model=RejectResult)
def reject_detections(body: RejectRequest, session: SessionDep, actor: Reviewer) -> RejectResult:
    """Reject detections as false positives, optionally with an allow rule so the same match is
    set aside when it comes back."""
    rules = reject(
        session,
        detection_ids=body.ids,
        actor=actor,
        reason=body.reason,
        allow=body.allow,
        url_pattern=body.url_pattern,
    )
    return RejectResult(rejected=list(dict.fromkeys(body.ids)), allow_rules=[r.id for r in rules])


@router.get("/allow-rules", response_model=Page[AllowRuleOut])
def list_allow_rules(session: SessionDep, actor: Reader, paging: PagingDep) -> Page[AllowRuleOut]:
    """The allow rules the caller may read, oldest first."""
    return paged(visible_allow_rules(session, actor=actor), paging, AllowRuleOut.of)
