"""Takedown notices carrying what the law asks of them.

A notice names the rights holder (name, contact, address), the works, the infringing URLs and the
preliminary proof: for each detection, the matched reference, the spans, the score and the sha256
of the captured bytes with their capture time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jianwang.db import utcnow
from jianwang.db.models import (
    Detection,
    DetectionStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
    Site,
    SiteKind,
    WorkKind,
)
from jianwang.errors import UserError
from jianwang.evidence import ledger

DEFAULT_DEADLINE = timedelta(hours=72)
LITERATURE_DEADLINE = timedelta(hours=24)


def _proof(detection: Detection) -> dict[str, Any]:
    capture = detection.capture
    return {
        "detection_id": detection.id,
        "work": detection.work.title,
        "reference": None if detection.asset is None else detection.asset.name,
        "evidence_class": detection.evidence_class,
        "matched_text": detection.matched_text,
        "page_url": capture.page_url,
        "media_url": capture.media_url,
        "captured_at": capture.fetched_at.isoformat(),
        "content_sha256": capture.content_sha256,
        "page_sha256": capture.page_sha256,
        "signal": detection.signal,
        "score": detection.score,
        "capture_span": [detection.query_start, detection.query_end],
        "reference_span": [detection.ref_start, detection.ref_end],
        "speed": detection.speed,
    }


def draft_takedown_notices(
    session: Session, *, site: Site, detections: Sequence[Detection], actor: str
) -> list[Notice]:
    """Draft one takedown notice per rights holder for confirmed detections on ``site``."""
    confirmed = [d for d in detections if d.status is DetectionStatus.CONFIRMED]
    if not confirmed:
        raise UserError(f"no confirmed detections on site {site.name!r} to give notice of")
    by_holder: dict[int, list[Detection]] = defaultdict(list)
    for detection in confirmed:
        by_holder[detection.work.rights_holder_id].append(detection)
    notices = []
    for group in by_holder.values():
        holder = group[0].work.rights_holder
        literature = site.kind is SiteKind.LITERATURE or all(
            d.work.kind is WorkKind.LITERATURE for d in group
        )
        deadline = LITERATURE_DEADLINE if literature else DEFAULT_DEADLINE
        urls = sorted(
            {d.capture.page_url for d in group}
            | {d.capture.media_url for d in group if d.capture.media_url}
        )
        content = {
            "kind": NoticeKind.TAKEDOWN.value,
            "to": {"site": site.name, "operator": site.operator, "domains": list(site.domains)},
            "rights_holder": {
                "name": holder.name,
                "contact": holder.contact,
                "address": holder.address,
            },
            "works": sorted({d.work.title for d in group}),
            "infringing_urls": urls,
            "proof": [_proof(d) for d in group],
            "demand": "Remove the listed content and disable access to it within "
            f"{int(deadline.total_seconds() // 3600)} hours of receipt.",
        }
        notice = Notice(
            kind=NoticeKind.TAKEDOWN,
            site=site,
            recipient=site.operator or site.name,
            rights_holder_id=holder.id,
            content=content,
            status=NoticeStatus.DRAFT,
            deadline_at=utcnow() + deadline,
            detections=list(group),
        )
        session.add(notice)
        session.flush()
        ledger.append(
            session,
            kind="notice",
            subject=f"notice:{notice.id}",
            payload={"status": NoticeStatus.DRAFT.value, "actor": actor, **content},
        )
        notices.append(notice)
    return notices


def list_notices(session: Session) -> list[Notice]:
    """Every notice, newest first."""
    return list(session.scalars(select(Notice).order_by(Notice.id.desc())))
