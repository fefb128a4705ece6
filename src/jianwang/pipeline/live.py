"""Watch a site's live stream and record a detection as soon as a protected work is on air.

Each window the follower hands over (the newest ~12 s of the broadcast) is matched against the
protection list at once. A window that matches nothing is dropped; one that matches is kept as
a capture (its stream position in ``source_spans``) with its detections and ledger entries, in
its own transaction. While a work stays on air it is recorded again only every
``repeat_after_s`` seconds of stream, so an hour-long match leaves a trail of evidence rather
than hundreds of copies.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from jianwang.catalog.indexes import IndexSet, open_indexes
from jianwang.config import Settings
from jianwang.content import ContentStore
from jianwang.db import transaction, utcnow
from jianwang.db.models import AssetKind, Site
from jianwang.detections.identify import MatchView, identify_file
from jianwang.detections.review import ReviewPolicy, triage
from jianwang.detections.service import detect_capture
from jianwang.errors import JianwangError, UserError
from jianwang.media.limits import DecodeLimits
from jianwang.monitoring.crawler import CapturedItem
from jianwang.monitoring.fetch import Fetcher
from jianwang.monitoring.hls import TS_CONTENT_TYPE
from jianwang.monitoring.live import LiveReport, LiveWindow, follow_live
from jianwang.pipeline.sweep import fetch_settings_for, monitored_site, record_capture
from jianwang.signals.registry import SignalRegistry

log = logging.getLogger(__name__)

REPEAT_AFTER_S = 300.0
RETRY_S = 60.0


@dataclass(frozen=True)
class LiveDetection:
    """A protected work seen on air: when it was recorded and where in the stream."""

    work_id: int
    work: str
    capture_id: int
    detection_ids: tuple[int, ...]
    recorded_at: datetime
    stream_start_s: float
    stream_end_s: float
    score: float


@dataclass
class LiveWatchResult:
    """What one watch of a live stream did."""

    site: str
    url: str
    report: LiveReport
    windows_matched: int = 0
    window_errors: int = 0
    detections: list[LiveDetection] = field(default_factory=list)


def _item(window: LiveWindow, stored: Path, sha256: str, size: int, page_url: str) -> CapturedItem:
    page = window.playlist
    return CapturedItem(
        kind="video",
        page_url=page_url,
        media_url=window.stream_url,
        path=stored,
        sha256=sha256,
        size=size,
        content_type=TS_CONTENT_TYPE,
        page_sha256=page.sha256,
        page_title="",
        http_status=page.status,
        fetched_at=window.fetched_at,
        final_url=page.final_url,
        redirect_chain=page.redirect_chain,
        resolved_ip=page.resolved_ip,
        response_headers=page.headers,
        source_spans=((0.0, window.stream_start_s, window.duration_s),),
    )


def watch_live(
    factory: sessionmaker[Session],
    *,
    site_id: int,
    url: str,
    settings: Settings,
    registry: SignalRegistry,
    limits: DecodeLimits,
    page_url: str | None = None,
    indexes: IndexSet | None = None,
    window_s: float = 12.0,
    repeat_after_s: float = REPEAT_AFTER_S,
    stopping: Callable[[], bool] | None = None,
    max_duration_s: float | None = None,
    on_detection: Callable[[LiveDetection], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> LiveWatchResult:
    """Follow the live stream ``url`` of a site and match it as it arrives (see the module).

    ``sleep`` waits between playlist polls (tests pass a simulated clock's)."""
    with transaction(factory) as session:
        site = monitored_site(session, site_id)
        name = site.name
        fetch_settings = fetch_settings_for(site, settings)
        if indexes is None:
            indexes = open_indexes(session, settings.index_dir, registry)
    active = indexes
    store = ContentStore(Path(settings.content_dir))
    last_recorded: dict[int, float] = {}  # work id -> stream position of its last record
    review = ReviewPolicy.from_settings(settings)
    result = LiveWatchResult(site=name, url=url, report=LiveReport(url=url))

    def matches(window: LiveWindow) -> list[MatchView]:
        with transaction(factory) as session:
            return identify_file(
                window.path,
                session=session,
                indexes=active,
                registry=registry,
                limits=limits,
                kind=AssetKind.VIDEO,
            )

    def on_window(window: LiveWindow) -> None:
        try:
            views = matches(window)
        except JianwangError as exc:
            result.window_errors += 1
            log.warning("live %s: window at %.0f s unreadable: %s", url, window.stream_start_s, exc)
            return
        if not views:
            return
        result.windows_matched += 1
        due = [
            view
            for view in views
            if view.work_id not in last_recorded
            or window.stream_start_s - last_recorded[view.work_id] >= repeat_after_s
        ]
        if not due:
            return
        stored = store.put_file(window.path)
        item = _item(window, stored.path, stored.sha256, stored.size, page_url or url)
        with transaction(factory) as session:
            site_row = session.get(Site, site_id)
            assert site_row is not None
            capture, _ = record_capture(session, site=site_row, item=item, store=store)
            outcome = detect_capture(
                session,
                capture=capture,
                indexes=active,
                registry=registry,
                limits=limits,
                views=views,
                content_dir=Path(settings.content_dir),
            )
            triage(session, detections=outcome.detections, policy=review)
            found = [
                LiveDetection(
                    work_id=work_id,
                    work=next(v.work for v in views if v.work_id == work_id),
                    capture_id=capture.id,
                    detection_ids=tuple(d.id for d in outcome.detections if d.work_id == work_id),
                    recorded_at=utcnow(),
                    stream_start_s=window.stream_start_s,
                    stream_end_s=window.stream_start_s + window.duration_s,
                    score=max(v.score for v in views if v.work_id == work_id),
                )
                for work_id in dict.fromkeys(view.work_id for view in due)
            ]
        for event in found:
            last_recorded[event.work_id] = window.stream_start_s
            result.detections.append(event)
            log.info(
                "live %s: %s on air at %.0f-%.0f s of the stream (capture %d)",
                url,
                event.work,
                event.stream_start_s,
                event.stream_end_s,
                event.capture_id,
            )
            if on_detection is not None:
                on_detection(event)

    work_dir = Path(settings.content_dir) / ".live"
    with Fetcher(fetch_settings) as fetcher:
        result.report = follow_live(
            fetcher,
            url,
            work_dir,
            on_window=on_window,
            window_s=window_s,
            stopping=stopping,
            max_duration_s=max_duration_s,
            sleep=sleep,
        )
    return result


def waiter(stop: threading.Event) -> Callable[[float], None]:
    """A sleep between polls that a stop request cuts short."""

    def wait(seconds: float) -> None:
        stop.wait(seconds)

    return wait


def keep_watching(
    factory: sessionmaker[Session],
    *,
    site_id: int,
    url: str,
    stop: threading.Event,
    retry_s: float = RETRY_S,
    **options: Any,
) -> int:
    """Watch ``url`` until ``stop`` is set, starting again ``retry_s`` after the stream ends or
    fails (a channel off air comes back); returns the detections recorded. ``options`` go to
    :func:`watch_live`. A site that cannot be watched at all (unknown, shut down) is logged and
    given up."""
    found = 0
    while not stop.is_set():
        try:
            result = watch_live(
                factory,
                site_id=site_id,
                url=url,
                stopping=stop.is_set,
                sleep=waiter(stop),
                **options,
            )
        except UserError as exc:
            log.error("live %s: %s; not watching it", url, exc)
            return found
        found += len(result.detections)
        if not stop.is_set():
            log.info("live %s: stream ended or failed; trying again in %.0f s", url, retry_s)
            stop.wait(retry_s)
    return found
