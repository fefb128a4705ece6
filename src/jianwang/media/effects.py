"""Pirate-style changes to decoded audio: noise, speed, tempo, pitch and lossy re-encoding.

Benchmarks and tests need copies of a work altered the way uploaders alter them, applied to an
excerpt already in memory so the truth (which work, which offset, which factor) is known exactly.
Everything here takes and returns mono float32 PCM; where FFmpeg has the real tool (``atempo``,
``asetrate``, ``aresample``, the MP3/Opus/AAC encoders) it is used through PyAV, so a copy carries
the same artefacts a pirate's ffmpeg command line would leave. File-level copies (containers,
video) are ``jianwang.media.transform``'s job.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import av
import av.error
import numpy as np
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from scipy import signal as sps

from jianwang.errors import MediaError

log = logging.getLogger(__name__)

Codec = Literal["libmp3lame", "libopus", "aac"]
"""Lossy encoders a pirated copy is commonly re-encoded with."""

_CONTAINER: dict[str, str] = {"libmp3lame": "mp3", "libopus": "ogg", "aac": "mp4"}
# Containers that carry the encoder's priming delay (LAME tag, Ogg pre-skip, MP4 edit list), so
# the decoded copy starts exactly where the input did and only the tail needs trimming.
_OPTIONS: dict[str, dict[str, str]] = {"libopus": {"vbr": "constrained"}}
# Opus in free VBR overshoots a low target by a third on dense music; constrained VBR keeps the
# copy at the bitrate its condition is named after.
_CHUNK = 4096
_ATEMPO_MIN, _ATEMPO_MAX = 0.5, 100.0


def _checked(pcm: np.ndarray, *, what: str = "pcm") -> np.ndarray:
    """``pcm`` as contiguous float32, refusing what is not mono, finite audio."""
    array = np.asarray(pcm)
    if array.ndim != 1:
        raise ValueError(f"{what} must be mono (1-D), got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.number):
        raise ValueError(f"{what} must be numeric, got {array.dtype}")
    out = np.ascontiguousarray(array, dtype=np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{what} holds NaN or infinite samples")
    return out


def _positive(name: str, value: float) -> float:
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number, got {value}")
    return float(value)


def _rate(sample_rate: int) -> int:
    if int(sample_rate) != sample_rate or sample_rate <= 0:
        raise ValueError(f"sample_rate must be a positive integer, got {sample_rate}")
    return int(sample_rate)


def _frames(pcm: np.ndarray, sample_rate: int, size: int = _CHUNK) -> Iterable[AudioFrame]:
    """Mono flt frames of ``pcm`` with sample-exact timestamps."""
    for begin in range(0, pcm.size, size):
        chunk = pcm[begin : begin + size]
        frame = AudioFrame.from_ndarray(chunk.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = sample_rate
        frame.pts = begin
        frame.time_base = Fraction(1, sample_rate)
        yield frame


def _samples(frames: Iterable[AudioFrame]) -> np.ndarray:
    parts = [f.to_ndarray().reshape(-1).astype(np.float32, copy=False) for f in frames]
    parts = [p for p in parts if p.size]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def _fit(pcm: np.ndarray, length: int) -> np.ndarray:
    """Cut or zero-pad the tail to exactly ``length`` samples (codec and filter padding)."""
    if pcm.size >= length:
        return pcm[:length]
    return np.concatenate([pcm, np.zeros(length - pcm.size, dtype=np.float32)])


def _filter(pcm: np.ndarray, sample_rate: int, chain: Sequence[tuple[str, str]]) -> np.ndarray:
    """Run mono flt PCM through an FFmpeg audio filter chain; the output is mono flt again."""
    graph = av.filter.Graph()
    source = graph.add_abuffer(
        format="flt", sample_rate=sample_rate, layout="mono", time_base=Fraction(1, sample_rate)
    )
    last = source
    steps = [
        *chain,
        ("aformat", f"sample_fmts=flt:channel_layouts=mono:sample_rates={sample_rate}"),
    ]
    for name, args in steps:
        node = graph.add(name, args)
        last.link_to(node)
        last = node
    sink = graph.add("abuffersink")
    last.link_to(sink)
    out: list[AudioFrame] = []
    try:
        graph.configure()
        for frame in _frames(pcm, sample_rate):
            graph.push(frame)
            out.extend(_drain(graph))
        graph.push(None)
        out.extend(_drain(graph))
    except av.error.FFmpegError as exc:
        desc = ",".join(f"{n}={a}" for n, a in chain)
        raise MediaError(f"audio filter {desc} failed: {exc}") from exc
    return _samples(out)


def _drain(graph: av.filter.Graph) -> list[AudioFrame]:
    """Every frame the graph has ready (it may hold some back until more input arrives)."""
    ready: list[AudioFrame] = []
    while True:
        try:
            frame = graph.pull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return ready
        if isinstance(frame, AudioFrame):
            ready.append(frame)


def white_noise(pcm: np.ndarray, snr_db: float, *, seed: int) -> np.ndarray:
    """``pcm`` plus Gaussian white noise ``snr_db`` dB below the excerpt's mean power.

    The result is not clipped: clipping would change the SNR the caller asked for, and the
    fingerprinting layers take any float PCM. Silence gets no noise (its SNR is undefined).
    """
    audio = _checked(pcm)
    if not np.isfinite(snr_db):
        raise ValueError(f"snr_db must be finite, got {snr_db}")
    power = float(np.mean(np.square(audio, dtype=np.float64))) if audio.size else 0.0
    if power == 0.0:
        return audio.copy()
    rng = np.random.default_rng(seed)
    sigma = np.sqrt(power / 10.0 ** (snr_db / 10.0))
    return (audio + rng.normal(0.0, sigma, audio.size)).astype(np.float32)


def resample_speed(pcm: np.ndarray, speed: float) -> np.ndarray:
    """Play ``pcm`` ``speed`` times faster, tempo and pitch together (a record played fast).

    Resampled by ``len * q / p`` with ``p / q`` the closest fraction to ``speed`` with a
    denominator up to 1000, and read back at the original rate, so the output has
    ``len / speed`` samples (to within the fraction's error).
    """
    audio = _checked(pcm)
    ratio = Fraction(_positive("speed", speed)).limit_denominator(1000)
    if ratio == 1:
        return audio.copy()
    return sps.resample_poly(audio, ratio.denominator, ratio.numerator).astype(np.float32)


def _atempo_chain(factor: float) -> list[tuple[str, str]]:
    """``atempo`` steps multiplying to ``factor``, each within the filter's accepted range."""
    steps: list[tuple[str, str]] = []
    rest = factor
    while rest < _ATEMPO_MIN:
        steps.append(("atempo", f"{_ATEMPO_MIN}"))
        rest /= _ATEMPO_MIN
    while rest > _ATEMPO_MAX:
        steps.append(("atempo", f"{_ATEMPO_MAX}"))
        rest /= _ATEMPO_MAX
    steps.append(("atempo", f"{rest:.9f}"))
    return steps


def tempo(pcm: np.ndarray, sample_rate: int, factor: float) -> np.ndarray:
    """Play ``pcm`` ``factor`` times faster with its pitch kept (FFmpeg ``atempo``, WSOLA).

    Output length is ``len / factor``; ``factor`` 1.05 is a copy 5 % shorter at the same key.
    """
    audio = _checked(pcm)
    rate = _rate(sample_rate)
    factor = _positive("factor", factor)
    if factor == 1.0 or audio.size == 0:
        return audio.copy()
    out = _filter(audio, rate, _atempo_chain(factor))
    return _fit(out, round(audio.size / factor))


def pitch_shift(pcm: np.ndarray, sample_rate: int, semitones: float) -> np.ndarray:
    """Move ``pcm`` ``semitones`` up (or down) with its tempo and length kept.

    As an uploader's ffmpeg does it: ``asetrate`` relabels the rate so the audio plays faster
    and higher, ``aresample`` brings it back to ``sample_rate``, and ``atempo`` stretches it to
    the original duration, leaving only the pitch changed.
    """
    audio = _checked(pcm)
    rate = _rate(sample_rate)
    if not np.isfinite(semitones):
        raise ValueError(f"semitones must be finite, got {semitones}")
    if semitones == 0 or audio.size == 0:
        return audio.copy()
    raised = round(rate * 2.0 ** (semitones / 12.0))
    chain = [("asetrate", str(raised)), ("aresample", str(rate))]
    out = _filter(audio, rate, [*chain, *_atempo_chain(rate / raised)])
    return _fit(out, audio.size)


def resample(pcm: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """``pcm`` at ``to_rate`` through FFmpeg's resampler, the one decoding a file goes through."""
    audio = _checked(pcm)
    src, dst = _rate(from_rate), _rate(to_rate)
    if src == dst or audio.size == 0:
        return audio.copy()
    resampler = av.AudioResampler(format="flt", layout="mono", rate=dst)
    out: list[AudioFrame] = []
    for frame in _frames(audio, src):
        out.extend(resampler.resample(frame))
    out.extend(resampler.resample(None))
    return _fit(_samples(out), round(audio.size * dst / src))


def _encoder_rate(codec: str, rate: int) -> int:
    """``rate`` if the encoder takes it, else its highest rate (Opus: always 48 kHz, its native
    rate, unless ``rate`` is one of its own lower ones)."""
    supported = av.Codec(codec, "w").audio_rates
    if not supported or rate in supported:
        return rate
    return max(supported)


def codec_roundtrip(
    pcm: np.ndarray, sample_rate: int, *, codec: Codec = "libmp3lame", bitrate: int
) -> np.ndarray:
    """``pcm`` encoded with ``codec`` at ``bitrate`` bit/s into an in-memory file, decoded back.

    The encoder runs at ``sample_rate`` when it accepts it, else at its highest rate (Opus at
    22.05 or 44.1 kHz: 48 kHz), with FFmpeg's resampler on both sides. The container carries the
    encoder's priming delay, so the copy stays aligned with the input; its padded tail is cut to
    the input's length. Output: mono float32 at ``sample_rate``, clipped to [-1, 1] by decoding.
    """
    audio = _checked(pcm)
    rate = _rate(sample_rate)
    if codec not in _CONTAINER:
        raise ValueError(f"unknown codec {codec!r} (expected one of {sorted(_CONTAINER)})")
    if int(bitrate) != bitrate or bitrate <= 0:
        raise ValueError(f"bitrate must be a positive integer (bit/s), got {bitrate}")
    if audio.size == 0:
        return audio.copy()
    enc_rate = _encoder_rate(codec, rate)
    try:
        blob = _encode(np.clip(audio, -1.0, 1.0), rate, enc_rate, codec, int(bitrate))
        decoded = _decode(blob, rate)
    except av.error.FFmpegError as exc:
        raise MediaError(f"{codec} at {bitrate} bit/s round trip failed: {exc}") from exc
    return _fit(decoded, audio.size)


def _encode(pcm: np.ndarray, rate: int, enc_rate: int, codec: str, bitrate: int) -> bytes:
    buf = io.BytesIO()
    with av.open(buf, mode="w", format=_CONTAINER[codec]) as out:
        stream = out.add_stream(codec, rate=enc_rate, options=_OPTIONS.get(codec, {}))
        if not isinstance(stream, AudioStream):
            raise MediaError(f"{codec} is not an audio encoder")
        stream.layout = "mono"
        stream.bit_rate = bitrate
        resampler = av.AudioResampler(format="flt", layout="mono", rate=enc_rate)
        for frame in _frames(pcm, rate):
            for converted in resampler.resample(frame):
                out.mux(stream.encode(converted))
        for converted in resampler.resample(None):
            out.mux(stream.encode(converted))
        out.mux(stream.encode(None))
    return buf.getvalue()


def _decode(blob: bytes, rate: int) -> np.ndarray:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    out: list[AudioFrame] = []
    with av.open(io.BytesIO(blob), mode="r") as container:
        for frame in container.decode(audio=0):
            out.extend(resampler.resample(frame))
    out.extend(resampler.resample(None))
    return _samples(out)


EffectKind = Literal["none", "noise", "mp3", "opus", "aac", "speed", "tempo", "pitch"]
_EFFECT_CODECS: dict[str, Codec] = {"mp3": "libmp3lame", "opus": "libopus", "aac": "aac"}


@dataclass(frozen=True)
class Effect:
    """One of the changes above, as a value: what a benchmark condition or a test case names.

    ``amount`` is the SNR in dB (``noise``), the bitrate in bit/s (``mp3``, ``opus``, ``aac``),
    the playback factor (``speed``, ``tempo``: 1.05 plays 5 % faster) or semitones (``pitch``).
    """

    kind: EffectKind
    amount: float = 0.0

    @property
    def time_factor(self) -> float:
        """Input seconds per output second: 1.05 for a copy played 5 % fast, else 1."""
        return self.amount if self.kind in ("speed", "tempo") else 1.0

    def apply(self, pcm: np.ndarray, sample_rate: int, *, seed: int = 0) -> np.ndarray:
        """The changed copy of mono ``pcm`` (``seed`` drives the noise)."""
        if self.kind == "noise":
            return white_noise(pcm, self.amount, seed=seed)
        if self.kind in _EFFECT_CODECS:
            codec = _EFFECT_CODECS[self.kind]
            return codec_roundtrip(pcm, sample_rate, codec=codec, bitrate=round(self.amount))
        if self.kind == "speed":
            return resample_speed(pcm, self.amount)
        if self.kind == "tempo":
            return tempo(pcm, sample_rate, self.amount)
        if self.kind == "pitch":
            return pitch_shift(pcm, sample_rate, self.amount)
        return _checked(pcm).copy()
