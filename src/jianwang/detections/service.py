"""Turning captures into detections, checking licences, and settling detections.

A detection on a site licensed for the work (on the capture's day, in the site's region) is
LICENSED at once with the licence named; every other detection waits as DETECTED until review
triage (``detections.review``) confirms it, sets it aside or queues it for a reviewer. Every status
change names its actor, whose rights over the detection are checked first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.catalog.actors import Action, Actor, require_rights
from jianwang.catalog.indexes import IndexSet
from jianwang.catalog.service import licence_for
from jianwang.db import utcnow
from jianwang.db.models import (
    AssetKind,
    Capture,
    Detection,
    DetectionStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    Site,
)
from jianwang.db.models.enforcement import notice_detections
from jianwang.detections.evidence import record_evidence_for
from jianwang.detections.identify import MatchView, identify_file
from jianwang.errors import JianwangError, UserError
from jianwang.evidence import ledger
from jianwang.media.limits import DecodeLimits
from jianwang.signals.registry import SignalRegistry

log = logging.getLogger(__name__)

SETTLED = frozenset(
    {DetectionStatus.CONFIRMED, DetectionStatus.LICENSED, DetectionStatus.FALSE_POSITIVE}
)
ALLOWED_TRANSITIONS: dict[DetectionStatus, frozenset[DetectionStatus]] = {
    DetectionStatus.DETECTED: frozenset({DetectionStatus.IN_REVIEW, *SETTLED}),
    DetectionStatus.IN_REVIEW: SETTLED,
    DetectionStatus.CONFIRMED: frozenset(),
    DetectionStatus.LICENSED: frozenset(),
    DetectionStatus.FALSE_POSITIVE: frozenset(),
}


@dataclass(frozen=True)
class CaptureOutcome:
    """What matching one capture produced."""

    capture_id: int
    detections: list[Detection]
    error: str | None = None


def detect_capture(
    session: Session,
    *,
    capture: Capture,
    indexes: IndexSet,
    registry: SignalRegistry,
    limits: DecodeLimits,
    views: Sequence[MatchView] | None = None,
    content_dir: Path | None = None,
) -> CaptureOutcome:
    """Match one capture against the protection list and record its detections.

    With ``content_dir`` (the content store), each new detection's evidence at its matched
    timecodes (stills, excerpts: see ``detections.evidence``) is stored and recorded with it;
    evidence that cannot be made is logged and recorded, and the detection stands.

    ``views`` are matches the caller already made on exactly this capture's content (a live
    watch matches each window before deciding to keep it), so it is not matched twice.
    Idempotent: a capture already matched returns its detections without matching again.
    Unreadable media is recorded on the capture as its error, not raised.
    """
    if capture.matched_at is not None:
        existing = list(
            session.scalars(select(Detection).where(Detection.capture_id == capture.id))
        )
        return CaptureOutcome(capture.id, existing)
    try:
        views = (
            views
            if views is not None
            else identify_file(
                Path(capture.content_path),
                session=session,
                indexes=indexes,
                registry=registry,
                limits=limits,
                kind=AssetKind(capture.kind),
            )
        )
    except JianwangError as exc:
        capture.error = str(exc)
        capture.matched_at = utcnow()
        log.warning("capture %d (%s): %s", capture.id, capture.media_url or capture.page_url, exc)
        return CaptureOutcome(capture.id, [], str(exc))
    best: dict[tuple[int, str], Detection] = {}
    for view in views:
        key = (view.asset_id, view.signal)
        if key in best:
            continue
        detection = Detection(
            capture_id=capture.id,
            work_id=view.work_id,
            asset_id=view.asset_id,
            signal=view.signal,
            score=view.score,
            query_start=view.query_start,
            query_end=view.query_end,
            ref_start=view.ref_start,
            ref_end=view.ref_end,
            speed=view.speed,
            pitch_shift=view.pitch_shift,
            coverage=view.coverage,
            status=DetectionStatus.DETECTED,
        )
        if not apply_licence(session, detection=detection, capture=capture):
            earlier = taken_down_before(session, work_id=view.work_id, capture=capture)
            if earlier is not None:
                detection.reupload_of_id = earlier.id
                detection.status_reason = (
                    f"re-upload: detection {earlier.id} of this work on this site was the "
                    "subject of a takedown notice"
                )
        session.add(detection)
        best[key] = detection
    capture.matched_at = utcnow()
    session.flush()
    for detection in best.values():
        ledger.append(
            session,
            kind="detection",
            subject=f"detection:{detection.id}",
            payload={
                **detection_basis(capture, detection),
                "asset_id": detection.asset_id,
                "signal": detection.signal,
                "score": detection.score,
                "query_span": [detection.query_start, detection.query_end],
                "ref_span": [detection.ref_start, detection.ref_end],
                "speed": detection.speed,
                "pitch_shift": detection.pitch_shift,
                "status": detection.status.value,
                "reupload_of": detection.reupload_of_id,
            },
        )
    if content_dir is not None:
        record_evidence_for(
            session,
            detections=list(best.values()),
            registry=registry,
            content_dir=content_dir,
            limits=limits,
        )
    return CaptureOutcome(capture.id, list(best.values()))


def find_capture(session: Session, *, site_id: int, page_url: str, sha256: str) -> Capture | None:
    """The capture of these bytes at this page of a site, if there is one (a capture is kept
    once: the same bytes at the same page are the same capture)."""
    return session.scalar(
        select(Capture).where(
            Capture.site_id == site_id,
            Capture.page_url == page_url,
            Capture.content_sha256 == sha256,
        )
    )


def detection_basis(capture: Capture, detection: Detection) -> dict[str, object]:
    """What every detection's ledger entry states: the capture it is in and the work."""
    return {
        "capture_id": capture.id,
        "capture_sha256": capture.content_sha256,
        "page_url": capture.page_url,
        "media_url": capture.media_url,
        "work_id": detection.work_id,
    }


def apply_licence(session: Session, *, detection: Detection, capture: Capture) -> bool:
    """Mark ``detection`` LICENSED, naming the licence, when the capture's site may carry its
    work there and then (the capture's day, the site's region); says whether it did."""
    licence = licence_for(
        session,
        work_id=detection.work_id,
        site_id=capture.site_id,
        on=capture.fetched_at.date(),
        territory=capture.site.region,
    )
    if licence is None:
        return False
    detection.status = DetectionStatus.LICENSED
    detection.licence_id = licence.id
    detection.status_reason = (
        f"licence {licence.id}: site may carry the work in {licence.territory} "
        f"from {licence.starts_on} to {licence.ends_on or 'open end'}"
    )
    return True


def taken_down_before(session: Session, *, work_id: int, capture: Capture) -> Detection | None:
    """The latest detection of ``work_id`` on the capture's site, in another capture, that a
    takedown notice was sent about: a new copy of the work there is a re-upload (staydown)."""
    return session.scalar(
        select(Detection)
        .join(Capture, Capture.id == Detection.capture_id)
        .join(notice_detections, notice_detections.c.detection_id == Detection.id)
        .join(Notice, Notice.id == notice_detections.c.notice_id)
        .where(
            Detection.work_id == work_id,
            Capture.site_id == capture.site_id,
            Detection.capture_id != capture.id,
            Notice.kind == NoticeKind.TAKEDOWN,
            Notice.status != NoticeStatus.DRAFT,
        )
        .order_by(Detection.id.desc())
        .limit(1)
    )


def set_status(
    session: Session,
    *,
    detections: Sequence[Detection],
    status: DetectionStatus,
    actor: Actor,
    reason: str,
) -> int:
    """Move detections to ``status`` on behalf of ``actor``, who needs the right to review
    each of them (see :func:`require_rights`); a refused or illegal move is refused before
    anything changes."""
    require_rights(actor, Action.REVIEW, detections)
    for detection in detections:
        if detection.status == status:
            continue
        if status not in ALLOWED_TRANSITIONS[detection.status]:
            raise UserError(
                f"detection {detection.id} is {detection.status.value}; "
                f"it cannot become {status.value}"
            )
    changed = 0
    for detection in detections:
        if detection.status == status:
            continue
        previous = detection.status
        detection.status = status
        detection.status_reason = reason
        detection.reviewed_at = utcnow()
        detection.reviewed_by = actor.name
        ledger.append(
            session,
            kind="review",
            subject=f"detection:{detection.id}",
            payload={
                "from": previous.value,
                "to": status.value,
                "actor": actor.name,
                "reason": reason,
            },
        )
        changed += 1
    session.flush()
    return changed


def pending_detections(session: Session, *, site_id: int | None = None) -> list[Detection]:
    """Detections not yet reviewed, oldest first."""
    query = select(Detection).where(Detection.status == DetectionStatus.DETECTED)
    if site_id is not None:
        query = query.join(Capture).where(Capture.site_id == site_id)
    return list(session.scalars(query.order_by(Detection.id)))


@dataclass(frozen=True)
class DetectionRow:
    """A detection as listed to a person or a script."""

    id: int
    work: str
    site: str
    url: str
    signal: str
    score: float
    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    speed: float
    pitch_shift: float | None
    status: str


def list_detections(
    session: Session, *, status: DetectionStatus | None = None
) -> list[DetectionRow]:
    """Detections, newest first, optionally of one status."""
    query = (
        select(Detection, Capture, Site)
        .join(Capture, Detection.capture_id == Capture.id)
        .join(Site, Capture.site_id == Site.id)
        .order_by(Detection.id.desc())
    )
    if status is not None:
        query = query.where(Detection.status == status)
    return [
        DetectionRow(
            id=d.id,
            work=d.work.title,
            site=s.name,
            url=c.media_url or c.page_url,
            signal=d.signal,
            score=d.score,
            query_start=d.query_start,
            query_end=d.query_end,
            ref_start=d.ref_start,
            ref_end=d.ref_end,
            speed=d.speed,
            pitch_shift=d.pitch_shift,
            status=d.status.value,
        )
        for d, c, s in session.execute(query).all()
    ]
