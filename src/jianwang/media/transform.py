"""Making pirated copies of real media: excerpt, speed up, crop, scale, flip, re-encode.

Pirates re-encode, crop away logos, mirror the picture and play a film a little faster to dodge
naive matching. The fingerprinting and matching layers are tested and benchmarked against copies
made here, by decoding and re-encoding with PyAV just as a pirate's tools would.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
from av.video.frame import VideoFrame

from jianwang.errors import MediaError
from jianwang.media.audio import iter_audio_blocks
from jianwang.media.encode import MediaWriter, audio_codec_for
from jianwang.media.limits import DecodeLimits
from jianwang.media.probe import MediaInfo, probe
from jianwang.media.video import decoded_frames

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".mov", ".webm", ".ts"})
"""Output suffixes that carry a picture; any other suffix makes an audio-only copy."""

_EPS = 1e-6
_AUDIO_BLOCK_S = 0.5


@dataclass(frozen=True)
class Transform:
    """What a pirate did to a work.

    ``crop`` is the fraction of each axis removed, half from each edge (0.1 keeps the central
    90 % of the width and of the height); ``scale`` then resizes what is left. ``speed`` above 1
    plays faster, tempo and pitch together. ``fps`` re-times the picture. The bitrates and
    ``audio_codec`` choose the re-encoding; ``None`` keeps the defaults for the output suffix.
    """

    start_s: float = 0.0
    duration_s: float | None = None
    speed: float = 1.0
    scale: float = 1.0
    crop: float = 0.0
    hflip: bool = False
    fps: float | None = None
    video_bitrate: int | None = None
    audio_bitrate: int | None = None
    audio_codec: str | None = None

    def __post_init__(self) -> None:
        if self.speed <= 0 or self.scale <= 0:
            raise ValueError("speed and scale must be positive")
        if not 0.0 <= self.crop < 1.0:
            raise ValueError("crop must be in [0, 1)")
        if self.start_s < 0 or (self.duration_s is not None and self.duration_s <= 0):
            raise ValueError("start_s must be >= 0 and duration_s > 0")
        if self.fps is not None and self.fps <= 0:
            raise ValueError("fps must be positive")


def _output_size(width: int, height: int, t: Transform) -> tuple[int, int]:
    """Width and height after cropping and scaling, even for yuv420p and at least 2."""

    def axis(n: int) -> int:
        kept = round(n * (1.0 - t.crop))
        return max(2, round(kept * t.scale) // 2 * 2)

    return axis(width), axis(height)


def _picture(frame: VideoFrame, t: Transform, size: tuple[int, int]) -> np.ndarray:
    """One decoded frame cropped, scaled and mirrored as ``(H, W, 3)`` RGB."""
    image = frame.to_ndarray(format="rgb24")
    if t.crop:
        height, width = image.shape[:2]
        dy = round(height * t.crop / 2)
        dx = round(width * t.crop / 2)
        image = image[dy : height - dy, dx : width - dx]
    if image.shape[1] != size[0] or image.shape[0] != size[1]:
        resized = VideoFrame.from_ndarray(
            np.ascontiguousarray(image, dtype=np.uint8), format="rgb24"
        ).reformat(width=size[0], height=size[1], interpolation="AREA")
        image = resized.to_ndarray()
    if t.hflip:
        image = image[:, ::-1]
    return np.ascontiguousarray(image)


def _retimed_pictures(
    src: Path, t: Transform, info: MediaInfo, fps: float, limits: DecodeLimits | None
) -> Iterator[np.ndarray]:
    """Output frames at ``fps``: slot m shows what was on screen at source time
    ``start_s + m * speed / fps``, so a faster copy drops (or a slower one repeats) frames.
    """
    size = _output_size(info.width or 2, info.height or 2, t)
    step = t.speed / fps
    interval = 1.0 / info.fps if info.fps else 1.0 / 25.0
    slot = 0
    held: VideoFrame | None = None
    held_image: np.ndarray | None = None
    last_t = t.start_s
    for when, frame in decoded_frames(
        src, start_s=t.start_s, max_seconds=t.duration_s, limits=limits
    ):
        if held is not None:
            while t.start_s + slot * step < when - _EPS:
                if held_image is None:
                    held_image = _picture(held, t, size)
                yield held_image
                slot += 1
        held, held_image, last_t = frame, None, when
    if held is None:
        return
    end = last_t + interval
    if t.duration_s is not None:
        end = min(end, t.start_s + t.duration_s)
    while t.start_s + slot * step < end - _EPS:
        if held_image is None:
            held_image = _picture(held, t, size)
        yield held_image
        slot += 1


def retimed_frames(
    src: Path,
    t: Transform,
    *,
    fps: float | None = None,
    limits: DecodeLimits | None = None,
) -> Iterator[np.ndarray]:
    """The picture of the copy ``t`` makes of ``src``, frame by frame, without encoding it.

    ``(H, W, 3)`` RGB frames at ``fps`` (default ``t.fps``, else the source's rate), cropped,
    scaled, mirrored and re-timed as ``apply_transform`` writes them. For callers that change the
    frames further (``jianwang.media.picture``) or put them together with other video before
    encoding; ``t``'s bitrates and audio codec are not used here.
    """
    src = Path(src)
    info = probe(src)
    if not info.has_video:
        raise MediaError(f"{src}: no video stream")
    rate = fps or t.fps or info.fps or 25.0
    yield from _retimed_pictures(src, t, info, rate, limits)


def _output_rate(info: MediaInfo) -> int:
    rate = info.sample_rate or 44100
    return min(max(rate, 8000), 48000)


def apply_transform(
    src: Path, dst: Path, t: Transform, *, limits: DecodeLimits | None = None
) -> Path:
    """Write ``dst``, a pirated copy of ``src`` made by ``t``; the container follows the suffix.

    Video outputs (.mp4, .mkv, ...) get H.264 plus the audio if ``src`` has both; any other
    suffix (.mp3, .m4a, .opus, .wav) gets the audio only. Audio is resampled by the speed factor,
    so a copy at 1.25 is 1.25 times shorter and a little higher pitched, like a sped-up upload.
    """
    src, dst = Path(src), Path(dst)
    info = probe(src)
    want_video = info.has_video and dst.suffix.lower() in VIDEO_SUFFIXES
    if not want_video and not info.has_audio:
        raise MediaError(f"{src}: no audio to write into {dst.name}")
    audio_rate = _output_rate(info)
    audio_codec = t.audio_codec or audio_codec_for(dst)
    fps = t.fps or info.fps or 25.0
    with MediaWriter(dst) as writer:
        audio: Iterator[np.ndarray] | None = None
        if info.has_audio:
            writer.add_audio(
                audio_rate,
                codec=audio_codec,
                bitrate=t.audio_bitrate or 128_000,
            )
            # Decoding at rate/speed and labelling the result as ``rate`` plays it speed-times
            # faster, with FFmpeg's resampler doing the interpolation as the samples stream by.
            audio = iter_audio_blocks(
                src,
                sample_rate=max(1, round(audio_rate / t.speed)),
                block_seconds=_AUDIO_BLOCK_S,
                start_s=t.start_s,
                max_seconds=t.duration_s,
                limits=limits,
            )
        if want_video:
            pictures = _retimed_pictures(src, t, info, fps, limits)
            first = next(pictures, None)
            if first is None:
                raise MediaError(f"{src}: no video frames in the excerpt")
            writer.add_video(
                first.shape[1],
                first.shape[0],
                fps,
                bitrate=t.video_bitrate,
                crf=None if t.video_bitrate else 23,
            )
            for image in chain([first], pictures):
                writer.write_frame(image)
                while audio is not None and writer.audio_seconds < writer.video_seconds:
                    block = next(audio, None)
                    if block is None:
                        audio = None
                        break
                    writer.write_audio(block)
        for block in audio or ():
            writer.write_audio(block)
    log.info("%s: wrote a copy of %s (%s)", dst, src, t)
    return dst
