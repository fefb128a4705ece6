"""Decoding any input's audio to Jianwang's canonical form: mono float32 PCM at one sample rate.

Audio fingerprints compare the same signal, whatever the container, codec, rate or channel layout
of the copy, so every input is downmixed and resampled by FFmpeg's resampler here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
from av.audio.frame import AudioFrame

from jianwang.errors import MediaError
from jianwang.media.decoding import StreamDecoder
from jianwang.media.limits import DecodeLimits
from jianwang.media.source import audio_stream, open_input, source_name

log = logging.getLogger(__name__)

# Downmix stereo to mono as the mean of the channels rather than FFmpeg's default, which adds
# them at -3 dB each and can exceed full scale.
_RESAMPLER_OPTIONS = {"rematrix_maxval": "1.0"}


def _resampler(sample_rate: int) -> av.AudioResampler:
    return av.AudioResampler(
        format="flt", layout="mono", rate=sample_rate, options=_RESAMPLER_OPTIONS
    )


def _to_pcm(frames: list[AudioFrame]) -> Iterator[np.ndarray]:
    for frame in frames:
        pcm = frame.to_ndarray().reshape(-1).astype(np.float32, copy=False)
        if pcm.size:
            yield np.clip(pcm, -1.0, 1.0)


def _resampled(
    decoder: StreamDecoder, sample_rate: int
) -> Iterator[tuple[float | None, np.ndarray]]:
    """Mono PCM chunks, each with the source time of the frame it came from (if known).

    A stream whose rate or layout changes midway (spliced copies do this) gets a fresh
    resampler, after flushing the old one.
    """
    resampler = _resampler(sample_rate)
    for frame in decoder.frames():
        if not isinstance(frame, AudioFrame):
            continue
        time = decoder.frame_time(frame)
        try:
            converted = resampler.resample(frame)
        except ValueError:
            for pcm in _to_pcm(resampler.resample(None)):
                yield None, pcm
            resampler = _resampler(sample_rate)
            converted = resampler.resample(frame)
        for pcm in _to_pcm(converted):
            yield time, pcm
            time = None
    for pcm in _to_pcm(resampler.resample(None)):
        yield None, pcm


def _pcm_chunks(
    source: str | Path,
    *,
    sample_rate: int,
    start_s: float,
    max_seconds: float | None,
    limits: DecodeLimits | None,
) -> Iterator[np.ndarray]:
    """Mono float32 chunks covering ``[start_s, start_s + max_seconds)`` of the first audio stream.

    Samples are counted from the first decoded frame's timestamp, so the window is exact to the
    sample even after seeking to a keyframe before ``start_s``.
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    limits = limits or DecodeLimits()
    cap = limits.cap(max_seconds)
    wanted = None if cap is None else max(0, round(cap * sample_rate))
    name = source_name(source)
    deadline = limits.deadline(name)
    with open_input(source, timeout_s=deadline.remaining()) as container:
        stream = audio_stream(container)
        if stream is None:
            raise MediaError(f"{name}: no audio stream")
        decoder = StreamDecoder(source, container, stream, deadline)
        seeked = decoder.seek(start_s)
        skip: int | None = None
        emitted = 0
        for time, chunk in _resampled(decoder, sample_rate):
            pcm = chunk
            if skip is None:
                first = time if time is not None else (start_s if seeked else 0.0)
                skip = max(0, round((start_s - first) * sample_rate))
            if skip:
                dropped = min(skip, pcm.size)
                skip -= dropped
                pcm = pcm[dropped:]
            if wanted is not None:
                pcm = pcm[: wanted - emitted]
            if pcm.size:
                emitted += pcm.size
                yield pcm
            if wanted is not None and emitted >= wanted:
                return
        if skip is None:
            raise decoder.nothing_decoded("audio")


def decode_audio(
    source: str | Path,
    *,
    sample_rate: int = 8000,
    start_s: float = 0.0,
    max_seconds: float | None = None,
    limits: DecodeLimits | None = None,
) -> np.ndarray:
    """The audio of ``source`` as mono float32 PCM in [-1, 1] at ``sample_rate``.

    Reads from ``start_s`` for at most ``max_seconds`` (and at most ``limits.max_seconds``).
    Corrupt packets are skipped with a warning; ``MediaError`` names the input when it has no
    audio stream or nothing decodes, ``DecodeTimeout`` when ``limits.timeout_s`` runs out.
    """
    chunks = list(
        _pcm_chunks(
            source,
            sample_rate=sample_rate,
            start_s=start_s,
            max_seconds=max_seconds,
            limits=limits,
        )
    )
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks)


def iter_audio_blocks(
    source: str | Path,
    *,
    sample_rate: int = 8000,
    block_seconds: float = 60.0,
    start_s: float = 0.0,
    max_seconds: float | None = None,
    limits: DecodeLimits | None = None,
) -> Iterator[np.ndarray]:
    """The audio of ``source`` as consecutive mono float32 blocks of ``block_seconds`` each.

    For inputs too long to hold as one array: memory stays at about one block. Every block but
    the last has exactly ``round(block_seconds * sample_rate)`` samples.
    """
    block = round(block_seconds * sample_rate)
    if block <= 0:
        raise ValueError(f"block_seconds too small: {block_seconds}")
    pending: list[np.ndarray] = []
    held = 0
    for pcm in _pcm_chunks(
        source, sample_rate=sample_rate, start_s=start_s, max_seconds=max_seconds, limits=limits
    ):
        pending.append(pcm)
        held += pcm.size
        if held >= block:
            joined = np.concatenate(pending)
            for begin in range(0, joined.size - block + 1, block):
                yield joined[begin : begin + block]
            rest = joined[joined.size - joined.size % block :]
            pending = [rest] if rest.size else []
            held = rest.size
    if held:
        yield np.concatenate(pending)
