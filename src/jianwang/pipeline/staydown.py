"""Staydown checks of captures: is what was found (and noticed) still served, and still a copy?

Each capture's URL is fetched again (``jianwang.monitoring.staydown.recheck``). When other bytes
are served there now, they are identified against the protection list: the item is still
``present`` if a work detected in the capture matches again, and ``replaced`` otherwise. Every
check is appended to the evidence ledger, so a notice's follow-up can show when the content was
seen gone or still up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog.indexes import IndexSet, open_indexes
from jianwang.config import Settings
from jianwang.db import transaction, utcnow
from jianwang.db.models import (
    AssetKind,
    Capture,
    Detection,
    LedgerEntry,
    Notice,
    NoticeKind,
    NoticeStatus,
)
from jianwang.db.models.enforcement import notice_detections
from jianwang.detections.identify import identify_file
from jianwang.enforcement.notices import follow_up
from jianwang.errors import MediaError, NotFoundError
from jianwang.evidence import ledger
from jianwang.media.limits import DecodeLimits
from jianwang.monitoring.fetch import Fetcher
from jianwang.monitoring.staydown import recheck
from jianwang.signals.registry import SignalRegistry

log = logging.getLogger(__name__)

Verdict = Literal["gone", "present", "replaced", "unreachable"]


@dataclass(frozen=True)
class CaptureRecheck:
    """The staydown verdict on one capture, and what supports it."""

    capture_id: int
    url: str
    verdict: Verdict
    http_status: int | None
    sha256: str | None
    works_still_matched: tuple[str, ...]
    reason: str


STAYDOWN_EVERY = timedelta(hours=24)
"""How often a noticed capture is fetched again once its notice's deadline has passed."""


def due_rechecks(
    session: Session, *, now: datetime, every: timedelta = STAYDOWN_EVERY
) -> list[int]:
    """Captures to check again now: those under a takedown notice that was sent (or found not
    complied with) and whose deadline has passed, not checked in the last ``every``. They are
    checked on after they are seen gone, since staying down is the point."""
    rows = session.execute(
        select(Detection.capture_id)
        .join(notice_detections, notice_detections.c.detection_id == Detection.id)
        .join(Notice, Notice.id == notice_detections.c.notice_id)
        .where(
            Notice.kind == NoticeKind.TAKEDOWN,
            Notice.status.in_([NoticeStatus.SENT, NoticeStatus.NON_COMPLIANT]),
            (Notice.deadline_at.is_(None)) | (Notice.deadline_at <= now),
        )
        .distinct()
    ).all()
    due = []
    for (capture_id,) in sorted(rows):
        last = session.scalar(
            select(LedgerEntry.recorded_at)
            .where(LedgerEntry.kind == "recheck", LedgerEntry.subject == f"capture:{capture_id}")
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        )
        if last is None or now - last >= every:
            due.append(capture_id)
    return due


def run_due_rechecks(
    factory: sessionmaker[Session],
    *,
    settings: Settings,
    registry: SignalRegistry,
    limits: DecodeLimits,
    indexes: IndexSet | None = None,
    now: datetime | None = None,
) -> list[CaptureRecheck]:
    """The staydown checks due now (see :func:`due_rechecks`), each recorded in the ledger."""
    with transaction(factory) as session:
        due = due_rechecks(session, now=now or utcnow())
    if not due:
        return []
    log.info("staydown: %d noticed capture(s) due for a check", len(due))
    return recheck_captures(
        factory, due, settings=settings, registry=registry, limits=limits, indexes=indexes, now=now
    )


def recheck_captures(
    factory: sessionmaker[Session],
    capture_ids: list[int],
    *,
    settings: Settings,
    registry: SignalRegistry,
    limits: DecodeLimits,
    indexes: IndexSet | None = None,
    now: datetime | None = None,
) -> list[CaptureRecheck]:
    """Re-check each capture (``NotFoundError`` for an unknown id, before anything is fetched)
    and record each verdict in the ledger; then follow up the sent notices of those captures
    whose deadline has passed at ``now`` (see :func:`follow_up_notices`)."""
    with transaction(factory) as session:
        targets = []
        for capture_id in capture_ids:
            capture = session.get(Capture, capture_id)
            if capture is None:
                raise NotFoundError(f"no capture with id {capture_id}")
            detected = session.scalars(
                select(Detection.work_id).where(Detection.capture_id == capture_id)
            ).all()
            url = capture.media_url or capture.page_url
            targets.append(
                (capture_id, url, capture.media_url is None, capture.content_sha256, set(detected))
            )
        if indexes is None:
            indexes = open_indexes(session, settings.index_dir, registry)
    results: list[CaptureRecheck] = []
    with Fetcher(settings) as fetcher:
        for capture_id, url, page, sha256, works in targets:
            found = recheck(
                fetcher, url, expected_sha256=sha256, dest_dir=Path(settings.content_dir), page=page
            )
            verdict: Verdict
            still: tuple[str, ...] = ()
            if found.outcome == "same":
                verdict = "present"
            elif found.outcome == "changed" and found.path is not None:
                still = _still_matched(found.path, works, page, factory, indexes, registry, limits)
                verdict = "present" if still else "replaced"
            else:
                verdict = "gone" if found.outcome == "gone" else "unreachable"
            result = CaptureRecheck(
                capture_id, url, verdict, found.http_status, found.sha256, still, found.reason
            )
            with transaction(factory) as session:
                ledger.append(
                    session,
                    kind="recheck",
                    subject=f"capture:{capture_id}",
                    payload={
                        "url": url,
                        "verdict": verdict,
                        "checked_at": found.checked_at.isoformat(),
                        "http_status": found.http_status,
                        "sha256": found.sha256,
                        "works_still_matched": list(still),
                        "reason": found.reason,
                    },
                )
            log.info("staydown capture %d (%s): %s", capture_id, url, verdict)
            results.append(result)
    follow_up_notices(factory, results, now=now or utcnow())
    return results


def follow_up_notices(
    factory: sessionmaker[Session], results: list[CaptureRecheck], *, now: datetime
) -> dict[int, NoticeStatus]:
    """Decide the sent takedown notices of the rechecked captures whose deadline has passed:
    removed (all gone) or not complied with (any still present); see ``notices.follow_up``."""
    verdicts = {r.capture_id: r.verdict for r in results}
    decided: dict[int, NoticeStatus] = {}
    if not verdicts:
        return decided
    with transaction(factory) as session:
        notice_ids = session.scalars(
            select(Notice.id)
            .join(notice_detections, notice_detections.c.notice_id == Notice.id)
            .join(Detection, Detection.id == notice_detections.c.detection_id)
            .where(
                Detection.capture_id.in_(verdicts),
                Notice.kind == NoticeKind.TAKEDOWN,
                Notice.status == NoticeStatus.SENT,
                Notice.deadline_at <= now,
            )
            .distinct()
            .order_by(Notice.id)
        ).all()
        for notice_id in notice_ids:
            notice = session.get(Notice, notice_id)
            assert notice is not None
            status = follow_up(session, notice=notice, verdicts=verdicts, now=now)
            if status is not None:
                decided[notice.id] = status
    return decided


def _still_matched(
    path: Path,
    works: set[int],
    page: bool,
    factory: sessionmaker[Session],
    indexes: IndexSet,
    registry: SignalRegistry,
    limits: DecodeLimits,
) -> tuple[str, ...]:
    """Titles of the capture's detected works that the bytes now served still copy."""
    with transaction(factory) as session:
        try:
            views = identify_file(
                path,
                session=session,
                indexes=indexes,
                registry=registry,
                limits=limits,
                kind=AssetKind.TEXT if page else None,
            )
        except MediaError as exc:
            log.info("staydown: %s does not decode (%s): not a copy", path, exc)
            return ()
    return tuple(sorted({v.work for v in views if v.work_id in works}))
