"""Opening one media input with PyAV, and turning FFmpeg's failures into ``MediaError``.

Every av/FFmpeg exception is caught here, where it enters Jianwang, so callers see one exception
type whose one-line message names the input at fault.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import av
import av.error
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.stream import Disposition
from av.video.stream import VideoStream

from jianwang.errors import DecodeTimeout, MediaError

log = logging.getLogger(__name__)

Source = str | Path
"""A local path or an http(s) URL."""

# Demuxers FFmpeg will happily use for plain text (ANSI art, subtitles); never media for us.
_TEXT_FORMATS = frozenset({"tty", "srt", "webvtt", "ass", "subviewer", "microdvd", "jacosub"})


def is_url(source: Source) -> bool:
    """Whether ``source`` names a network resource rather than a local file."""
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


def source_name(source: Source) -> str:
    """How an input is named in messages: the path as given, or the URL without credentials."""
    if is_url(source):
        parts = urlsplit(str(source))
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    return str(source)


def media_error(source: Source, exc: BaseException) -> MediaError:
    """A ``MediaError`` with a one-line message for an exception raised by av or the OS."""
    name = source_name(source)
    if isinstance(exc, av.error.ExitError):
        return DecodeTimeout(f"{name}: no data within the time limit")
    if isinstance(exc, av.error.InvalidDataError):
        return MediaError(f"{name}: not a media file ({exc.strerror})")
    if isinstance(exc, av.error.FFmpegError):
        return MediaError(f"{name}: cannot decode ({exc.strerror})")
    if isinstance(exc, OSError):
        return MediaError(f"{name}: cannot read ({exc.strerror or exc})")
    return MediaError(f"{name}: cannot decode ({exc})")


def _check_local(source: Source) -> None:
    if is_url(source):
        return
    path = Path(source)
    if not path.exists():
        raise MediaError(f"{source_name(source)}: no such file")
    if path.is_dir():
        raise MediaError(f"{source_name(source)}: is a directory, not a media file")


@contextmanager
def open_input(source: Source, *, timeout_s: float) -> Iterator[InputContainer]:
    """Open ``source`` for reading, closing it afterwards.

    ``timeout_s`` bounds how long FFmpeg waits for data on each read, which matters for URLs; the
    total decode time is bounded separately by a ``Deadline`` in each decode loop.
    """
    _check_local(source)
    name = source_name(source)
    # A local file may only read local files: a captured "video" that is really a playlist must
    # not make FFmpeg fetch its segments from the network, past the crawler's address guard.
    whitelist = "http,https,tcp,tls" if is_url(source) else "file"
    try:
        container = av.open(
            str(source), mode="r", timeout=timeout_s, options={"protocol_whitelist": whitelist}
        )
    except (av.error.FFmpegError, OSError) as exc:
        raise media_error(source, exc) from exc
    try:
        if container.format.name in _TEXT_FORMATS:
            raise MediaError(f"{name}: not a media file (looks like {container.format.name} text)")
        yield container
    finally:
        container.close()


def _is_cover_art(stream: VideoStream) -> bool:
    return bool(stream.disposition & Disposition.attached_pic)


def video_stream(container: InputContainer) -> VideoStream | None:
    """The main video stream, ignoring cover art attached to music files."""
    candidates = [s for s in container.streams.video if not _is_cover_art(s)]
    return candidates[0] if candidates else None


def audio_stream(container: InputContainer) -> AudioStream | None:
    """The first audio stream, the one players pick by default."""
    return container.streams.audio[0] if container.streams.audio else None


def stream_start_s(stream: AudioStream | VideoStream) -> float:
    """The stream's first timestamp in seconds, so that times are reported from the start."""
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)
