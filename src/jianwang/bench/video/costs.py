"""The signal's costs: fingerprinting speed at 1080p and 480p, and lookup time at scale.

Speed is measured on H.264 clips made here from corpus clips of at least 24 fps, played one
after another and upscaled to 25 fps 1920x1080 and 854x480, so the figure is about the picture
size and not about the corpus's small clips (synthetic video where no clip is fast enough). Two
figures: seconds of video per CPU second in this process (every thread, decoding included), and
what ``SPEED_PROCESSES`` processes fingerprinting at once get through per wall-clock second (the
issue's target is for two cores; fingerprinting several references or captures at once is how a
deployment uses them).

Lookup time is measured on indexes of the signal's own type filled with random codes (the
smallest of at least a million frames, then twice and four times as many) and extrapolated to the
target's 15 million frames along the least-squares line through those points: a scanning
index costs time in proportion to the frames stored, a multi-index a fixed probe cost plus
candidates in proportion to them. The proportional figure from the largest index alone (no fixed
cost: an upper bound) is reported beside it. Random codes spread evenly over the buckets; real
frame hashes cluster, so a real index of that size may return more candidates.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jianwang.bench.corpus import Track
from jianwang.bench.report import Stopwatch
from jianwang.bench.video.conditions import LOOKUP_AT_FRAMES
from jianwang.errors import MediaError
from jianwang.index.base import Index
from jianwang.index.binaryindex import BinaryIndex
from jianwang.media import picture
from jianwang.media.encode import write_video
from jianwang.media.probe import probe
from jianwang.media.synth import synth_video_frames
from jianwang.media.transform import Transform, retimed_frames
from jianwang.signals.base import Fingerprint, SignalType, TemporalPolicy

log = logging.getLogger(__name__)

SPEED_SIZES: dict[str, tuple[int, int]] = {"1080p": (1920, 1080), "480p": (854, 480)}
SPEED_FPS = 25.0
MIN_SOURCE_FPS = 24.0
_SPEED_SYNTH_SEED = 4242
SPEED_PROCESSES = 2
"""Processes fingerprinting the speed clip at once for the throughput figure."""
_LOOKUP_ITEM_FRAMES = 10_000  # random "references" of this many frames fill the lookup index
_LOOKUP_MIN_CPU_S = 0.5  # searches are repeated until they took at least this long
LOOKUP_SCALES = (1, 2, 4)
"""Lookup indexes hold this many times the settings' ``lookup_frames``."""


@dataclass(frozen=True)
class SpeedCost:
    """Fingerprinting one clip made at ``width`` x ``height``: video seconds and CPU seconds in
    one process, and wall seconds for ``processes`` processes fingerprinting it at once."""

    label: str
    source: str
    width: int
    height: int
    fps: float
    video_s: float
    file_bytes: int
    frames_hashed: int
    cpu_s: float
    wall_s: float
    processes: int = 1
    processes_wall_s: float | None = None

    @property
    def x_realtime_per_cpu_s(self) -> float:
        """Video seconds per CPU second in one process."""
        return self.video_s / self.cpu_s if self.cpu_s > 0 else math.inf

    @property
    def x_realtime(self) -> float:
        """Video seconds per wall second with ``processes`` processes at work (per CPU second
        where that was not measured)."""
        if not self.processes_wall_s:
            return self.x_realtime_per_cpu_s
        return self.processes * self.video_s / self.processes_wall_s


@dataclass(frozen=True)
class LookupPoint:
    """Searches of one query in an index of ``index_frames`` random frames."""

    index_frames: int
    searches: int
    cpu_s: float
    wall_s: float
    candidates: int

    def ms_per_frame(self, query_frames: int) -> float:
        return 1000 * self.cpu_s / max(1, self.searches * query_frames)


@dataclass(frozen=True)
class LookupCost:
    """Index search time per query frame, measured on several index sizes and extrapolated."""

    query_frames: int
    query_codes: int
    points: tuple[LookupPoint, ...]
    extrapolated_to: int = LOOKUP_AT_FRAMES

    @property
    def index_frames(self) -> int:
        """Frames in the largest index measured."""
        return max(p.index_frames for p in self.points)

    def measured(self) -> list[tuple[int, float]]:
        """``(index frames, ms per query frame)`` per index measured."""
        return [(p.index_frames, p.ms_per_frame(self.query_frames)) for p in self.points]

    @property
    def proportional_ms_per_frame(self) -> float:
        """The largest index's figure scaled by ``extrapolated_to / index_frames``."""
        frames, ms = max(self.measured())
        return ms * self.extrapolated_to / frames

    @property
    def ms_per_frame(self) -> float:
        """At ``extrapolated_to`` frames, on the least-squares line through the measurements
        (proportional from a single one; the largest measurement if the line falls)."""
        points = self.measured()
        if len(points) < 2:
            return self.proportional_ms_per_frame
        frames, ms = np.asarray(points, dtype=np.float64).T
        slope, intercept = np.polyfit(frames, ms, 1)
        if slope <= 0:
            return float(max(ms))
        return float(intercept + slope * self.extrapolated_to)


def speed_sources(clips: Sequence[Track], *, min_fps: float = MIN_SOURCE_FPS) -> list[Track]:
    """Clips to make the speed clips from: those with a native rate of at least ``min_fps``
    (every output frame is a new picture, as in real video; re-timing a 10 fps clip to 25 fps
    would repeat frames, which cost a decoder almost nothing), largest picture first."""
    found: list[tuple[int, str, Track]] = []
    for clip in clips:
        try:
            info = probe(clip.path)
        except MediaError:
            continue
        if (info.fps or 0.0) >= min_fps and info.width and info.height:
            found.append((info.width * info.height, clip.file, clip))
    found.sort(key=lambda f: (-f[0], f[1]))
    return [f[2] for f in found]


def _upscaled(
    clips: Sequence[Track], seconds: float, size: tuple[int, int], used: list[str]
) -> Iterator[np.ndarray]:
    """``seconds`` of ``clips`` played one after another at ``SPEED_FPS``, fitted into ``size``
    (the last clip cut short; fewer seconds if they run out), or of synthetic video if there
    are no clips. The names of the sources shown are appended to ``used``."""
    width, height = size
    frames = round(seconds * SPEED_FPS)
    if not clips:
        used.append(f"synthetic:{_SPEED_SYNTH_SEED}")
        yield from synth_video_frames(_SPEED_SYNTH_SEED, seconds, fps=SPEED_FPS, size=size)
    for clip in clips:
        if frames <= 0:
            return
        used.append(clip.file)
        for image in retimed_frames(clip.path, Transform(), fps=SPEED_FPS):
            if frames <= 0:
                return
            frames -= 1
            yield picture.fit_into(image, width, height)


def measure_speed(
    signal: SignalType, clips: Sequence[Track], folder: Path, seconds: float
) -> tuple[list[SpeedCost], Fingerprint | None]:
    """Fingerprint ``seconds`` of ``clips``, upscaled to each of ``SPEED_SIZES``, timed.

    Returns the costs and the last clip's fingerprint (a real query for the lookup test).
    """
    costs: list[SpeedCost] = []
    last: Fingerprint | None = None
    for label, size in SPEED_SIZES.items():
        path = folder / f"speed-{label}.mp4"
        used: list[str] = []
        write_video(path, _upscaled(clips, seconds, size, used), SPEED_FPS)
        source = " + ".join(used)
        try:
            with Stopwatch() as watch:
                fp = signal.fingerprint(path)
            costs.append(
                SpeedCost(
                    label,
                    source,
                    size[0],
                    size[1],
                    SPEED_FPS,
                    fp.length,
                    path.stat().st_size,
                    int(fp.codes.size),
                    watch.cpu_s,
                    watch.wall_s,
                    SPEED_PROCESSES,
                    _wall_s_in_processes(signal, path, SPEED_PROCESSES),
                )
            )
            last = fp
        finally:
            path.unlink(missing_ok=True)
        log.info("%s: %.1f s of video in %.2f CPU s", label, costs[-1].video_s, costs[-1].cpu_s)
    return costs, last


def _warm() -> None:
    """Worker start-up: import the decoder and signal modules before anything is timed."""
    import jianwang.media.video
    import jianwang.signals.registry  # noqa: F401


def _ready(_: int) -> int:
    time.sleep(0.2)  # long enough that every worker takes one and is up before timing starts
    return os.getpid()


def _fingerprint_seconds(signal: SignalType, path: Path) -> float:
    return signal.fingerprint(path).length


def _wall_s_in_processes(signal: SignalType, path: Path, processes: int) -> float:
    """Wall seconds for ``processes`` spawned processes to fingerprint ``path`` each, at once."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes, initializer=_warm) as pool:
        pool.map(_ready, range(processes), chunksize=1)
        start = time.perf_counter()
        pool.starmap(_fingerprint_seconds, [(signal, path)] * processes, chunksize=1)
        return time.perf_counter() - start


def random_index(signal: SignalType, frames: int, seed: int) -> Index:
    """An index of ``signal``'s type holding ``frames`` random 64-bit codes, 2 per second, in
    items of ``_LOOKUP_ITEM_FRAMES`` frames."""
    index = signal.new_index()
    rng = np.random.default_rng([seed, 3])
    for item, begin in enumerate(range(0, frames, _LOOKUP_ITEM_FRAMES)):
        n = min(_LOOKUP_ITEM_FRAMES, frames - begin)
        codes = rng.integers(0, 2**64, size=n, dtype=np.uint64)
        index.add(item, codes, np.arange(n, dtype=np.float32) / 2)
    return index


def measure_lookup(
    signal: SignalType,
    query: Fingerprint,
    frames: int,
    seed: int,
    *,
    scales: Sequence[int] = LOOKUP_SCALES,
) -> LookupCost:
    """Time the index search of ``query``'s codes (both orientations, as ``match`` looks them
    up) in indexes of ``frames`` times each of ``scales`` random codes, each search repeated
    until ``_LOOKUP_MIN_CPU_S``."""
    policy = signal.match_policy()
    codes, _ = signal.query_codes(query)
    points: list[LookupPoint] = []
    for scale in scales:
        index = random_index(signal, frames * scale, seed)
        if not isinstance(index, BinaryIndex) or not isinstance(policy, TemporalPolicy):
            raise TypeError(f"{signal.name}: the lookup test needs a binary index and policy")
        index.search(codes[:1], policy.max_distance)  # build the search tables before timing
        searches, candidates = 0, 0
        cpu0, wall0 = time.process_time(), time.perf_counter()
        while searches == 0 or time.process_time() - cpu0 < _LOOKUP_MIN_CPU_S:
            found = index.search(codes, policy.max_distance, max_per_query=policy.max_neighbours)
            candidates = int(found[0].size)
            searches += 1
        cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
        points.append(LookupPoint(len(index), searches, cpu_s, wall_s, candidates))
        del index
    return LookupCost(int(query.codes.size), int(codes.size), tuple(points))
