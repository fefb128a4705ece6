"""Evidence cut out of media: JPEG stills at chosen timecodes and short audio excerpts.

A detection says "seconds 12 to 48 of this copy are seconds 300 to 336 of that episode"; a
reviewer, a platform or a court wants to see it. The stills and excerpts made here are what they
look at, so they are made to be reproduced exactly: the same input always gives the same bytes
(encoders and muxers run bit-exact, Ogg serial numbers are not random), which lets a content
store and an evidence ledger name each one by its hash once and for all.

Every decode seeks to the timecode first, so a still near the end of a two-hour film costs one
group of pictures of decoding, not the whole film.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
import numpy as np
from av.audio.stream import AudioStream
from av.video.frame import VideoFrame

from jianwang.errors import MediaError
from jianwang.media.audio import decode_audio
from jianwang.media.decoding import StreamDecoder
from jianwang.media.limits import Deadline, DecodeLimits
from jianwang.media.source import Source, open_input, source_name, video_stream
from jianwang.media.video import upright

log = logging.getLogger(__name__)

STILL_MAX_WIDTH = 640
"""Stills wider than this are shrunk to it: enough to recognise a scene, small to keep."""

JPEG_QSCALE = 3
"""MJPEG quantiser scale (2 best, 31 worst); 3 looks like the frame at a tenth of a PNG's size."""

EXCERPT_RATE = 48_000
"""Opus runs at 48 kHz internally; giving it anything else only adds a resampling step."""

EXCERPT_BITRATE = 64_000
"""Mono Opus at 64 kbit/s is transparent for speech and near it for music: 30 s is 240 kB."""

_FF_QP2LAMBDA = 118
_EPS = 1e-6


@dataclass(frozen=True)
class Still:
    """A picture of ``source`` as shown at ``requested_s``: the frame presented at that moment,
    whose own timestamp is ``t``, as a JPEG of ``width`` x ``height``."""

    requested_s: float
    t: float
    jpeg: bytes
    width: int
    height: int


def stills_at(
    source: Source,
    times: Sequence[float],
    *,
    max_width: int = STILL_MAX_WIDTH,
    limits: DecodeLimits | None = None,
) -> list[Still]:
    """JPEG stills of ``source`` at each of ``times`` (seconds from the stream start).

    The still for ``t`` is the frame on screen at ``t``: the last frame presented at or before
    it (the first frame, for a time before it; the last, for a time past the end). Each time is
    reached by seeking, so the cost does not grow with the file's length. Pictures are turned
    upright as the display matrix says and shrunk to at most ``max_width`` pixels wide, keeping
    their shape. Raises ``MediaError`` naming the input when it has no video or nothing decodes.
    """
    limits = limits or DecodeLimits()
    name = source_name(source)
    deadline = limits.deadline(name)
    stills: list[Still] = []
    for requested in times:
        # One open per still: a fresh demuxer state is simpler to trust than seeking back and
        # forth in one, and opening costs milliseconds against the decoding it precedes. Where a
        # seek lands on nothing decodable (MPEG-TS seeks by byte estimate and can overshoot),
        # the still is taken again decoding from the start.
        still = _still(source, requested, max_width, limits, deadline, seek=True)
        if still is None:
            still = _still(source, requested, max_width, limits, deadline, seek=False)
        if still is None:
            raise MediaError(f"{name}: no video frames could be decoded")
        stills.append(still)
    return stills


_OVERSHOOT_S = 0.5
"""A still found this far after the time asked for means the seek overshot (MPEG-TS seeks by
byte estimate): it is taken again, decoding from the start."""


def _still(
    source: Source,
    requested: float,
    max_width: int,
    limits: DecodeLimits,
    deadline: Deadline,
    *,
    seek: bool,
) -> Still | None:
    name = source_name(source)
    with open_input(source, timeout_s=deadline.remaining()) as container:
        stream = video_stream(container)
        if stream is None:
            raise MediaError(f"{name}: no video stream")
        if stream.codec_context.width * stream.codec_context.height > limits.max_pixels:
            raise MediaError(f"{name}: the picture is larger than {limits.max_pixels} pixels")
        stream.thread_type = "AUTO"
        decoder = StreamDecoder(source, container, stream, deadline)
        if seek:
            decoder.seek(requested)
        shown = _frame_shown_at(decoder, requested)
        if shown is None or (seek and shown[0] > requested + _OVERSHOOT_S):
            return None  # nothing there, or the seek went past the time asked for
        t, frame = shown
        jpeg, width, height = _jpeg(frame, max_width, name)
    return Still(requested_s=requested, t=t, jpeg=jpeg, width=width, height=height)


def _frame_shown_at(decoder: StreamDecoder, at_s: float) -> tuple[float, VideoFrame] | None:
    """The last frame presented at or before ``at_s`` (or the first one after it, when the
    stream starts later), decoding forward from wherever the decoder was sought to."""
    chosen: tuple[float, VideoFrame] | None = None
    previous: float | None = None
    rate = decoder.stream.average_rate or decoder.stream.guessed_rate
    interval = 1.0 / float(rate) if rate else 1.0 / 25.0
    for frame in decoder.frames():
        if not isinstance(frame, VideoFrame):
            continue
        t = decoder.frame_time(frame)
        if t is None:
            t = 0.0 if previous is None else previous + interval
        previous = t
        if t > at_s + _EPS:
            return chosen if chosen is not None else (t, frame)
        chosen = (t, frame)
    return chosen


def _jpeg(frame: VideoFrame, max_width: int, name: str) -> tuple[bytes, int, int]:
    """One frame shrunk, turned upright and encoded as a baseline JPEG (full-range YUV 4:2:0)."""
    width, height = frame.width, frame.height
    sideways = round(frame.rotation / 90.0) % 2 == 1  # shown turned: its height is shown as width
    shown_width = height if sideways else width
    if shown_width > max_width:
        shrink = max_width / shown_width
        width, height = max(2, round(width * shrink)), max(2, round(height * shrink))
        if sideways:
            height = max_width
        else:
            width = max_width
    try:
        rgb = frame.reformat(
            width=width, height=height, format="rgb24", interpolation="AREA"
        ).to_ndarray()
        rgb = upright(rgb, frame.rotation)
        height, width = rgb.shape[:2]
        picture = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(rgb, dtype=np.uint8), format="rgb24"
        )
        picture = picture.reformat(format="yuvj420p")
        picture.pts = 0
        encoder = av.CodecContext.create("mjpeg", "w")
        encoder.width, encoder.height = width, height
        encoder.pix_fmt = "yuvj420p"
        encoder.time_base = Fraction(1, 25)
        encoder.options = {
            "flags": "+qscale+bitexact",
            "global_quality": str(JPEG_QSCALE * _FF_QP2LAMBDA),
        }
        packets = encoder.encode(picture) + encoder.encode(None)
    except (av.error.FFmpegError, ValueError) as exc:
        raise MediaError(f"{name}: cannot encode a still ({exc})") from exc
    data = b"".join(bytes(p) for p in packets)
    if not data:
        raise MediaError(f"{name}: the JPEG encoder produced nothing")
    return data, width, height


def write_audio_excerpt(
    source: Source,
    dest: Path,
    *,
    start_s: float,
    seconds: float,
    limits: DecodeLimits | None = None,
) -> float:
    """Write ``seconds`` of ``source``'s audio from ``start_s`` to ``dest`` as mono Ogg/Opus,
    and return how many seconds were written (fewer when the input ends sooner).

    The output is bit-exact, so the same excerpt of the same input always has the same hash.
    Raises ``MediaError`` naming the input when it has no audio or nothing decodes there.
    """
    if seconds <= 0:
        raise ValueError(f"seconds must be positive, got {seconds}")
    pcm = decode_audio(
        source, sample_rate=EXCERPT_RATE, start_s=start_s, max_seconds=seconds, limits=limits
    )
    if pcm.size == 0:
        raise MediaError(
            f"{source_name(source)}: no audio between {start_s:.3f} s and {start_s + seconds:.3f} s"
        )
    _write_opus(pcm, dest)
    return pcm.size / EXCERPT_RATE


def _write_opus(pcm: np.ndarray, dest: Path) -> None:
    frame_samples = 960  # 20 ms, Opus's usual frame
    try:
        with av.open(
            str(dest), mode="w", format="ogg", container_options={"fflags": "+bitexact"}
        ) as out:
            stream = out.add_stream("libopus", rate=EXCERPT_RATE, options={"flags": "+bitexact"})
            if not isinstance(stream, AudioStream):  # pragma: no cover - libopus is audio
                raise MediaError("libopus is not an audio encoder")
            stream.layout = "mono"
            stream.bit_rate = EXCERPT_BITRATE
            for begin in range(0, pcm.size, frame_samples):
                chunk = np.ascontiguousarray(pcm[begin : begin + frame_samples], np.float32)
                frame = av.AudioFrame.from_ndarray(
                    chunk.reshape(1, -1), format="flt", layout="mono"
                )
                frame.sample_rate = EXCERPT_RATE
                frame.pts = begin
                frame.time_base = Fraction(1, EXCERPT_RATE)
                out.mux(stream.encode(frame))
            out.mux(stream.encode(None))
    except (av.error.FFmpegError, OSError) as exc:
        with contextlib.suppress(OSError):
            dest.unlink()
        raise MediaError(f"{dest}: cannot write the audio excerpt ({exc})") from exc


def span_times(start: float, end: float) -> tuple[float, float, float]:
    """The start, middle and end of a span as times to take stills at. The end is moved just
    inside the span (a millisecond, less for a shorter span) so that its still is the last frame
    of the match rather than the first one after it."""
    end = max(start, end)
    inside = min(1e-3, (end - start) / 2)
    return start, (start + end) / 2, end - inside
