"""The harness: ``run_audio_bench`` ties corpus, index, plan, queries and scores together.

The only module that times the whole run and owns the temporary index folder.
"""

from __future__ import annotations

import logging
import math
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from jianwang.bench.audio.conditions import duration_label
from jianwang.bench.audio.corpus import Skipped, Track, read_corpus, split_corpus
from jianwang.bench.audio.plan import _plan_negatives, _plan_positives
from jianwang.bench.audio.queries import ProgressFn, _execute, _Shard, _shards
from jianwang.bench.audio.result import (
    AudioBenchResult,
    ConditionScore,
    IndexCost,
    QueryExample,
    _mean,
)
from jianwang.bench.audio.settings import AudioBenchSettings
from jianwang.bench.report import (
    Stopwatch,
    available_cores,
    children_cpu_seconds,
    disk_bytes,
    peak_rss_mb,
)
from jianwang.errors import MediaError, UserError
from jianwang.index.base import Index
from jianwang.signals.base import MediaKind, SignalType
from jianwang.signals.registry import default_registry

log = logging.getLogger(__name__)

_DEFAULT_SIGNAL_RATE = 8000


def _audio_signal(signal: SignalType | None) -> SignalType:
    if signal is not None:
        if signal.kind is not MediaKind.AUDIO:
            raise UserError(f"{signal.name} is a {signal.kind} signal, not an audio one")
        return signal
    audio = default_registry().for_kind(MediaKind.AUDIO)
    if not audio:
        raise UserError("no audio signal type is registered")
    return audio[0]


def _build_index(
    signal: SignalType, references: Sequence[Track], folder: Path, progress: ProgressFn | None
) -> tuple[Index, Path, list[tuple[int, Track]], list[Skipped], IndexCost]:
    """Index the references (decode + fingerprint + add + save, CPU-timed) into ``folder``.

    The save is timed too: it is where an index sorts, merges or compresses what was added.
    Returns the index, its path, the (item id, track) pairs indexed, with durations as decoded,
    the files that would not decode, and the cost.
    """
    index = signal.new_index()
    path = folder / "references.index"
    indexed: list[tuple[int, Track]] = []
    skipped: list[Skipped] = []
    audio_s = 0.0
    with Stopwatch() as watch:
        for item_id, track in enumerate(references):
            if progress is not None:
                progress("indexing", item_id, len(references))
            try:
                fp = signal.fingerprint(track.path)
            except MediaError as exc:
                log.warning("skipping %s: %s", track.file, exc)
                skipped.append(Skipped(track.file, str(exc)))
                continue
            signal.add_to_index(index, item_id, fp)
            audio_s += fp.length
            indexed.append((item_id, replace(track, duration_s=min(track.duration_s, fp.length))))
        index.save(path)
    if progress is not None:
        progress("indexing", len(references), len(references))
    cost = IndexCost(len(indexed), audio_s, watch.cpu_s, watch.wall_s, disk_bytes(folder))
    log.info("indexed %d tracks (%.0f s of audio) in %.1f CPU s", cost.tracks, audio_s, watch.cpu_s)
    return index, path, indexed, skipped, cost


def run_audio_bench(
    corpus: Path,
    *,
    seed: int = 2026,
    signal: SignalType | None = None,
    quick: bool = False,
    settings: AudioBenchSettings | None = None,
    progress: ProgressFn | None = None,
) -> AudioBenchResult:
    """Run the audio identification benchmark on ``corpus`` and return what it measured.

    ``signal`` defaults to the first audio signal of ``default_registry()``; ``settings``
    defaults to the full run, or ``AudioBenchSettings.quick()`` with ``quick``. The same seed,
    corpus and settings give the same split, excerpts and transformations.
    """
    wall0, cpu0, children0 = time.perf_counter(), time.process_time(), children_cpu_seconds()
    signal = _audio_signal(signal)
    settings = settings or (AudioBenchSettings.quick() if quick else AudioBenchSettings())
    conditions = settings.active_conditions()
    tracks, skipped = read_corpus(Path(corpus))
    split = split_corpus(
        tracks, seed=seed, holdout=settings.holdout, min_track_s=settings.min_track_s
    )
    if not split.references:
        raise UserError(f"{corpus}: no music of at least {settings.min_track_s:g} s to index")
    signal_rate = getattr(getattr(signal, "config", None), "sample_rate", _DEFAULT_SIGNAL_RATE)
    with tempfile.TemporaryDirectory(prefix="jianwang-bench-") as tmp:
        index, index_path, indexed, bad, cost = _build_index(
            signal, split.references, Path(tmp), progress
        )
        skipped.extend(bad)
        rng = np.random.default_rng([seed, 1])
        plan = _plan_positives(indexed, settings, conditions, rng)
        plan += _plan_negatives(split.negatives, settings, conditions, rng)
        plan = [plan[int(i)] for i in rng.permutation(len(plan))]  # mix kinds in every shard
        workers = settings.workers or available_cores()
        base = _Shard(
            signal, index_path, settings.work_rate, int(signal_rate), settings.margin_s, ()
        )
        shards = _shards(plan, workers * settings.shards_per_worker, base)
        outcomes = _execute(shards, index, workers, progress)
    names = {item_id: track.file for item_id, track in indexed}
    errors = [o for o in outcomes if o.error is not None]
    skipped += [Skipped(f, "excerpts failed to decode") for f in sorted({o.file for o in errors})]
    negative = [o for o in outcomes if not o.positive and o.error is None]
    positive = [o for o in outcomes if o.positive and o.error is None]
    clean_ms = {
        duration_label(d): _mean(
            [
                1000 * o.cpu_s
                for o in positive
                if o.condition == "clean" and math.isclose(o.duration_s, d)
            ]
        )
        for d in settings.durations_s
    }
    return AudioBenchResult(
        signal=signal.name,
        signal_version=signal.version,
        signal_params=signal.stamp().params,
        seed=seed,
        quick=quick,
        corpus=str(corpus),
        settings=replace(settings, conditions=tuple(c.name for c in conditions)),
        split=replace(split, references=tuple(t for _, t in indexed)),
        skipped=tuple(skipped),
        scores=tuple(
            ConditionScore.of(positive, c.name, d) for c in conditions for d in settings.durations_s
        ),
        negative_queries=len(negative),
        false_matches=tuple(QueryExample.of(o, names) for o in negative if o.matched),
        misses=tuple(QueryExample.of(o, names) for o in positive if not o.correct),
        index=cost,
        query_ms=clean_ms,
        peak_rss_mb=peak_rss_mb(),
        peak_rss_mb_main=peak_rss_mb(children=False),
        wall_s=time.perf_counter() - wall0,
        cpu_s=time.process_time() - cpu0 + children_cpu_seconds() - children0,
        errors=len(errors),
    )
