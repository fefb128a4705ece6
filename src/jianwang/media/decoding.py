"""The demux-and-decode loop shared by the audio and video decoders.

Pirated copies are often re-muxed badly or cut short, so a corrupt packet is logged and skipped
rather than ending the decode; a read error ends it early with what was decoded so far. Only an
input from which nothing decodes is an error. The deadline is checked once per packet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import av.error
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from jianwang.errors import MediaError
from jianwang.media.limits import Deadline
from jianwang.media.source import Source, media_error, source_name, stream_start_s

log = logging.getLogger(__name__)

_LOUD_WARNINGS = 5
"""Bad packets reported one by one before the rest are only counted."""


class StreamDecoder:
    """Decodes one stream of an open container, skipping corrupt packets.

    It keeps the count of bad packets and the last FFmpeg error so that a decode which yields
    nothing can say why.
    """

    def __init__(
        self,
        source: Source,
        container: InputContainer,
        stream: AudioStream | VideoStream,
        deadline: Deadline,
    ) -> None:
        self.name = source_name(source)
        self.source = source
        self.container = container
        self.stream = stream
        self.deadline = deadline
        self.bad_packets = 0
        self.last_error: str | None = None
        self.start_s = stream_start_s(stream)

    def seek(self, offset_s: float) -> bool:
        """Seek to the keyframe at or before ``offset_s`` from the stream start.

        Returns False when the input cannot seek (a pipe, some live streams); the caller then
        decodes from the beginning and discards what comes before ``offset_s``.
        """
        if offset_s <= 0 or self.stream.time_base is None:
            return False
        target = int((offset_s + self.start_s) / self.stream.time_base)
        try:
            self.container.seek(target, stream=self.stream, backward=True)
        except (av.error.FFmpegError, OSError) as exc:
            log.info("%s: cannot seek, decoding from the start (%s)", self.name, exc)
            return False
        return True

    def frame_time(self, frame: AudioFrame | VideoFrame) -> float | None:
        """The frame's presentation time in seconds from the stream start, if it has one."""
        time = frame.time
        return None if time is None else time - self.start_s

    def frames(self) -> Iterator[AudioFrame | VideoFrame]:
        """Decoded frames in presentation order, until the end of the stream or a read error."""
        packets = self.container.demux(self.stream)
        while True:
            self.deadline.check()
            try:
                packet = next(packets)
            except StopIteration:
                break
            except (av.error.FFmpegError, OSError) as exc:
                if isinstance(exc, av.error.ExitError):
                    raise media_error(self.source, exc) from exc
                self._note_error(exc, "read error, stopping early")
                break
            try:
                decoded = packet.decode()
            except (av.error.FFmpegError, OSError) as exc:
                self._note_error(exc, "skipped a corrupt packet")
                continue
            for frame in decoded:
                if isinstance(frame, AudioFrame | VideoFrame):
                    yield frame
        if self.bad_packets > _LOUD_WARNINGS:
            log.warning("%s: %d bad packets in all", self.name, self.bad_packets)

    def _note_error(self, exc: BaseException, what: str) -> None:
        self.bad_packets += 1
        self.last_error = getattr(exc, "strerror", None) or str(exc)
        if self.bad_packets <= _LOUD_WARNINGS:
            log.warning("%s: %s (%s)", self.name, what, self.last_error)

    def nothing_decoded(self, what: str) -> MediaError:
        """The error for an input whose stream yielded no frame at all."""
        why = self.last_error or "stream is empty"
        return MediaError(f"{self.name}: no {what} could be decoded ({why})")
