"""Audio triplets: hashes of three spectral peaks that survive speed, pitch and tempo change.

Pirates speed music up (tempo and pitch together), shift its pitch or stretch its tempo to dodge
matchers, re-encode it at low bitrates and bury it in noise. A hash of three peaks
``(t1, p1), (t2, p2), (t3, p3)`` (time, pitch in semitones) keeps only what none of those changes
move much:

* the time ratio ``(t2 - t1) / (t3 - t1)``: a uniform stretch of time leaves it unchanged;
* the intervals ``p2 - p1`` and ``p3 - p2``: on a log-frequency axis a uniform shift of pitch
  leaves them unchanged;
* a coarse band of ``p1`` and a coarse band of the span ``t3 - t1``: these do move, so a query
  looks each hash up in every band that the allowed pitch shift (±2 semitones) and time scale
  (±12 %) can reach. References are indexed once, with no variants.

So one decode and one pass find copies played 10 % fast, a semitone up or stretched 5 %, as
Panako's ratio hashes do; the time scale is then recovered by voting over (scale, offset) in
``jianwang.matching.temporal``. Peaks are picked on a spectrum whitened by its local average, so a
flat noise floor lifts no peaks of its own and loud bass cannot crowd out the melody.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import scipy.fft
from scipy import ndimage

from jianwang.index.base import Index
from jianwang.index.hashindex import HashIndex
from jianwang.index.segmented import SegmentedHashIndex
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

OFF_SPEED_MIN_RATE = 1.5
"""Aligned landmarks per second an off-speed match needs. Pieces of one soundtrack that share a
motif line up off speed at about 0.4-1.4 per second over long spans; a sped-up copy, even a
noisy one, aligns more densely (measured by ``jianwang bench audio``)."""


@dataclass(frozen=True)
class TripletParams:
    """Every field changes the hashes, so all are part of the index stamp."""

    sample_rate: int = 8000
    n_fft: int = 1024
    hop: int = 128
    f_min: float = 65.0
    f_max: float = 3600.0
    peak_frames: int = 13  # neighbourhood of a peak in time (frames)
    peak_bins: int = 11  # and in frequency (FFT bins)
    whiten_frames: int = 63  # local average subtracted before picking peaks
    whiten_bins: int = 41
    min_prominence: float = 0.5  # natural-log units above the local average
    min_level_db: float = -70.0  # a peak quieter than a sine this far below full scale is not music
    peaks_per_second: int = 20
    peaks_per_frame: int = 3
    min_gap: int = 3  # frames between consecutive peaks of a triplet
    max_gap: int = 40
    max_interval: float = 15.0  # semitones between consecutive peaks of a triplet
    min_interval: float = 0.5  # a held note's own continuation is no second peak
    fanout: int = 4  # (second peak, third peak) choices per anchor
    ratio_bins: int = 16
    interval_step: float = 1.0  # semitones per interval bin
    band_step: float = 6.0  # semitones per anchor-pitch band
    span_step: float = 0.3  # log2 units per band of the triplet's time span
    max_pitch_shift: float = 2.0  # semitones a query may be shifted
    max_time_scale: float = 0.12  # a query may be this much faster or slower


class AudioTriplets(SignalType):
    """Three-peak hashes of mono 8 kHz audio, invariant to speed, pitch and tempo change."""

    name: ClassVar[str] = "audio.triplets"
    version: ClassVar[int] = 2
    kind: ClassVar[MediaKind] = MediaKind.AUDIO

    def __init__(
        self, config: TripletParams | None = None, *, max_seconds: float = 4 * 3600
    ) -> None:
        self.config = config or TripletParams()
        self.max_seconds = max_seconds

    def params(self) -> dict[str, Any]:
        """The triplet settings."""
        return asdict(self.config)

    def index_class(self) -> type[Index]:
        """Triplet hashes are matched exactly: an on-disk, memory-mapped hash index that takes new
        references without a rebuild."""
        return SegmentedHashIndex

    def fingerprint(self, source: str | Path, *, limits: DecodeLimits | None = None) -> Fingerprint:
        """Decode ``source`` to mono PCM at the signal's sample rate and fingerprint it a block
        at a time, so memory stays bounded however long the input (up to ``max_seconds``)."""
        from jianwang.media.audio import iter_audio_blocks

        blocks = iter_audio_blocks(
            source,
            sample_rate=self.config.sample_rate,
            block_seconds=_DECODE_BLOCK_S,
            max_seconds=self.max_seconds,
            limits=limits,
        )
        return self._fingerprint_blocks(blocks)

    def fingerprint_decoded(self, data: object) -> Fingerprint:
        """Fingerprint mono PCM (float, [-1, 1]) sampled at ``config.sample_rate``.

        Besides the codes, ``extra`` keeps each triplet's exact parts (anchor pitch, intervals,
        time ratio, span) so a query can be looked up in neighbouring bins.
        """
        pcm = np.asarray(data, dtype=np.float32)
        if pcm.ndim != 1:
            raise ValueError(f"expected mono PCM (1-D), got shape {pcm.shape}")
        return self._fingerprint_blocks([pcm])

    def _fingerprint_blocks(self, blocks: Iterable[np.ndarray]) -> Fingerprint:
        cfg = self.config
        stream = _PeakStream(self)
        for block in blocks:
            stream.feed(np.asarray(block, dtype=np.float32))
        t, p = stream.finish()
        length = stream.samples / cfg.sample_rate
        parts = self._triplets(t, p)
        if parts.anchor.size == 0:
            return self.empty_fingerprint(length)
        codes = self._hash(parts.pitch, parts.iv1, parts.iv2, parts.ratio, parts.span)
        keep = codes >= 0
        seconds = cfg.hop / cfg.sample_rate
        return Fingerprint(
            self.name,
            self.version,
            self.kind,
            length,
            codes[keep].astype(np.uint32),
            (parts.anchor[keep] * seconds).astype(np.float32),
            {
                "pitch": parts.pitch[keep].astype(np.float32),
                "iv1": parts.iv1[keep].astype(np.float32),
                "iv2": parts.iv2[keep].astype(np.float32),
                "ratio": parts.ratio[keep].astype(np.float32),
                "span": parts.span[keep].astype(np.float32),
            },
        )

    # ------------------------------------------------------------------------------- peaks

    def _peaks(self, pcm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Spectral peaks as (frame index, pitch in semitones above ``f_min``), time-ordered."""
        stream = _PeakStream(self)
        stream.feed(np.asarray(pcm, dtype=np.float32))
        return stream.finish()

    def _select(
        self, t_idx: np.ndarray, f_idx: np.ndarray, strength: np.ndarray, delta: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """The peaks kept of all candidates, as (frame, pitch), time-ordered."""
        cfg = self.config
        if t_idx.size == 0:
            return _no_peaks()
        # A drum hit lifts a peak in every band at once: keep only the most prominent few of a
        # frame, so the budget of the second goes to other moments too.
        order = np.lexsort((-strength, t_idx))
        t_idx, f_idx, strength, delta = (x[order] for x in (t_idx, f_idx, strength, delta))
        keep = _rank_in_runs(t_idx) < cfg.peaks_per_frame
        t_idx, f_idx, strength, delta = (x[keep] for x in (t_idx, f_idx, strength, delta))
        # The most prominent peaks of each second: an even density whatever the loudness.
        frames_per_second = cfg.sample_rate / cfg.hop
        block = (t_idx / frames_per_second).astype(np.int64)
        order = np.lexsort((-strength, block))
        t_idx, f_idx, delta, block = (x[order] for x in (t_idx, f_idx, delta, block))
        keep = _rank_in_runs(block) < cfg.peaks_per_second
        t_idx, f_idx, delta = t_idx[keep], f_idx[keep], delta[keep]
        lo = int(np.ceil(cfg.f_min * cfg.n_fft / cfg.sample_rate))
        freq = (f_idx + lo - 1 + delta) * cfg.sample_rate / cfg.n_fft
        pitch = 12.0 * np.log2(freq / cfg.f_min)
        order = np.lexsort((pitch, t_idx))
        return t_idx[order].astype(np.int64), pitch[order]

    def _block_peaks(
        self, power: np.ndarray, start: int, stop: int, halo: int, floor: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Peaks of frames ``start:stop``: frame, bin, prominence and sub-bin offset."""
        cfg = self.config
        lo, hi = max(0, start - halo), min(power.shape[0], stop + halo)
        # A short average over time steadies a noise floor's random spikes far more than it
        # blurs a note's onset.
        smooth = ndimage.uniform_filter1d(power[lo:hi], size=3, axis=0, mode="nearest")
        logspec = np.log(smooth + 1e-10)
        # Whitening: a peak must stand out from its neighbourhood, not merely be loud.
        local = ndimage.uniform_filter(
            logspec, size=(cfg.whiten_frames, cfg.whiten_bins), mode="nearest"
        )
        prominence = logspec - local
        local_max = ndimage.maximum_filter(
            logspec, size=(cfg.peak_frames, cfg.peak_bins), mode="nearest"
        )
        # The floor keeps codec noise on digital silence from making patterns of its own.
        loud = logspec > np.log(floor)
        cand = (logspec == local_max) & (prominence > cfg.min_prominence) & loud
        cand[:, 0] = False
        cand[:, -1] = False
        cand[: start - lo] = False
        cand[stop - lo :] = False
        t_idx, f_idx = np.nonzero(cand)
        # Parabolic interpolation puts the peak's pitch well inside one FFT bin.
        a, b, c = logspec[t_idx, f_idx - 1], logspec[t_idx, f_idx], logspec[t_idx, f_idx + 1]
        denom = a - 2 * b + c
        safe = np.where(denom < 0, denom, -1.0)
        delta = np.clip(np.where(denom < 0, 0.5 * (a - c) / safe, 0.0), -0.5, 0.5)
        return t_idx + lo, f_idx, prominence[t_idx, f_idx], delta

    # ----------------------------------------------------------------------------- triplets

    def _triplets(self, t: np.ndarray, p: np.ndarray) -> _Triplets:
        """Anchor frame and hash parts of every triplet.

        Each anchor pairs with its nearest reachable second peaks, and each of those with its
        nearest reachable third peaks (``fanout`` combinations in all). Choosing partners by
        strength instead was measured too: it kept triplets under noise a little better but
        formed far fewer distinct shapes, and false matches on unrelated music rose from 1.75 %
        to 11 % of queries.
        """
        cfg = self.config
        n = t.size
        if n < 3:
            return _Triplets.empty()
        look = min(4 * cfg.fanout, n - 1)
        fan = max(1, round(np.sqrt(cfg.fanout)))
        nxt = _next_partners(t, p, look, fan, cfg)  # (n, fan), -1 where none
        ai_list, bi_list, ci_list = [], [], []
        for a in range(fan):
            j = nxt[:, a]
            for b in range(fan):
                ok = j >= 0
                k = np.where(ok, nxt[np.maximum(j, 0), b], -1)
                ok &= k >= 0
                i = np.flatnonzero(ok)
                ai_list.append(i)
                bi_list.append(j[i])
                ci_list.append(k[i])
        ai, bi, ci = np.concatenate(ai_list), np.concatenate(bi_list), np.concatenate(ci_list)
        if ai.size == 0:
            return _Triplets.empty()
        span = (t[ci] - t[ai]).astype(np.float64)
        return _Triplets(
            anchor=t[ai],
            pitch=p[ai],
            iv1=p[bi] - p[ai],
            iv2=p[ci] - p[bi],
            ratio=(t[bi] - t[ai]) / span,
            span=span,
        )

    def _hash(
        self,
        pitch: np.ndarray,
        iv1: np.ndarray,
        iv2: np.ndarray,
        ratio: np.ndarray,
        span: np.ndarray,
    ) -> np.ndarray:
        """Pack the quantised parts into 25 bits; -1 where a part is out of range."""
        return _pack(self._quantise(pitch, iv1, iv2, ratio, span))

    def _quantise(
        self,
        pitch: np.ndarray | None = None,
        iv1: np.ndarray | None = None,
        iv2: np.ndarray | None = None,
        ratio: np.ndarray | None = None,
        span: np.ndarray | None = None,
    ) -> list[np.ndarray]:
        """The bins of the given parts, one array per part (band, interval 1, interval 2, ratio,
        span) in that order; empty for parts not given."""
        cfg = self.config
        rows: list[np.ndarray] = []
        none = np.zeros(0, dtype=np.int64)
        rows.append(none if pitch is None else np.floor(pitch / cfg.band_step).astype(np.int64))
        for iv in (iv1, iv2):
            q = None if iv is None else (iv + cfg.max_interval) / cfg.interval_step + 0.5
            rows.append(none if q is None else np.floor(q).astype(np.int64))
        rows.append(none if ratio is None else np.floor(ratio * cfg.ratio_bins).astype(np.int64))
        rows.append(
            none
            if span is None
            else np.floor(np.log2(np.maximum(span, 1.0)) / cfg.span_step).astype(np.int64)
        )
        return rows

    def query_codes(self, fp: Fingerprint) -> tuple[np.ndarray, np.ndarray]:
        """Every hash a copy's triplet could have had in the reference.

        The anchor band is looked up for every pitch shift within ``max_pitch_shift`` and the span
        band for every time scale within ``max_time_scale``; intervals and ratios close to a bin
        edge are also looked up in the neighbouring bin.
        """
        self.check(fp)
        if fp.empty:
            return fp.codes, fp.positions
        cfg = self.config
        x = fp.extra
        pitch, iv1, iv2 = x["pitch"].astype(np.float64), x["iv1"], x["iv2"]
        ratio, span = x["ratio"].astype(np.float64), x["span"].astype(np.float64)
        # Each part's other values: a part only adds lookups for the triplets where it differs,
        # so no code is generated twice (a full product of all options would be 72 per triplet,
        # mostly repeats).
        shift, scale = cfg.max_pitch_shift, cfg.max_time_scale
        q = self._quantise
        others = [
            [q(pitch=pitch - shift)[0], q(pitch=pitch + shift)[0]],
            [q(iv1=_nudged(iv1, cfg.interval_step, 0.5))[1]],
            [q(iv2=_nudged(iv2, cfg.interval_step, 0.5))[2]],
            [q(ratio=_nudged(ratio * cfg.ratio_bins, 1.0, 0.0) / cfg.ratio_bins)[3]],
            [q(span=span * (1 - scale))[4], q(span=span * (1 + scale))[4]],
        ]
        parts = np.stack(self._quantise(pitch, iv1, iv2, ratio, span))
        owner = np.arange(fp.codes.size)
        for k, alternatives in enumerate(others):
            grown_parts, grown_owner = [parts], [owner]
            for alt in alternatives:
                value = alt[owner]
                differ = np.flatnonzero(value != parts[k])
                extra = parts[:, differ].copy()
                extra[k] = value[differ]
                grown_parts.append(extra)
                grown_owner.append(owner[differ])
            parts, owner = np.concatenate(grown_parts, axis=1), np.concatenate(grown_owner)
        codes = _pack(parts)
        ok = codes >= 0
        return codes[ok].astype(np.uint32), fp.positions[owner[ok]]

    def estimate_pitch_shift(
        self,
        query: Fingerprint,
        reference: Fingerprint,
        query_t: np.ndarray,
        ref_t: np.ndarray,
    ) -> float | None:
        """Semitones the copy sounds above the reference, from the aligned hits.

        A hit pairs a query anchor time with a reference anchor time. Triplets at those two
        times with the same shape (intervals and time ratio agree, which no pitch shift moves)
        are the same notes, and their anchor pitches differ by the shift; the median over all
        aligned hits is robust to the odd chance pairing.
        """
        self.check(query)
        self.check(reference)
        if query.empty or reference.empty or query_t.size == 0:
            return None
        cfg = self.config
        at_query = _triplets_at(query, np.asarray(query_t))
        qa, ra = _cross(at_query, _triplets_at(reference, np.asarray(ref_t)))
        x, y = query.extra, reference.extra
        same = np.abs(x["iv1"][qa] - y["iv1"][ra]) <= 0.5 * cfg.interval_step
        same &= np.abs(x["iv2"][qa] - y["iv2"][ra]) <= 0.5 * cfg.interval_step
        same &= np.abs(x["ratio"][qa] - y["ratio"][ra]) <= 1.0 / cfg.ratio_bins
        shift = (x["pitch"][qa] - y["pitch"][ra])[same]
        shift = shift[np.abs(shift) <= cfg.max_pitch_shift + cfg.band_step / 2]
        if shift.size == 0:
            return None
        return round(float(np.median(shift)), 2)

    def compare(self, a: Fingerprint, b: Fingerprint) -> float:
        """Share of ``a``'s anchor times whose triplets hit ``b`` at one offset (best 0.1 s cell,
        any scale); unrelated audio scores near 0, a copy well above."""
        self.check(a)
        self.check(b)
        if a.empty or b.empty:
            return 0.0
        table = HashIndex(self.stamp())
        table.add(0, b.codes, b.positions)
        codes, positions = self.query_codes(a)
        qidx, _, ref_t = table.lookup(codes)
        if qidx.size == 0:
            return 0.0
        query_t = positions[qidx].astype(np.float64)
        best = 0
        reach = self.config.max_time_scale
        for scale in np.linspace(1 - reach, 1 + reach, 25):
            cells = np.floor((ref_t - scale * query_t) / 0.1).astype(np.int64)
            values, counts = np.unique(cells, return_counts=True)
            top = values[np.argmax(counts)]
            best = max(best, np.unique(query_t[cells == top]).size)
        return float(min(1.0, best / np.unique(a.positions).size))

    def match_policy(self) -> TemporalPolicy:
        """At least 10 distinct aligned anchor times, and an alignment whose chance level
        (Poisson, Bonferroni over scales, offsets and every item the query reached) is below
        1e-9 per query.

        The wanted false-match rate is 1e-3 of queries. The Poisson model treats each query
        moment's hits as independent; in music they are not (repeated bars, shared chord shapes,
        one composer's habits), so it under-estimates chance alignments by orders of magnitude,
        and ``alpha`` sits six orders below the wanted rate. Measured on held-back music against
        43 indexed tracks: 2 false matches in 1,319 queries at 1e-7, 1 at 1e-8, none at 1e-9.
        Because the correction counts items and ``lam`` counts hashes, the bar rises by itself as
        the index grows; ``alpha`` does not depend on the index.
        """
        s = self.config.max_time_scale
        return TemporalPolicy(
            min_aligned=10,
            off_speed_min_rate=OFF_SPEED_MIN_RATE,
            alpha=1e-9,
            speed_min=1.0 - s,
            speed_max=1.0 + s,
            speed_step=0.01,
            offset_bin=0.1,
            max_segments=2,
        )

    def examples(self) -> list[SignalExample]:
        """A 40 s track; excerpts re-encoded, noisy, ±8% speed; unrelated music, noise, silence."""
        sr = self.config.sample_rate
        ref = synth_music(1001, 40.0, sample_rate=sr)

        def excerpt(start: float, seconds: float = 10.0) -> np.ndarray:
            return ref[round(start * sr) : round((start + seconds) * sr)]

        same = [
            ExampleInput("reencoded", reencode(ref, sr)),
            ExampleInput("excerpt_10s", excerpt(17.3)),
            ExampleInput("noise_10db", add_noise(excerpt(5.1), 10.0, seed=3)),
            ExampleInput("speed_1.08", change_speed(excerpt(12.0, 10.8), 1.08)),
            ExampleInput("speed_0.92", change_speed(excerpt(25.0, 9.2), 0.92)),
        ]
        rng = np.random.default_rng(7)
        different = [
            ExampleInput("other_music", synth_music(2002, 15.0, sample_rate=sr)),
            ExampleInput("white_noise", rng.normal(0, 0.3, 10 * sr).astype(np.float32)),
            ExampleInput("silence", np.zeros(10 * sr, dtype=np.float32)),
            ExampleInput("too_short", ref[:200]),
        ]
        return [SignalExample("synthetic_music", ref, same, different)]


class _PeakStream:
    """Peak candidates of audio fed in consecutive blocks, with the same result as one block.

    Spectrogram frames are kept only while a block of peak picking still needs them as context,
    so a ten-hour input costs about one decode block and one picking block of memory.
    """

    def __init__(self, signal: AudioTriplets) -> None:
        cfg = signal.config
        self.signal = signal
        self.n_fft, self.hop = cfg.n_fft, cfg.hop
        self.lo = int(np.ceil(cfg.f_min * cfg.n_fft / cfg.sample_rate)) - 1
        self.hi = int(np.floor(cfg.f_max * cfg.n_fft / cfg.sample_rate)) + 2
        # A full-scale sine peaks at (n_fft / 4)^2 in this power spectrum (Hann window).
        self.floor = (10 ** (cfg.min_level_db / 20) * cfg.n_fft / 4) ** 2
        self.halo = cfg.whiten_frames // 2 + cfg.peak_frames // 2 + 2
        self.samples = 0
        self.pending = np.zeros(0, dtype=np.float32)  # samples not yet starting a whole frame
        self.power = np.zeros((0, self.hi - self.lo), dtype=np.float32)
        self.first = 0  # global index of self.power[0]
        self.done = 0  # frames before this are picked
        self.found: list[tuple[np.ndarray, ...]] = []

    def feed(self, pcm: np.ndarray) -> None:
        """Add the next samples."""
        if pcm.ndim != 1:
            raise ValueError(f"expected mono PCM (1-D), got shape {pcm.shape}")
        self.samples += pcm.size
        buffer = np.concatenate([self.pending, pcm]) if self.pending.size else pcm
        if buffer.size < self.n_fft:
            self.pending = buffer
            return
        frames = (buffer.size - self.n_fft) // self.hop + 1
        power = _power_spectrogram(buffer, self.n_fft, self.hop, self.lo, self.hi)
        self.pending = buffer[frames * self.hop :]
        self.power = np.concatenate([self.power, power]) if self.power.size else power
        self._pick(final=False)

    def finish(self) -> tuple[np.ndarray, np.ndarray]:
        """All peaks, as ``AudioTriplets._peaks`` gives them."""
        self._pick(final=True)
        if not self.found:
            return _no_peaks()
        columns = (np.concatenate(col) for col in zip(*self.found, strict=True))
        return self.signal._select(*columns)

    def _pick(self, *, final: bool) -> None:
        end = self.first + self.power.shape[0]  # frames computed so far
        while self.done < end:
            stop = min(self.done + _PEAK_BLOCK, end)
            if not final and stop + self.halo > end:
                break  # the block's right context has not arrived yet
            t_idx, f_idx, strength, delta = self.signal._block_peaks(
                self.power, self.done - self.first, stop - self.first, self.halo, self.floor
            )
            self.found.append((t_idx + self.first, f_idx, strength, delta))
            self.done = stop
        keep_from = max(self.done - self.halo, self.first)
        self.power = self.power[keep_from - self.first :]
        self.first = keep_from


@dataclass(frozen=True)
class _Triplets:
    """Parts of every triplet of one input, one array element per triplet."""

    anchor: np.ndarray
    pitch: np.ndarray
    iv1: np.ndarray
    iv2: np.ndarray
    ratio: np.ndarray
    span: np.ndarray

    @classmethod
    def empty(cls) -> _Triplets:
        z = np.zeros(0)
        return cls(z.astype(np.int64), z, z, z, z, z)


def _pack(parts: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
    """25-bit codes of quantised parts (rows as ``_quantise`` gives them); -1 out of range."""
    band, q1, q2, qr, qs = (np.asarray(row, dtype=np.int64) for row in parts)
    ok = (band >= 0) & (band < 16) & (q1 >= 0) & (q1 < 64) & (q2 >= 0) & (q2 < 64)
    ok &= (qr >= 0) & (qr < 16) & (qs >= 0) & (qs < 32)
    codes = (band << 21) | (q1 << 15) | (q2 << 9) | (qr << 5) | qs
    return np.where(ok, codes, -1)


def _nudged(values: np.ndarray, step: float, centre: float) -> np.ndarray:
    """``values`` moved into the neighbouring bin where they lie within a quarter step of their
    bin's edge (and left alone elsewhere)."""
    return _near_edges(values, step, centre)[1]


def _near_edges(values: np.ndarray, step: float, centre: float) -> list[np.ndarray]:
    """``values`` plus, where a value lies within a quarter step of its bin's edge, the value
    moved into the neighbouring bin (the same value elsewhere, so duplicates fold away)."""
    pos = np.asarray(values, dtype=np.float64) / step + centre
    frac = pos - np.floor(pos)
    nudge = np.where(frac < 0.25, -0.5, np.where(frac > 0.75, 0.5, 0.0)) * step
    return [np.asarray(values, dtype=np.float64), np.asarray(values, dtype=np.float64) + nudge]


def _power_spectrogram(pcm: np.ndarray, n_fft: int, hop: int, lo: int, hi: int) -> np.ndarray:
    """Hann-windowed power of FFT bins ``lo:hi`` of every frame, float32.

    Frames are transformed a block at a time in single precision: a whole track at once would
    build a windowed copy and a complex spectrum of several hundred megabytes, and the time goes
    to moving memory, not to the transforms.
    """
    frames = np.lib.stride_tricks.sliding_window_view(pcm, n_fft)[::hop]
    window = np.hanning(n_fft).astype(np.float32)
    power = np.empty((frames.shape[0], hi - lo), dtype=np.float32)
    for start in range(0, frames.shape[0], _FFT_BLOCK):
        block = scipy.fft.rfft(frames[start : start + _FFT_BLOCK] * window, axis=1)[:, lo:hi]
        power[start : start + block.shape[0]] = block.real**2 + block.imag**2
    return power


_FFT_BLOCK = 256  # frames per transform: a few hundred kilobytes, cache-sized
_PEAK_BLOCK = 1024  # frames per block of peak picking (16 s)
_DECODE_BLOCK_S = 60.0  # seconds of PCM decoded at a time


def _rank_in_runs(keys: np.ndarray) -> np.ndarray:
    """Each element's rank within its run of equal ``keys`` (which must be grouped)."""
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return np.arange(keys.size) - np.repeat(starts, np.diff(np.r_[starts, keys.size]))


def _triplets_at(fp: Fingerprint, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``times``: (hit index, triplet index) of every triplet anchored there."""
    order = np.argsort(fp.positions, kind="stable")
    ordered = fp.positions[order]
    lo = np.searchsorted(ordered, times, side="left")
    count = np.searchsorted(ordered, times, side="right") - lo
    hit = np.repeat(np.arange(times.size), count)
    start = np.repeat(lo - (np.cumsum(count) - count), count)
    return hit, order[start + np.arange(hit.size)]


def _cross(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Every (triplet of ``a``, triplet of ``b``) pair that belongs to the same hit."""
    (hit_a, ta), (hit_b, tb) = a, b
    order_b = np.argsort(hit_b, kind="stable")
    hit_b, tb = hit_b[order_b], tb[order_b]
    lo = np.searchsorted(hit_b, hit_a, side="left")
    count = np.searchsorted(hit_b, hit_a, side="right") - lo
    left = np.repeat(ta, count)
    start = np.repeat(lo - (np.cumsum(count) - count), count)
    return left, tb[start + np.arange(left.size)]


def _no_peaks() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, np.int64), np.zeros(0)


def _next_partners(
    t: np.ndarray, p: np.ndarray, look: int, fan: int, cfg: TripletParams
) -> np.ndarray:
    """For each peak, the indices of its ``fan`` nearest successors among the ``look`` peaks
    that follow it by at least ``min_gap`` frames, keeping those within the allowed time gap and
    interval (-1 where there are fewer).

    The search starts ``min_gap`` frames on, not at the next peak: on a drum hit a dozen peaks
    share one frame, and counting them would use up the look-ahead before any partner is reached.
    """
    n = t.size
    chosen = np.full((n, fan), -1, dtype=np.int64)
    filled = np.zeros(n, dtype=np.int64)
    first = np.searchsorted(t, t + cfg.min_gap, side="left")
    rows_all = np.arange(n)
    for d in range(look):
        j = first + d
        live = j < n
        rows, j = rows_all[live], j[live]
        gap = t[j] - t[rows]
        interval = np.abs(p[j] - p[rows])
        ok = gap <= cfg.max_gap
        ok &= (interval <= cfg.max_interval) & (interval >= cfg.min_interval)
        ok &= filled[rows] < fan
        rows, j = rows[ok], j[ok]
        chosen[rows, filled[rows]] = j
        filled[rows] += 1
    return chosen
