"""What an input contains, read from its headers without decoding it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import av

from jianwang.errors import MediaError
from jianwang.media.source import audio_stream, open_input, source_name, video_stream

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaInfo:
    """The facts about one input that decide how it is fingerprinted.

    Values FFmpeg could not determine from the headers are ``None`` rather than guessed.
    """

    source: str
    format_name: str
    duration_s: float | None
    has_audio: bool
    has_video: bool
    width: int | None
    height: int | None
    fps: float | None
    sample_rate: int | None
    channels: int | None


def probe(source: str | Path, *, timeout_s: float = 30.0) -> MediaInfo:
    """Read the container and stream headers of ``source`` (a path or an http(s) URL).

    Raises ``MediaError`` naming the input when it is missing, not media, or has neither audio nor
    video.
    """
    name = source_name(source)
    with open_input(source, timeout_s=timeout_s) as container:
        video = video_stream(container)
        audio = audio_stream(container)
        if video is None and audio is None:
            raise MediaError(f"{name}: not a media file (no audio or video stream)")
        duration_s: float | None = None
        if container.duration is not None and container.duration > 0:
            duration_s = container.duration / av.time_base
        else:
            for stream in (video, audio):
                if stream is not None and stream.duration and stream.time_base is not None:
                    duration_s = float(stream.duration * stream.time_base)
                    break
        fps: float | None = None
        if video is not None:
            rate = video.average_rate or video.guessed_rate
            fps = float(rate) if rate else None
        return MediaInfo(
            source=name,
            format_name=container.format.name,
            duration_s=duration_s,
            has_audio=audio is not None,
            has_video=video is not None,
            width=video.codec_context.width or None if video is not None else None,
            height=video.codec_context.height or None if video is not None else None,
            fps=fps,
            sample_rate=audio.codec_context.sample_rate or None if audio is not None else None,
            channels=audio.codec_context.layout.nb_channels or None if audio is not None else None,
        )
