"""Making one query file: a pirated copy of a reference under one transform, or a negative.

Frames come from the corpus clip through ``jianwang.media.transform.retimed_frames`` (geometry,
timing), are changed with ``jianwang.media.picture`` (colour, bars, overlays, a filmed screen,
picture in picture) and re-encoded as H.264 with ``jianwang.media.encode.write_video``, as a
pirate's tools would; other video shown around or behind a copy is held-back corpus clips (never
indexed) and then synthetic video. Every random choice comes from the query's seed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import numpy as np

from jianwang.bench.video.plan import VideoQuery
from jianwang.bench.video.settings import VideoBenchSettings
from jianwang.errors import MediaError
from jianwang.media import picture
from jianwang.media.encode import write_video
from jianwang.media.probe import probe
from jianwang.media.synth import synth_video_frames
from jianwang.media.transform import Transform, retimed_frames

log = logging.getLogger(__name__)

REENCODE_BITRATE = 150_000
REENCODE_FPS = 15.0
CAMCORDER_MAX_WIDTH = 640
"""A camcorder copy is filmed in SD: wider references are scaled down to this first."""
_LETTERBOX_ASPECTS = (16 / 9, 2.35)
_EMBED_BOX_ASPECT = 2.35
_FILLER_FPS = 25.0
_ENDLESS_S = 1e6


@dataclass(frozen=True)
class MadeQuery:
    """The query file written, how long it plays, and where the copy sits in it."""

    path: Path
    seconds: float
    span: tuple[float, float] | None
    size: tuple[int, int]


class _Counted:
    """Frames passed through, counted (the copy's true length is what was decoded)."""

    def __init__(self, frames: Iterable[np.ndarray]) -> None:
        self._frames = frames
        self.count = 0
        self.size = (0, 0)

    def __iter__(self) -> Iterator[np.ndarray]:
        for image in self._frames:
            self.count += 1
            self.size = (image.shape[1], image.shape[0])
            yield image


def _source(
    q: VideoQuery,
    fps: float,
    *,
    speed: float = 1.0,
    scale: float = 1.0,
    crop: float = 0.0,
    hflip: bool = False,
) -> Iterator[np.ndarray]:
    """The reference excerpt's frames at ``fps``, with ``Transform`` geometry and speed."""
    if q.path is None:
        raise ValueError(f"{q.file}: a {q.kind} query needs a source clip")
    t = Transform(
        start_s=q.start_s,
        duration_s=q.duration_s,
        speed=speed,
        scale=scale,
        crop=crop,
        hflip=hflip,
    )
    return retimed_frames(q.path, t, fps=fps)


def background(
    clips: Sequence[Path], seed: int, fps: float, size: tuple[int, int]
) -> Iterator[np.ndarray]:
    """Endless unrelated video of ``size``: ``clips`` whole, one after another, fitted into the
    frame, then synthetic video drawn from ``seed``. A clip that fails to decode is passed over."""
    width, height = size
    for clip in clips:
        try:
            for image in retimed_frames(clip, Transform(), fps=fps):
                yield picture.fit_into(image, width, height)
        except MediaError as exc:
            log.warning("%s: not used as background: %s", clip, exc)
    for image in synth_video_frames(seed, _ENDLESS_S, fps=fps, size=(width, height)):
        yield image


def _source_fps(q: VideoQuery, settings: VideoBenchSettings) -> float:
    if q.path is None:
        return _FILLER_FPS
    return min(probe(q.path).fps or 25.0, settings.max_fps)


def _reencode(q: VideoQuery, fps: float) -> Iterator[np.ndarray]:
    for image in _source(q, REENCODE_FPS, scale=0.5):
        yield picture.adjust_colour(image, brightness=0.1)


def _logo_caption(q: VideoQuery, fps: float) -> Iterator[np.ndarray]:
    corner = int(np.random.default_rng(q.seed).integers(4))
    overlay: picture.LogoAndCaption | None = None
    for k, image in enumerate(_source(q, fps)):
        if overlay is None:
            overlay = picture.LogoAndCaption(
                image.shape[1], image.shape[0], seed=q.seed, corner=corner
            )
        yield overlay(image, k / fps)


def letterbox_aspect(width: int, height: int, seed: int) -> float:
    """16:9 or 2.35:1 by ``seed``, but never the picture's own aspect (which would add no bars)."""
    first, second = _LETTERBOX_ASPECTS
    if np.random.default_rng(seed).random() < 0.5:
        first, second = second, first
    return second if abs(width / height - first) < 0.08 * first else first


def _letterbox(q: VideoQuery, fps: float) -> Iterator[np.ndarray]:
    aspect: float | None = None
    for image in _source(q, fps):
        if aspect is None:
            aspect = letterbox_aspect(image.shape[1], image.shape[0], q.seed)
        yield picture.letterbox(image, aspect)


def _camcorder(q: VideoQuery, fps: float) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(q.seed)
    inward = np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]], float)
    corners = inward * rng.uniform(0.015, 0.04, size=(4, 2))
    cast = rng.uniform(0.03, 0.07) * rng.choice([-1.0, 1.0])
    gains = (1.0 + cast, 1.0, 1.0 - cast)
    brightness = rng.uniform(-0.06, 0.06)
    width = (probe(q.path).width if q.path is not None else None) or CAMCORDER_MAX_WIDTH
    scale = min(1.0, CAMCORDER_MAX_WIDTH / width)
    warp: picture.PerspectiveWarp | None = None
    for image in _source(q, fps, scale=scale):
        if warp is None:
            warp = picture.PerspectiveWarp(image.shape[1], image.shape[0], corners)
        sigma = 0.8 + image.shape[1] / 800
        seen = picture.adjust_colour(warp(image), brightness=brightness, gains=gains)
        yield picture.add_noise(picture.blur(seen, sigma), 5.0, rng)


def _pip50(q: VideoQuery, fps: float) -> Iterator[np.ndarray]:
    x, y = np.random.default_rng(q.seed).uniform(0.0, 1.0, size=2)
    behind: Iterator[np.ndarray] | None = None
    for image in _source(q, fps):
        if behind is None:
            behind = background(q.backgrounds, q.seed, fps, (image.shape[1], image.shape[0]))
        yield picture.picture_in_picture(next(behind), image, scale=0.5, x=x, y=y)


def _colour(q: VideoQuery, fps: float) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(q.seed)
    contrast = float(rng.choice([0.8, 1.25]))
    saturation = float(rng.choice([0.6, 1.5]))
    hue = float(rng.choice([-20.0, 20.0]))
    for image in _source(q, fps):
        yield picture.adjust_colour(image, contrast=contrast, saturation=saturation, hue_deg=hue)


_MAKERS: dict[str, Callable[[VideoQuery, float], Iterator[np.ndarray]]] = {
    "reencode": _reencode,
    "flip": lambda q, fps: _source(q, fps, hflip=True),
    "crop10": lambda q, fps: _source(q, fps, crop=0.1),
    "logo_caption": _logo_caption,
    "letterbox": _letterbox,
    "camcorder": _camcorder,
    "pip50": _pip50,
    "colour": _colour,
    "speed1.1": lambda q, fps: _source(q, fps, speed=1.1),
    "heldback": _source,
}


def _embedded(q: VideoQuery, dst: Path, settings: VideoBenchSettings) -> MadeQuery:
    """A ``capture_s`` capture of other video with the copy, boxed to 2.35:1 and fitted into the
    frame (bars around it), from ``placed_at_s``."""
    width, height = settings.capture_size
    fps = settings.capture_fps
    total = round(settings.capture_s * fps)
    before = round(q.placed_at_s * fps)
    around = background(q.backgrounds, q.seed, fps, (width, height))
    copy = _Counted(
        picture.fit_into(picture.letterbox(image, _EMBED_BOX_ASPECT), width, height)
        for image in _source(q, fps)
    )

    def capture() -> Iterator[np.ndarray]:
        yield from islice(around, before)
        yield from copy
        yield from islice(around, max(0, total - before - copy.count))

    frames = _Counted(capture())
    write_video(dst, frames, fps)
    span = (before / fps, (before + copy.count) / fps)
    return MadeQuery(dst, frames.count / fps, span, frames.size)


def make_query(q: VideoQuery, dst: Path, settings: VideoBenchSettings) -> MadeQuery:
    """Write query ``q`` as an H.264 file at ``dst`` and say how long it is and where the copy
    sits. Raises ``MediaError`` when the source does not decode."""
    if q.kind == "embedded":
        return _embedded(q, dst, settings)
    if q.kind == "filler":
        fps = _FILLER_FPS
        frames = _Counted(synth_video_frames(q.seed, q.copy_s, fps=fps, size=q.size or (320, 240)))
    else:
        fps = REENCODE_FPS if q.kind == "reencode" else _source_fps(q, settings)
        frames = _Counted(_MAKERS[q.kind](q, fps))
    bitrate = REENCODE_BITRATE if q.kind == "reencode" else None
    try:
        write_video(dst, frames, fps, bitrate=bitrate)
    except ValueError as exc:  # no frames at all
        raise MediaError(f"{q.file}: {exc}") from exc
    seconds = frames.count / fps
    span = (0.0, seconds) if q.positive else None
    return MadeQuery(dst, seconds, span, frames.size)
