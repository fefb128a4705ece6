"""The review queue and one detection's review: the copy beside the reference, then a decision.

The reviewer sees the copy's stills at the matched timecodes beside the reference's stills at
the moments they match (or both audio excerpts, or both passages), the page's screenshot and
the score, and confirms or rejects with a reason. The buttons post through htmx with the
session's CSRF token and swap in the outcome; without script the same forms post normally and
come back to the queue.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, Response

from jianwang.catalog.actors import Action
from jianwang.detections.artefacts_view import artefact_file, detection_evidence
from jianwang.detections.review import confirm, reject, review_queue
from jianwang.errors import UserError
from jianwang.reports.reach import detection_detail
from jianwang.web.deps import SessionDep
from jianwang.web.pages.common import (
    PageUser,
    error_page,
    failure,
    is_htmx,
    render,
    security_headers,
    see_other,
    settings_of,
)

log = logging.getLogger(__name__)

router = APIRouter()

INLINE_TYPES = ("image/jpeg", "image/png", "audio/", "text/plain")
"""Evidence shown in the page itself; anything else (the pirate's page HTML) is only ever
downloaded, never rendered by the browser under this site's origin."""

ReasonForm = Annotated[str, Form(max_length=2000)]


@router.get("/review")
def queue(request: Request, session: SessionDep, who: PageUser) -> Response:
    """Detections waiting for the reader's decision, oldest first."""
    try:
        items = review_queue(session, actor=who.actor)
    except UserError as exc:
        return error_page(request, who, exc)
    return render(request, who, "review/queue.html", nav="review", items=items)


def _detail_page(
    request: Request, session: SessionDep, who: PageUser, detection_id: int
) -> Response:
    detail = detection_detail(session, who.actor, detection_id)
    evidence = detection_evidence(session, detection_id=detection_id, actor=who.actor)
    return render(
        request,
        who,
        "review/detail.html",
        nav="review",
        d=detail,
        evidence=evidence,
        may_export=who.actor.may(Action.EVIDENCE),
        problem=None,
    )


@router.get("/review/{detection_id}")
def detail(request: Request, session: SessionDep, who: PageUser, detection_id: int) -> Response:
    """One detection side by side with its reference, and the decision buttons."""
    try:
        return _detail_page(request, session, who, detection_id)
    except UserError as exc:
        return error_page(request, who, exc)


def _decided(request: Request, session: SessionDep, who: PageUser, detection_id: int) -> Response:
    """After a decision: the decision panel for htmx, the queue for a plain form post."""
    session.commit()  # before answering, so the next page read sees the decision
    if not is_htmx(request):
        return see_other("/review")
    detail = detection_detail(session, who.actor, detection_id)
    return render(request, who, "review/_decision.html", d=detail, problem=None)


def _refused(
    request: Request, session: SessionDep, who: PageUser, detection_id: int, exc: UserError
) -> Response:
    """A refused decision changes nothing; htmx shows why in place of the buttons."""
    session.rollback()
    if not is_htmx(request):
        return error_page(request, who, exc)
    found = failure(exc)
    try:
        detail = detection_detail(session, who.actor, detection_id)
    except UserError:
        return error_page(request, who, exc)
    return render(
        request,
        who,
        "review/_decision.html",
        status_code=found.status,
        d=detail,
        problem=found,
    )


@router.post("/review/{detection_id}/confirm")
def confirm_detection(
    request: Request,
    session: SessionDep,
    who: PageUser,
    detection_id: int,
    reason: ReasonForm,
) -> Response:
    """Confirm the detection as an infringing copy."""
    try:
        confirm(session, detection_ids=[detection_id], actor=who.actor, reason=reason)
    except UserError as exc:
        return _refused(request, session, who, detection_id, exc)
    log.info("detection %d confirmed by %s on the dashboard", detection_id, who.user.username)
    return _decided(request, session, who, detection_id)


@router.post("/review/{detection_id}/reject")
def reject_detection(
    request: Request,
    session: SessionDep,
    who: PageUser,
    detection_id: int,
    reason: ReasonForm,
    allow: Annotated[Literal["", "work-site", "url"], Form()] = "",
    url_pattern: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Reject the detection as a false positive, optionally with an allow rule."""
    try:
        reject(
            session,
            detection_ids=[detection_id],
            actor=who.actor,
            reason=reason,
            allow=allow or None,
            url_pattern=(url_pattern.strip() or None) if allow == "url" else None,
        )
    except UserError as exc:
        return _refused(request, session, who, detection_id, exc)
    log.info("detection %d rejected by %s on the dashboard", detection_id, who.user.username)
    return _decided(request, session, who, detection_id)


@router.get("/artefacts/{artefact_id}")
def artefact(request: Request, session: SessionDep, who: PageUser, artefact_id: int) -> Response:
    """One evidence file, for a reader who may take the detection's evidence."""
    try:
        found = artefact_file(
            session,
            artefact_id=artefact_id,
            actor=who.actor,
            content_dir=settings_of(request).content_dir,
        )
    except UserError as exc:
        return error_page(request, who, exc)
    kind = found.artefact.content_type
    inline = kind.startswith(INLINE_TYPES)
    name = f"artefact-{found.artefact.id}-{found.artefact.kind}{found.path.suffix}"
    headers = security_headers("default-src 'none'; media-src 'self'; sandbox")
    headers["Cache-Control"] = "private, max-age=3600"  # content-addressed: never changes
    return FileResponse(
        found.path,
        media_type=kind if inline else "application/octet-stream",
        filename=name,
        content_disposition_type="inline" if inline else "attachment",
        headers=headers,
    )
