"""Writing real media files with PyAV: used by the sandbox, the tests and the benchmarks.

Jianwang ships no media corpus, so everything it needs to fingerprint in a demo or a test is
synthesised and then encoded here with the same codecs pirate sites use (H.264, AAC, MP3, Opus).
``MediaWriter`` streams frames and samples to disk so that a long clip is never held in memory;
``write_audio`` and ``write_video`` are the one-call forms.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Self

import av
import av.error
import numpy as np
from av.audio.stream import AudioStream
from av.container import OutputContainer
from av.video.stream import VideoStream

from jianwang.errors import MediaError

log = logging.getLogger(__name__)

AUDIO_FRAME_SAMPLES = 1024
"""Samples per audio frame handed to the encoder (AAC's frame size)."""

_AUDIO_CODEC_BY_SUFFIX = {
    ".m4a": "aac",
    ".mp4": "aac",
    ".mov": "aac",
    ".mkv": "aac",
    ".aac": "aac",
    ".ts": "aac",
    ".mp3": "libmp3lame",
    ".opus": "libopus",
    ".ogg": "libopus",
    ".webm": "libopus",
    ".wav": "pcm_s16le",
}
_CRF_CODECS = frozenset({"libx264", "libx265"})


def audio_codec_for(path: Path) -> str:
    """The audio codec a file with this suffix is expected to carry."""
    try:
        return _AUDIO_CODEC_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise MediaError(f"{path}: no audio codec known for suffix {path.suffix!r}") from None


def _encoder_rate(codec: str, rate: int) -> int:
    """A sample rate the encoder accepts, as close to ``rate`` as possible without going under."""
    supported = av.Codec(codec, "w").audio_rates
    if not supported or rate in supported:
        return rate
    higher = sorted(r for r in supported if r >= rate)
    return higher[0] if higher else max(supported)


def _as_channels_last(pcm: np.ndarray) -> np.ndarray:
    """PCM as float32 ``(samples, channels)``, clipped to [-1, 1]."""
    array = np.asarray(pcm, dtype=np.float32)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2 or array.shape[1] not in (1, 2):
        raise ValueError(f"PCM must be (samples,) or (samples, 1|2), got shape {array.shape}")
    return np.ascontiguousarray(np.clip(array, -1.0, 1.0))


class MediaWriter:
    """One output file with at most one video and one audio stream, written incrementally.

    Frames and samples may be written in any order: the muxer interleaves them by timestamp.
    Use as a context manager so the encoders are flushed and the file is finalised.
    """

    def __init__(self, path: str | Path, *, container: str | None = None) -> None:
        self.path = Path(path)
        try:
            self._out: OutputContainer = av.open(str(self.path), mode="w", format=container)
        except (av.error.FFmpegError, OSError) as exc:
            raise MediaError(f"{self.path}: cannot create ({exc})") from exc
        self._video: VideoStream | None = None
        self._audio: AudioStream | None = None
        self._audio_rate = 0
        self._audio_channels = 0
        self._frames_written = 0
        self._samples_written = 0
        self._size: tuple[int, int] = (0, 0)
        self._rate = Fraction(0)

    def add_video(
        self,
        width: int,
        height: int,
        fps: float,
        *,
        codec: str = "libx264",
        bitrate: int | None = None,
        crf: int | None = 23,
        preset: str = "veryfast",
    ) -> None:
        """Add the video stream; odd dimensions are rounded down to even ones for yuv420p."""
        rate = Fraction(fps).limit_denominator(1001)
        options: dict[str, str] = {}
        if codec in _CRF_CODECS:
            options["preset"] = preset
            if crf is not None and bitrate is None:
                options["crf"] = str(crf)
        stream = self._out.add_stream(codec, rate=rate, options=options)
        if not isinstance(stream, VideoStream):
            raise MediaError(f"{self.path}: {codec} is not a video codec")
        self._size = (width - width % 2, height - height % 2)
        stream.width, stream.height = self._size
        stream.pix_fmt = "yuv420p"
        if bitrate is not None:
            stream.bit_rate = bitrate
        elif codec not in _CRF_CODECS:
            stream.bit_rate = 1_000_000
        self._video = stream
        self._rate = rate

    def add_audio(
        self,
        sample_rate: int,
        *,
        channels: int = 1,
        codec: str = "aac",
        bitrate: int = 128_000,
    ) -> None:
        """Add the audio stream; samples are resampled if the codec needs another rate."""
        stream = self._out.add_stream(codec, rate=_encoder_rate(codec, sample_rate))
        if not isinstance(stream, AudioStream):
            raise MediaError(f"{self.path}: {codec} is not an audio codec")
        stream.layout = "mono" if channels == 1 else "stereo"
        if not codec.startswith("pcm_"):
            stream.bit_rate = bitrate
        self._audio = stream
        self._audio_rate = sample_rate
        self._audio_channels = channels

    @property
    def audio_seconds(self) -> float:
        """Seconds of audio written so far, for interleaving with video."""
        return self._samples_written / self._audio_rate if self._audio_rate else 0.0

    @property
    def video_seconds(self) -> float:
        """Seconds of video written so far."""
        return self._frames_written / float(self._rate) if self._rate else 0.0

    def write_frame(self, image: np.ndarray) -> None:
        """Encode one ``(H, W, 3)`` uint8 RGB frame at least as large as the stream."""
        if self._video is None:
            raise ValueError("add_video() before write_frame()")
        width, height = self._size
        if image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"frames must be (H, W, 3), got shape {image.shape}")
        if image.shape[0] < height or image.shape[1] < width:
            raise ValueError(f"frame {image.shape[:2]} smaller than {height}x{width}")
        pixels = np.ascontiguousarray(image[:height, :width], dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
        frame.pts = self._frames_written
        frame.time_base = 1 / self._rate
        self._frames_written += 1
        self._mux(self._video.encode(frame))

    def write_audio(self, pcm: np.ndarray) -> None:
        """Encode float PCM, ``(samples,)`` or ``(samples, channels)``, in 1024-sample frames."""
        if self._audio is None:
            raise ValueError("add_audio() before write_audio()")
        samples = _as_channels_last(pcm)
        if samples.shape[1] != self._audio_channels:
            samples = np.repeat(samples.mean(axis=1, keepdims=True), self._audio_channels, axis=1)
        layout = "mono" if self._audio_channels == 1 else "stereo"
        for begin in range(0, samples.shape[0], AUDIO_FRAME_SAMPLES):
            chunk = samples[begin : begin + AUDIO_FRAME_SAMPLES]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout=layout)
            frame.sample_rate = self._audio_rate
            frame.pts = self._samples_written
            frame.time_base = Fraction(1, self._audio_rate)
            self._samples_written += chunk.shape[0]
            self._mux(self._audio.encode(frame))

    def _mux(self, packets: list[av.Packet]) -> None:
        try:
            self._out.mux(packets)
        except (av.error.FFmpegError, OSError) as exc:
            raise MediaError(f"{self.path}: cannot write ({exc})") from exc

    def close(self) -> None:
        """Flush the encoders and finalise the file."""
        try:
            for stream in (self._video, self._audio):
                if stream is not None:
                    self._mux(stream.encode(None))
        finally:
            self._out.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.close()
        else:
            self._out.close()


def write_audio(
    path: str | Path,
    pcm: np.ndarray,
    sample_rate: int,
    *,
    codec: str | None = None,
    bitrate: int = 128_000,
    container: str | None = None,
) -> Path:
    """Write float PCM (mono, or ``(samples, 2)`` stereo) as an audio file.

    The codec follows the suffix (.m4a/.mp4 AAC, .mp3 MP3, .opus/.ogg Opus at 48 kHz, .wav 16-bit
    PCM) unless ``codec`` is given; ``container`` overrides the format guessed from the suffix.
    """
    out = Path(path)
    chosen = codec or audio_codec_for(out)
    samples = _as_channels_last(pcm)
    with MediaWriter(out, container=container) as writer:
        writer.add_audio(sample_rate, channels=samples.shape[1], codec=chosen, bitrate=bitrate)
        writer.write_audio(samples)
    return out


def write_video(
    path: str | Path,
    frames: Iterable[np.ndarray],
    fps: float,
    *,
    codec: str = "libx264",
    bitrate: int | None = None,
    crf: int | None = 23,
    audio: np.ndarray | None = None,
    audio_rate: int = 44100,
    audio_codec: str = "aac",
    audio_bitrate: int = 128_000,
) -> Path:
    """Write ``(H, W, 3)`` uint8 RGB frames as a yuv420p video, with an optional soundtrack.

    The frame size is taken from the first frame. Audio is interleaved with the video as it goes,
    so the muxer never has to buffer a whole stream.
    """
    out = Path(path)
    iterator = iter(frames)
    first = next(iterator, None)
    if first is None:
        raise ValueError(f"{out}: no frames to write")
    soundtrack = _as_channels_last(audio) if audio is not None else None
    with MediaWriter(out) as writer:
        writer.add_video(first.shape[1], first.shape[0], fps, codec=codec, bitrate=bitrate, crf=crf)
        if soundtrack is not None:
            writer.add_audio(
                audio_rate,
                channels=soundtrack.shape[1],
                codec=audio_codec,
                bitrate=audio_bitrate,
            )
        written = 0
        for image in _chain_first(first, iterator):
            writer.write_frame(image)
            if soundtrack is not None:
                upto = min(len(soundtrack), round(writer.video_seconds * audio_rate))
                if upto > written:
                    writer.write_audio(soundtrack[written:upto])
                    written = upto
        if soundtrack is not None and written < len(soundtrack):
            writer.write_audio(soundtrack[written:])
    return out


def _chain_first(first: np.ndarray, rest: Iterable[np.ndarray]) -> Iterable[np.ndarray]:
    yield first
    yield from rest
