"""A live HLS channel for the sandbox: programmes played one after another on a wall clock.

Each programme is cut into short MPEG-TS segments once (see :mod:`jianwang.sandbox.hls`); the
channel then plays them back to back from ``started_at``. A segment exists only once the
broadcast has reached its end, and the playlist lists the last few of them with a moving
``#EXT-X-MEDIA-SEQUENCE`` and no ``#EXT-X-ENDLIST``, as a live encoder's packager does. Where
one programme gives way to the next the timestamps restart, so that segment carries
``#EXT-X-DISCONTINUITY``. Because the schedule is known, a benchmark can say exactly when a
protected programme began on the stream.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import m3u8

from jianwang.sandbox.hls import segment_to_hls
from jianwang.sandbox.server import Dynamic, Resource, Routes

HLS_TYPE = "application/vnd.apple.mpegurl"
TS_TYPE = "video/mp2t"
_NO_CACHE = {"Cache-Control": "no-cache"}


@dataclass(frozen=True)
class LiveSegment:
    """One segment of the channel: its file, length, and whether a new programme starts here."""

    path: Path
    duration_s: float
    discontinuity: bool


@dataclass
class LiveChannel:
    """Segments played in order from ``started_at`` (a ``clock()`` value), then the end.

    ``window`` segments are listed at a time. After the last segment the playlist gains
    ``#EXT-X-ENDLIST``: the broadcast is over.
    """

    segments: Sequence[LiveSegment]
    window: int = 5
    clock: Callable[[], float] = time.time
    started_at: float = field(default=0.0)
    _ends: list[float] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if not self.segments:
            raise ValueError("a live channel needs at least one segment")
        total = 0.0
        for segment in self.segments:
            total += segment.duration_s
            self._ends.append(total)
        if not self.started_at:
            self.started_at = self.clock()

    def offset_of(self, index: int) -> float:
        """Seconds from the start of the broadcast to the start of segment ``index``."""
        return 0.0 if index == 0 else self._ends[index - 1]

    def available(self) -> int:
        """How many segments the broadcast has finished so far."""
        elapsed = self.clock() - self.started_at
        count = 0
        while count < len(self._ends) and self._ends[count] <= elapsed:
            count += 1
        return count

    def playlist(self) -> bytes:
        """The live media playlist as a player would fetch it now."""
        count = self.available()
        first = max(0, count - self.window)
        target = max(1, math.ceil(max(s.duration_s for s in self.segments)))
        lines = [
            "#EXTM3U",
            "#EXT-X-VERSION:3",
            f"#EXT-X-TARGETDURATION:{target}",
            f"#EXT-X-MEDIA-SEQUENCE:{first}",
        ]
        for index in range(first, count):
            segment = self.segments[index]
            if segment.discontinuity and index > 0:
                lines.append("#EXT-X-DISCONTINUITY")
            lines.append(f"#EXTINF:{segment.duration_s:.3f},")
            lines.append(f"seg{index:06d}.ts")
        if count == len(self.segments):
            lines.append("#EXT-X-ENDLIST")
        return ("\n".join(lines) + "\n").encode("ascii")

    def segment(self, index: int) -> Resource | None:
        """Segment ``index`` once it has been broadcast; ``None`` before (a 404)."""
        if index >= self.available():
            return None
        return Resource(self.segments[index].path, TS_TYPE)

    def routes(self, prefix: str = "/live") -> Routes:
        """The playlist at ``prefix/index.m3u8`` and every segment, as sandbox routes."""
        routes: Routes = {
            f"{prefix}/index.m3u8": Dynamic(
                lambda: Resource(self.playlist(), HLS_TYPE, headers=dict(_NO_CACHE))
            )
        }
        for index in range(len(self.segments)):
            routes[f"{prefix}/seg{index:06d}.ts"] = Dynamic(
                lambda index=index: self.segment(index)  # type: ignore[misc]
            )
        return routes


def programme_segments(src: Path, work_dir: Path, *, segment_s: float = 2.0) -> list[LiveSegment]:
    """Cut one programme into short segments (re-encoded so that key frames fall every
    ``segment_s``); the first segment is marked as the start of a new programme."""
    playlist_path = segment_to_hls(src, work_dir, segment_s=segment_s, reencode=True)
    playlist = m3u8.load(str(playlist_path))
    return [
        LiveSegment(
            path=work_dir / str(segment.uri),
            duration_s=float(segment.duration),
            discontinuity=index == 0,
        )
        for index, segment in enumerate(playlist.segments)
    ]
