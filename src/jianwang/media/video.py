"""Decoding video to Jianwang's canonical form: small grey (or RGB) frames sampled at a fixed rate.

Frames are yielded one at a time, already shrunk, so that a whole film is never held in memory:
a 2-hour film at 2 frames per second is 14 400 small images, streamed.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from av.video.frame import VideoFrame

from jianwang.errors import MediaError
from jianwang.media.decoding import StreamDecoder
from jianwang.media.limits import DecodeLimits
from jianwang.media.source import open_input, source_name, video_stream

log = logging.getLogger(__name__)

_EPS = 1e-6
"""Tolerance on timestamps, so a frame at 0.49999999 s counts as being at 0.5 s."""


@dataclass(frozen=True)
class Frame:
    """One sampled picture: ``t`` seconds from the stream start, ``image`` (H, W) or (H, W, 3)."""

    t: float
    image: np.ndarray


def decoded_frames(
    source: str | Path,
    *,
    start_s: float = 0.0,
    max_seconds: float | None = None,
    limits: DecodeLimits | None = None,
    skip_nonref: bool = False,
    skip_loop_filter: bool = False,
) -> Iterator[tuple[float, VideoFrame]]:
    """Every decoded frame in ``[start_s, start_s + max_seconds)`` with its time in seconds.

    The building block for sampling and for re-encoding. Times come from the frames' timestamps
    (relative to the stream start), so variable frame rates are handled; a frame without a
    timestamp is placed one nominal frame interval after the previous one.
    ``skip_nonref`` lets the decoder drop frames no other frame refers to (most B-frames), which
    saves decoding time when only a few frames per second are wanted; ``skip_loop_filter``
    skips the deblocking filter (H.264, HEVC): about a third less decoding, slightly blockier
    pictures, which is harmless for frames that are only averaged down and hashed.
    """
    limits = limits or DecodeLimits()
    cap = limits.cap(max_seconds)
    end_s = math.inf if cap is None else start_s + cap
    name = source_name(source)
    deadline = limits.deadline(name)
    with open_input(source, timeout_s=deadline.remaining()) as container:
        stream = video_stream(container)
        if stream is None:
            raise MediaError(f"{name}: no video stream")
        _check_size(name, stream.codec_context.width, stream.codec_context.height, limits)
        stream.thread_type = "AUTO"
        if skip_loop_filter:
            stream.codec_context.options = {"skip_loop_filter": "all"}
        if skip_nonref:
            stream.codec_context.skip_frame = "NONREF"
        rate = stream.average_rate or stream.guessed_rate
        interval = 1.0 / float(rate) if rate else 1.0 / 25.0
        decoder = StreamDecoder(source, container, stream, deadline)
        decoder.seek(start_s)
        decoded = 0
        previous: float | None = None
        for frame in decoder.frames():
            if not isinstance(frame, VideoFrame):
                continue
            decoded += 1
            _check_size(name, frame.width, frame.height, limits)  # the size may change mid-stream
            t = decoder.frame_time(frame)
            if t is None:
                t = 0.0 if previous is None else previous + interval
            previous = t
            if t < start_s - _EPS:
                continue
            if t >= end_s - _EPS:
                break
            yield t, frame
        if decoded == 0:
            raise decoder.nothing_decoded("video frames")


def _check_size(name: str, width: int, height: int, limits: DecodeLimits) -> None:
    if width * height > limits.max_pixels:
        raise MediaError(
            f"{name}: the picture is {width}x{height}, larger than the limit of "
            f"{limits.max_pixels} pixels"
        )


def iter_frames(
    source: str | Path,
    *,
    fps: float = 2.0,
    size: tuple[int, int] | None = (64, 64),
    grey: bool = True,
    start_s: float = 0.0,
    max_seconds: float | None = None,
    limits: DecodeLimits | None = None,
    max_width: int | None = None,
    fast: bool = False,
) -> Iterator[Frame]:
    """Frames of ``source`` sampled at ``fps``, shrunk to ``size`` = (width, height).

    For each instant ``start_s + k / fps`` the first frame shown at or after it is yielded (once,
    even if it covers several instants), so a copy re-encoded at another frame rate is sampled
    at the same moments as the original. ``grey`` gives (H, W) uint8 luma, otherwise (H, W, 3)
    RGB; ``size=None`` keeps the native size, or with ``max_width`` shrinks wider frames to that
    width, keeping their shape (the scaler shrinks far faster than NumPy would). ``fast`` lets
    the decoder skip non-reference frames and deblocking (see ``decoded_frames``): several times
    faster on long-GOP H.264, for callers that only hash what they sample. Raises ``MediaError``
    naming the input when it has no video stream or no frame decodes; a truncated file yields
    the frames it has. Pictures are turned upright as the stream's display matrix says (a phone
    video stored sideways is returned as it is shown).
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    width, height = size if size is not None else (None, None)
    pixel_format = "gray" if grey else "rgb24"
    next_index = 0
    frames = decoded_frames(
        source,
        start_s=start_s,
        max_seconds=max_seconds,
        limits=limits,
        skip_nonref=fast,
        skip_loop_filter=fast,
    )
    for t, frame in frames:
        if t < start_s + next_index / fps - _EPS:
            continue
        if size is None and max_width is not None and frame.width > max_width:
            width = max_width
            height = max(2, round(frame.height * max_width / frame.width / 2) * 2)
        image = frame.reformat(
            width=width, height=height, format=pixel_format, interpolation="AREA"
        ).to_ndarray()
        yield Frame(t=t, image=upright(image, frame.rotation))
        next_index = math.floor((t - start_s) * fps + _EPS) + 1


def upright(image: np.ndarray, rotation: float) -> np.ndarray:
    """``image`` turned as a display matrix's ``rotation`` says (degrees counter-clockwise, as
    FFmpeg reports it); only quarter turns are applied, other angles are left alone."""
    turns = round(rotation / 90.0)
    if not rotation or abs(rotation - 90.0 * turns) > 1.0 or turns % 4 == 0:
        return image
    return np.ascontiguousarray(np.rot90(image, turns % 4))
