"""Audio landmarks: spectral peak pairs hashed on a log-frequency axis, tolerant of speed change.

Pirate uploads of music and film soundtracks are re-encoded, cut to excerpts, buried under noise
and often played 2-5% fast (tempo and pitch together) to dodge simpler matchers. Each landmark
joins an anchor peak to a later peak; its hash is (anchor pitch, interval between the two pitches,
time gap). On a log-frequency axis the interval does not change when the copy is resampled, so a
speed change moves only the anchor pitch and the time gap. A query therefore looks up each landmark
under a small set of speed hypotheses (``query_codes``) from ONE decode and ONE peak-picking pass;
references are indexed once, at speed 1. Quantisation boundaries are handled on the query side too:
an interval close to a bin edge is looked up in both neighbouring bins.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from scipy import ndimage

from jianwang.index.base import Index
from jianwang.index.hashindex import HashIndex
from jianwang.media.synth import synth_music
from jianwang.signals.base import (
    ExampleInput,
    Fingerprint,
    MediaKind,
    SignalExample,
    SignalType,
    TemporalPolicy,
)
from jianwang.signals.example_media import add_noise, change_speed, reencode

if TYPE_CHECKING:
    from jianwang.media.limits import DecodeLimits

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioParams:
    """Landmark settings; every field changes the hashes, so all are part of the index stamp."""

    sample_rate: int = 8000
    n_fft: int = 1024
    hop: int = 256
    f_min: float = 200.0
    f_max: float = 3600.0
    peak_freq_bins: int = 15
    peak_frames: int = 9
    peaks_per_second: int = 24
    fanout: int = 5
    max_dt_frames: int = 48
    max_interval: float = 12.0  # semitones between anchor and target
    pitch_step: float = 0.5  # semitones per anchor-pitch bin
    interval_step: float = 0.5  # semitones per interval bin
    dt_step: int = 1  # frames per time-gap bin
    max_speed_change: float = 0.06
    speed_hypothesis_step: float = 0.01


class AudioLandmarks(SignalType):
    """Landmark-pair hashes of mono 8 kHz audio, found at speeds within ±6%."""

    name: ClassVar[str] = "audio.landmarks"
    version: ClassVar[int] = 1
    kind: ClassVar[MediaKind] = MediaKind.AUDIO

    def __init__(self, config: AudioParams | None = None, *, max_seconds: float = 4 * 3600) -> None:
        self.config = config or AudioParams()
        self.max_seconds = max_seconds

    def params(self) -> dict[str, Any]:
        """The landmark settings."""
        return asdict(self.config)

    def index_class(self) -> type[Index]:
        """Landmark hashes are matched exactly: a hash index."""
        return HashIndex

    def fingerprint(self, source: str | Path, *, limits: DecodeLimits | None = None) -> Fingerprint:
        """Decode ``source`` to mono PCM at the signal's sample rate and fingerprint it."""
        from jianwang.media.audio import decode_audio

        pcm = decode_audio(
            source,
            sample_rate=self.config.sample_rate,
            max_seconds=self.max_seconds,
            limits=limits,
        )
        return self.fingerprint_decoded(pcm)

    def fingerprint_decoded(self, data: object) -> Fingerprint:
        """Fingerprint mono PCM (float, [-1, 1]) sampled at ``config.sample_rate``.

        Extra arrays keep each landmark's un-quantised anchor pitch and interval (semitones) and
        its time gap (frames) so a query can be re-hashed under speed hypotheses.
        """
        cfg = self.config
        pcm = np.asarray(data, dtype=np.float32)
        if pcm.ndim != 1:
            raise ValueError(f"expected mono PCM (1-D), got shape {pcm.shape}")
        length = pcm.size / cfg.sample_rate
        peaks_t, peaks_p = self._peaks(pcm)
        anchor, pitch, interval, dt = self._pairs(peaks_t, peaks_p)
        if anchor.size == 0:
            return self.empty_fingerprint(length)
        codes = self._hash(pitch, interval, dt.astype(np.float64))
        return Fingerprint(
            self.name,
            self.version,
            self.kind,
            length,
            codes.astype(np.uint32),
            (anchor * cfg.hop / cfg.sample_rate).astype(np.float32),
            {
                "pitch": pitch.astype(np.float32),
                "interval": interval.astype(np.float32),
                "dt": dt.astype(np.int16),
            },
        )

    def _peaks(self, pcm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Spectral peaks as (frame index, pitch in semitones above ``f_min``), time-ordered."""
        cfg = self.config
        if pcm.size < cfg.n_fft:
            return np.zeros(0, np.int64), np.zeros(0)
        frames = np.lib.stride_tricks.sliding_window_view(pcm, cfg.n_fft)[:: cfg.hop]
        spec = np.abs(np.fft.rfft(frames * np.hanning(cfg.n_fft).astype(np.float32), axis=1))
        lo = int(np.ceil(cfg.f_min * cfg.n_fft / cfg.sample_rate))
        hi = int(np.floor(cfg.f_max * cfg.n_fft / cfg.sample_rate))
        logspec = np.log(spec + 1e-6)
        local_max = ndimage.maximum_filter(
            logspec, size=(cfg.peak_frames, cfg.peak_freq_bins), mode="nearest"
        )
        floor = np.log(1e-2)  # digital silence and near-silence give no peaks
        cand = (logspec == local_max) & (logspec > floor)
        cand[:, : max(lo, 1)] = False
        cand[:, hi:] = False
        t_idx, f_idx = np.nonzero(cand)
        if t_idx.size == 0:
            return t_idx, np.zeros(0)
        # Keep the strongest peaks of each one-second block: a steady density whatever the loudness.
        mags = logspec[t_idx, f_idx]
        block = (t_idx * cfg.hop) // cfg.sample_rate
        order = np.lexsort((-mags, block))
        t_idx, f_idx, block = t_idx[order], f_idx[order], block[order]
        starts = np.flatnonzero(np.r_[True, block[1:] != block[:-1]])
        rank = np.arange(block.size) - np.repeat(starts, np.diff(np.r_[starts, block.size]))
        keep = rank < cfg.peaks_per_second
        t_idx, f_idx = t_idx[keep], f_idx[keep]
        # Parabolic interpolation of the peak's bin gives pitch well below one bin of error.
        a = logspec[t_idx, f_idx - 1]
        b = logspec[t_idx, f_idx]
        c = logspec[t_idx, f_idx + 1]
        denom = a - 2 * b + c
        delta = np.where(denom < 0, 0.5 * (a - c) / np.where(denom < 0, denom, -1.0), 0.0)
        freq = (f_idx + np.clip(delta, -0.5, 0.5)) * cfg.sample_rate / cfg.n_fft
        pitch = 12.0 * np.log2(freq / cfg.f_min)
        order = np.lexsort((pitch, t_idx))
        return t_idx[order], pitch[order]

    def _pairs(
        self, t: np.ndarray, p: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Anchor frame, anchor pitch, interval and time gap of every landmark."""
        cfg = self.config
        n = t.size
        anchors, targets = [], []
        taken = np.zeros(n, dtype=np.int64)
        for d in range(1, 4 * cfg.peaks_per_second):
            if d >= n:
                break
            i = np.arange(n - d)
            j = i + d
            dt = t[j] - t[i]
            ok = (dt >= 1) & (dt <= cfg.max_dt_frames) & (np.abs(p[j] - p[i]) <= cfg.max_interval)
            ok &= taken[i] < cfg.fanout
            taken[i[ok]] += 1
            anchors.append(i[ok])
            targets.append(j[ok])
        if not anchors:
            empty = np.zeros(0)
            return empty.astype(np.int64), empty, empty, empty.astype(np.int64)
        ai = np.concatenate(anchors)
        ti = np.concatenate(targets)
        return t[ai], p[ai], p[ti] - p[ai], t[ti] - t[ai]

    def _hash(self, pitch: np.ndarray, interval: np.ndarray, dt: np.ndarray) -> np.ndarray:
        """Pack quantised (anchor pitch, interval, time gap) into 32 bits; -1 where out of range."""
        cfg = self.config
        pq = np.floor(pitch / cfg.pitch_step).astype(np.int64)
        iq = np.floor((interval + cfg.max_interval) / cfg.interval_step).astype(np.int64)
        dq = np.rint(dt / cfg.dt_step).astype(np.int64)
        ok = (pq >= 0) & (pq < 4096) & (iq >= 0) & (iq < 256) & (dq >= 1) & (dq < 256)
        codes = (pq << 16) | (iq << 8) | dq
        return np.where(ok, codes, -1)

    def speed_hypotheses(self) -> np.ndarray:
        """Playback speeds under which a query is looked up."""
        cfg = self.config
        n = round(cfg.max_speed_change / cfg.speed_hypothesis_step)
        return 1.0 + cfg.speed_hypothesis_step * np.arange(-n, n + 1)

    def query_codes(self, fp: Fingerprint) -> tuple[np.ndarray, np.ndarray]:
        """Each landmark re-hashed under every speed hypothesis and, for intervals within a
        quarter bin of an edge, in the neighbouring interval bin too; duplicates removed."""
        self.check(fp)
        if fp.empty:
            return fp.codes, fp.positions
        codes, rows, _ = self._expand(fp)
        pairs = np.unique(np.stack([rows, codes]), axis=1)
        return pairs[1].astype(np.uint32), fp.positions[pairs[0]]

    def _expand(self, fp: Fingerprint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(code, landmark row, speed) of every valid variant of every landmark."""
        cfg = self.config
        pitch = fp.extra["pitch"].astype(np.float64)
        interval = fp.extra["interval"].astype(np.float64)
        dt = fp.extra["dt"].astype(np.float64)
        frac = (interval + cfg.max_interval) / cfg.interval_step
        frac -= np.floor(frac)
        nudge = np.where(frac < 0.25, -0.5, np.where(frac > 0.75, 0.5, 0.0)) * cfg.interval_step
        codes, rows, speeds = [], [], []
        idx = np.arange(pitch.size)
        for speed in self.speed_hypotheses():
            # A copy played at ``speed`` has pitches raised by 12*log2(speed) semitones and time
            # gaps shortened by ``speed``: undo both to get the reference's hash.
            ref_pitch = pitch - 12.0 * np.log2(speed)
            ref_dt = dt * speed
            for iv in (interval, interval + nudge):
                codes.append(self._hash(ref_pitch, iv, ref_dt))
                rows.append(idx)
                speeds.append(np.full(idx.size, speed))
        all_codes = np.concatenate(codes)
        ok = all_codes >= 0
        return all_codes[ok], np.concatenate(rows)[ok], np.concatenate(speeds)[ok]

    def compare(self, a: Fingerprint, b: Fingerprint) -> float:
        """Share of ``a``'s anchor times whose landmarks hit ``b`` at one common speed and offset
        (the best 0.1 s offset cell); unrelated audio scores near 0, a copy well above."""
        self.check(a)
        self.check(b)
        if a.empty or b.empty:
            return 0.0
        table = HashIndex(self.stamp())
        table.add(0, b.codes, b.positions)
        codes, rows, speeds = self._expand(a)
        qidx, _, ref_t = table.lookup(codes)
        if qidx.size == 0:
            return 0.0
        query_t = a.positions[rows[qidx]].astype(np.float64)
        speed = speeds[qidx]
        cell = np.stack([np.rint(speed * 1000), np.floor((ref_t - speed * query_t) / 0.1)])
        _, owner = np.unique(cell, axis=1, return_inverse=True)
        best = np.argmax(np.bincount(owner.ravel()))
        anchors = np.unique(query_t[owner.ravel() == best]).size
        return float(min(1.0, anchors / np.unique(a.positions).size))

    def match_policy(self) -> TemporalPolicy:
        """At least 15 distinct aligned anchor times, improbable by chance at 1e-6, and at least
        3.5 of them per second of the matched span.

        Copies align 4-9 anchor times a second (fewer under heavy noise); two unrelated songs
        that share an accompaniment pattern at nearby tempos align 1-3 (measured on the
        synthesised music of ``jianwang.media.synth``, whose bars repeat exactly).
        """
        s = self.config.max_speed_change
        return TemporalPolicy(
            min_aligned=15,
            min_rate=3.5,
            alpha=1e-6,
            speed_min=1.0 - s,
            speed_max=1.0 + s,
            speed_step=0.005,
            offset_bin=0.1,
            max_segments=2,
        )

    def examples(self) -> list[SignalExample]:
        """A 40 s track; excerpts re-encoded, noisy, ±5% speed; unrelated music, noise, silence."""
        sr = self.config.sample_rate
        ref = synth_music(1001, 40.0, sample_rate=sr)

        def excerpt(start: float, seconds: float = 10.0) -> np.ndarray:
            return ref[round(start * sr) : round((start + seconds) * sr)]

        same = [
            ExampleInput("reencoded", reencode(ref, sr)),
            ExampleInput("excerpt_10s", excerpt(17.3)),
            ExampleInput("noise_10db", add_noise(excerpt(5.1), 10.0, seed=3)),
            ExampleInput("speed_1.05", change_speed(excerpt(12.0, 10.5), 1.05)),
            ExampleInput("speed_0.95", change_speed(excerpt(25.0, 9.5), 0.95)),
        ]
        rng = np.random.default_rng(7)
        different = [
            ExampleInput("other_music", synth_music(2002, 15.0, sample_rate=sr)),
            ExampleInput("white_noise", rng.normal(0, 0.3, 10 * sr).astype(np.float32)),
            ExampleInput("silence", np.zeros(10 * sr, dtype=np.float32)),
            ExampleInput("too_short", ref[:200]),
        ]
        return [SignalExample("synthetic_music", ref, same, different)]
