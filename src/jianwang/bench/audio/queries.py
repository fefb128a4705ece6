"""Running the planned queries and judging each answer, here or in spawned worker processes.

Everything a worker needs is importable from this module at top level (``_run_shard`` and what
it calls), as the "spawn" start method requires; the parent only shards and collects.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import signal as sps

from jianwang.bench.audio.conditions import Condition
from jianwang.bench.audio.plan import Excerpt
from jianwang.bench.workers import run_shards
from jianwang.errors import MediaError
from jianwang.index.base import Index
from jianwang.matching.engine import match
from jianwang.matching.result import SegmentMatch
from jianwang.media import effects
from jianwang.media.audio import decode_audio
from jianwang.signals.base import SignalType

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is ``"indexing"`` (tracks) or ``"querying"``."""

OFFSET_TOLERANCE_S = 0.5
"""A match's reference start within this of the truth is at the right place."""
REPEAT_CORRELATION = 0.9
"""Reference audio at the found and the true place this alike (normalised) is a repeat."""
_REPEAT_RATE = 8000


@dataclass(frozen=True)
class QueryOutcome:
    """What one query found. ``offset_ok`` is judged only for correct identifications."""

    condition: str
    duration_s: float
    file: str
    start_s: float
    expected_item: int | None
    top_item: int | None = None
    offset_ok: bool | None = None
    speed: float | None = None
    cpu_s: float = 0.0
    error: str | None = None

    @property
    def positive(self) -> bool:
        return self.expected_item is not None

    @property
    def matched(self) -> bool:
        return self.top_item is not None

    @property
    def correct(self) -> bool:
        return self.positive and self.top_item == self.expected_item


@dataclass(frozen=True)
class _Shard:
    """A batch of excerpts for one worker call; the index is loaded once per shard."""

    signal: SignalType
    index_path: Path
    work_rate: int
    signal_rate: int
    margin_s: float
    excerpts: tuple[Excerpt, ...]


def _run_shard(shard: _Shard, index: Index | None = None) -> list[QueryOutcome]:
    """Run every query of ``shard`` (in a worker process, or here when ``index`` is given)."""
    if index is None:
        index = shard.signal.load_index(shard.index_path)
    return [o for excerpt in shard.excerpts for o in _run_excerpt(shard, index, excerpt)]


def _run_excerpt(shard: _Shard, index: Index, ex: Excerpt) -> list[QueryOutcome]:
    rate, margin = shard.work_rate, shard.margin_s
    blank = [
        QueryOutcome(c.name, ex.duration_s, ex.track.file, ex.start_s, ex.item_id)
        for c in ex.conditions
    ]
    longest = max(c.time_factor for c in ex.conditions)
    try:
        cut = decode_audio(
            ex.track.path,
            sample_rate=rate,
            start_s=ex.start_s - margin,
            max_seconds=ex.duration_s * longest + 2 * margin,
        )
    except MediaError as exc:
        log.warning("%s: cannot decode an excerpt: %s", ex.track.file, exc)
        return [replace(o, error=str(exc)) for o in blank]
    out: list[QueryOutcome] = []
    for k, (condition, outcome) in enumerate(zip(ex.conditions, blank, strict=True)):
        factor = condition.time_factor
        source = cut[: round((ex.duration_s * factor + 2 * margin) * rate)]
        copy = condition.effect.apply(source, rate, seed=ex.seed + k)
        skip = round(margin / factor * rate)
        query = copy[skip : skip + round(ex.duration_s * rate)]
        pcm = effects.resample(query, rate, shard.signal_rate)
        cpu0 = time.process_time()
        found = match(shard.signal, index, shard.signal.fingerprint_decoded(pcm), max_results=5)
        cpu = time.process_time() - cpu0
        out.append(_judge(outcome, ex, condition, found[0] if found else None, cpu))
    return out


def _judge(
    outcome: QueryOutcome,
    ex: Excerpt,
    condition: Condition,
    top: SegmentMatch | None,
    cpu_s: float,
) -> QueryOutcome:
    if top is None:
        return replace(outcome, cpu_s=cpu_s)
    offset_ok = None
    if top.item_id == ex.item_id:
        # Where the match puts query time 0 in the reference, whatever part of the query aligned.
        found_start = top.ref_start - top.speed * top.query_start
        span = ex.duration_s * condition.time_factor
        offset_ok = abs(found_start - ex.start_s) <= OFFSET_TOLERANCE_S or _is_repeat(
            ex.track.path, ex.start_s, found_start, span
        )
    return replace(outcome, top_item=top.item_id, offset_ok=offset_ok, speed=top.speed, cpu_s=cpu_s)


def _is_repeat(path: Path, true_start: float, found_start: float, seconds: float) -> bool:
    """Whether the reference at ``found_start`` repeats the audio at ``true_start``.

    The true passage is slid over the found one (±``OFFSET_TOLERANCE_S``) and the best
    normalised correlation compared with ``REPEAT_CORRELATION``: a loop repeated sample for
    sample scores near 1, a merely similar passage (same melody, other voicing) far lower.
    """
    tol = OFFSET_TOLERANCE_S
    if found_start + tol < 0:
        return False
    try:
        truth = decode_audio(
            path, sample_rate=_REPEAT_RATE, start_s=true_start, max_seconds=seconds
        )
        found = decode_audio(
            path,
            sample_rate=_REPEAT_RATE,
            start_s=max(found_start - tol, 0.0),
            max_seconds=seconds + 2 * tol,
        )
    except MediaError:
        return False
    return best_correlation(truth, found) >= REPEAT_CORRELATION


def best_correlation(needle: np.ndarray, haystack: np.ndarray) -> float:
    """The highest normalised correlation of ``needle`` with any same-length window of
    ``haystack`` (0 when it does not fit or either is silent)."""
    a = np.asarray(needle, dtype=np.float64)
    b = np.asarray(haystack, dtype=np.float64)
    norm = float(np.dot(a, a))
    if a.size == 0 or b.size < a.size or norm <= 0:
        return 0.0
    dots = sps.fftconvolve(b, a[::-1], mode="valid")
    csum = np.concatenate([[0.0], np.cumsum(b * b)])
    energy = np.maximum(csum[a.size :] - csum[: -a.size], 0.0)
    return float(np.max(dots / np.maximum(np.sqrt(energy * norm), 1e-12)))


def _shards(excerpts: list[Excerpt], count: int, base: _Shard) -> list[_Shard]:
    """About ``count`` shards of similar query counts (excerpts come shuffled)."""
    total = sum(len(e.conditions) for e in excerpts)
    size = max(1, math.ceil(total / max(count, 1)))
    shards: list[_Shard] = []
    batch: list[Excerpt] = []
    for excerpt in excerpts:
        batch.append(excerpt)
        if sum(len(e.conditions) for e in batch) >= size:
            shards.append(replace(base, excerpts=tuple(batch)))
            batch = []
    if batch:
        shards.append(replace(base, excerpts=tuple(batch)))
    return shards


def _execute(
    shards: list[_Shard], index: Index, workers: int, progress: ProgressFn | None
) -> list[QueryOutcome]:
    total = sum(len(e.conditions) for s in shards for e in s.excerpts)
    return run_shards(_run_shard, shards, index, workers=workers, total=total, progress=progress)
