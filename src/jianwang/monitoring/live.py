"""Follow a live HLS stream and hand its most recent stretch to a caller as it arrives.

A live playlist lists only the last few segments and moves on; a crawler that fetched it once
would see a few seconds of the broadcast. :func:`follow_live` instead polls the playlist about
twice per target duration, fetches each segment once (by media sequence number, so a segment
listed on several polls is fetched once), and keeps a sliding window of the newest
``window_s`` seconds. Every time new segments arrive the window is written to a ``.ts`` file
and given to ``on_window``: matching runs on each window while the broadcast goes on, which is
what bounds the time from a protected programme starting to its detection.

Every request goes through the guarded :class:`~jianwang.monitoring.fetch.Fetcher`. A
discontinuity (a new programme, an inserted advert) restarts the window, since timestamps on
either side do not belong to one stream. Errors on one poll are logged and retried with
backoff; several in a row end the watch with the reason.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from jianwang.errors import FetchError
from jianwang.monitoring.fetch import Fetcher, FetchResult
from jianwang.monitoring.hls import load_playlist, media_playlist_url

logger = logging.getLogger(__name__)

MAX_SEGMENT_BYTES = 50_000_000
MAX_FAILURES = 5
MIN_POLL_S = 0.25
MAX_POLL_S = 5.0


@dataclass(frozen=True)
class LiveWindow:
    """The newest stretch of a live stream, written to ``path`` (a temporary file: copy it to
    keep it, it is deleted once ``on_window`` returns)."""

    path: Path
    stream_url: str
    stream_start_s: float  # seconds of stream received before the window begins
    duration_s: float
    first_sequence: int
    last_sequence: int
    fetched_at: datetime  # when the newest segment arrived
    playlist: FetchResult  # the playlist response that listed the newest segment


@dataclass
class LiveReport:
    """What a watch did."""

    url: str
    segments: int = 0
    bytes: int = 0
    windows: int = 0
    stream_s: float = 0.0
    ended: bool = False  # the playlist said #EXT-X-ENDLIST
    gaps: int = 0  # times segments were missed (the playlist moved on faster than we polled)
    errors: list[str] = field(default_factory=list)


@dataclass
class _Segment:
    sequence: int
    duration_s: float
    data: bytes
    stream_start_s: float


class _Follower:
    """State of one watch; lives only inside :func:`follow_live`."""

    def __init__(self, fetcher: Fetcher, url: str, window_s: float) -> None:
        self.fetcher = fetcher
        self.url = url
        self.media_url: str | None = None
        self.window_s = window_s
        self.last_sequence: int | None = None
        self.buffer: deque[_Segment] = deque()
        self.report = LiveReport(url=url)
        self.target_s = 2.0

    def playlist(self) -> tuple[FetchResult, Any]:
        if self.media_url is None:
            self.media_url = media_playlist_url(self.fetcher, self.url)
        page = self.fetcher.fetch_page(self.media_url)
        parsed = load_playlist(page)
        if parsed.is_variant:
            raise FetchError(f"{page.final_url}: variant playlist is itself a master playlist")
        for key in parsed.keys or []:
            if key is not None and (key.method or "NONE").upper() != "NONE":
                raise FetchError(f"{page.final_url}: encrypted HLS ({key.method}) is not captured")
        if parsed.target_duration:
            self.target_s = float(parsed.target_duration)
        return page, parsed

    def new_segments(self, parsed: Any) -> list[tuple[int, Any]]:
        """The listed segments not fetched yet, with their sequence numbers; on the first poll
        only the live edge (about one window), not the whole listed past."""
        first = int(parsed.media_sequence or 0)
        listed = [(first + i, seg) for i, seg in enumerate(parsed.segments)]
        if self.last_sequence is None:
            edge: list[tuple[int, Any]] = []
            total = 0.0
            for sequence, segment in reversed(listed):
                if total >= self.window_s:
                    break
                edge.insert(0, (sequence, segment))
                total += float(segment.duration or 0.0)
            return edge
        fresh = [(seq, seg) for seq, seg in listed if seq > self.last_sequence]
        if fresh and fresh[0][0] > self.last_sequence + 1:
            self.report.gaps += 1
            logger.warning(
                "live %s: segments %d-%d were gone before they could be fetched",
                self.url,
                self.last_sequence + 1,
                fresh[0][0] - 1,
            )
            self.buffer.clear()
        return fresh

    def fetch(self, sequence: int, segment: Any) -> None:
        limit_s = max(self.fetcher.settings.fetch_timeout_s, 3 * self.target_s)
        with self.fetcher.open(segment.absolute_uri, time_limit_s=limit_s) as opened:
            data = b"".join(opened.iter_chunks(max_bytes=MAX_SEGMENT_BYTES))
        if segment.discontinuity:
            self.buffer.clear()  # timestamps restart: a new programme or an inserted break
        duration = float(segment.duration or self.target_s)
        self.buffer.append(_Segment(sequence, duration, data, self.report.stream_s))
        self.report.stream_s += duration
        self.report.segments += 1
        self.report.bytes += len(data)
        self.last_sequence = sequence
        while len(self.buffer) > 1 and self.buffered_s() - self.buffer[0].duration_s >= (
            self.window_s
        ):
            self.buffer.popleft()

    def buffered_s(self) -> float:
        return sum(segment.duration_s for segment in self.buffer)

    def window(self, work_dir: Path, page: FetchResult) -> LiveWindow:
        fd, name = tempfile.mkstemp(dir=work_dir, prefix=".live-", suffix=".ts")
        with open(fd, "wb") as out:
            for segment in self.buffer:
                out.write(segment.data)
        return LiveWindow(
            path=Path(name),
            stream_url=self.url,
            stream_start_s=self.buffer[0].stream_start_s,
            duration_s=self.buffered_s(),
            first_sequence=self.buffer[0].sequence,
            last_sequence=self.buffer[-1].sequence,
            fetched_at=datetime.now(page.fetched_at.tzinfo),
            playlist=page,
        )


def follow_live(
    fetcher: Fetcher,
    url: str,
    work_dir: Path,
    *,
    on_window: Callable[[LiveWindow], None],
    window_s: float = 12.0,
    min_window_s: float = 4.0,
    stopping: Callable[[], bool] | None = None,
    max_duration_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> LiveReport:
    """Watch the live stream at ``url`` until it ends, ``stopping()`` says so, or
    ``max_duration_s`` of wall time pass; call ``on_window`` with the newest ``window_s``
    seconds each time new segments arrive (once at least ``min_window_s`` are buffered).

    Exceptions raised by ``on_window`` are the caller's and propagate."""
    work_dir.mkdir(parents=True, exist_ok=True)
    follower = _Follower(fetcher, url, window_s)
    started = time.monotonic()
    failures = 0
    while True:
        if stopping is not None and stopping():
            logger.info("live %s: stopped on request", url)
            break
        if max_duration_s is not None and time.monotonic() - started >= max_duration_s:
            logger.info("live %s: watched for %.0f s, stopping", url, max_duration_s)
            break
        try:
            page, parsed = follower.playlist()
            fresh = follower.new_segments(parsed)
            for sequence, segment in fresh:
                follower.fetch(sequence, segment)
            failures = 0
        except FetchError as exc:
            failures += 1
            follower.report.errors.append(str(exc))
            logger.warning("live %s: %s (failure %d of %d)", url, exc, failures, MAX_FAILURES)
            if failures >= MAX_FAILURES:
                break
            sleep(min(MAX_POLL_S, follower.target_s * failures))
            continue
        if fresh and follower.buffered_s() >= min(min_window_s, window_s):
            window = follower.window(work_dir, page)
            follower.report.windows += 1
            try:
                on_window(window)
            finally:
                window.path.unlink(missing_ok=True)
        if parsed.is_endlist:
            follower.report.ended = True
            logger.info("live %s: the stream ended", url)
            break
        if not fresh:
            sleep(min(MAX_POLL_S, max(MIN_POLL_S, follower.target_s / 2)))
    return follower.report
