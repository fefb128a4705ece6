"""The harness: ``run_video_bench`` ties corpus, index, plan, queries, costs and scores together.

The only module that times the whole run and owns the temporary folder (index, query files,
speed clips).
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from jianwang.bench.corpus import Skipped, Track, read_manifest, split_corpus
from jianwang.bench.report import (
    Stopwatch,
    available_cores,
    children_cpu_seconds,
    disk_bytes,
    peak_rss_mb,
)
from jianwang.bench.video.costs import LookupCost, measure_lookup, measure_speed, speed_sources
from jianwang.bench.video.plan import plan_queries
from jianwang.bench.video.queries import ProgressFn, _execute, _Shard, _shards
from jianwang.bench.video.result import ReferenceIndexCost, VideoBenchResult
from jianwang.bench.video.settings import VideoBenchSettings
from jianwang.errors import MediaError, UserError
from jianwang.index.base import Index
from jianwang.matching.engine import match
from jianwang.signals.base import Fingerprint, MediaKind, SignalType
from jianwang.signals.registry import default_registry

log = logging.getLogger(__name__)


def is_video_kind(kind: str) -> bool:
    """Manifest kinds the video benchmark takes: ``video`` and its variants (``video-synth...``)."""
    return kind == "video" or kind.startswith("video-")


def read_video_corpus(corpus: Path) -> tuple[list[Track], list[Skipped]]:
    """The video clips ``MANIFEST.csv`` lists (``UserError`` if it is not a corpus folder)."""
    return read_manifest(corpus, kind=is_video_kind)


def _video_signal(signal: SignalType | None) -> SignalType:
    if signal is not None:
        if signal.kind is not MediaKind.VIDEO:
            raise UserError(f"{signal.name} is a {signal.kind} signal, not a video one")
        return signal
    video = default_registry().for_kind(MediaKind.VIDEO)
    if not video:
        raise UserError("no video signal type is registered")
    return video[0]


def _build_index(
    signal: SignalType, references: Sequence[Track], folder: Path, progress: ProgressFn | None
) -> tuple[Index, Path, list[tuple[int, Track]], list[Skipped], ReferenceIndexCost]:
    """Index the references (decode + fingerprint + add + save, CPU-timed) into ``folder``.

    Returns the index, its path, the (item id, clip) pairs indexed, with durations as decoded,
    the clips that would not decode, and the cost. Each reference's own fingerprint is then
    looked up (untimed): one that does not find itself cannot be found by any copy either.
    """
    index = signal.new_index()
    path = folder / "index" / "references.index"
    path.parent.mkdir()
    indexed: list[tuple[int, Track]] = []
    skipped: list[Skipped] = []
    prints: list[Fingerprint] = []
    video_s, frames = 0.0, 0
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
            prints.append(fp)
            video_s += fp.length
            frames += int(fp.codes.size)
            indexed.append((item_id, replace(track, duration_s=min(track.duration_s, fp.length))))
        index.save(path)
    if progress is not None:
        progress("indexing", len(references), len(references))
    cost = ReferenceIndexCost(
        len(indexed), video_s, frames, disk_bytes(path.parent), watch.cpu_s, watch.wall_s
    )
    log.info("indexed %d clips (%.0f s of video) in %.1f CPU s", len(indexed), video_s, cost.cpu_s)
    unmatched = tuple(
        track.file
        for (item_id, track), fp in zip(indexed, prints, strict=True)
        if item_id not in {m.item_id for m in match(signal, index, fp, max_results=5)}
    )
    return index, path, indexed, skipped, replace(cost, not_self_matched=unmatched)


def run_video_bench(
    corpus: Path,
    *,
    seed: int = 2026,
    signal: SignalType | None = None,
    quick: bool = False,
    settings: VideoBenchSettings | None = None,
    progress: ProgressFn | None = None,
) -> VideoBenchResult:
    """Run the video copy-detection benchmark on ``corpus`` and return what it measured.

    ``signal`` defaults to the first video signal of ``default_registry()``; ``settings``
    defaults to the full run, or ``VideoBenchSettings.quick()`` with ``quick``. The same seed,
    corpus and settings give the same split, excerpts and copies.
    """
    wall0, cpu0, children0 = time.perf_counter(), time.process_time(), children_cpu_seconds()
    signal = _video_signal(signal)
    settings = settings or (VideoBenchSettings.quick() if quick else VideoBenchSettings())
    transforms = settings.active_transforms()
    clips, skipped = read_video_corpus(Path(corpus))
    split = split_corpus(
        clips, seed=seed, holdout=settings.holdout, min_track_s=settings.min_clip_s
    )
    references = list(split.references)
    if settings.max_references is not None and len(references) > settings.max_references:
        # The longest references: they give the full-length excerpts the run is about.
        longest = sorted(references, key=lambda t: (-t.duration_s, t.file))
        keep = {t.file for t in longest[: settings.max_references]}
        references = [t for t in references if t.file in keep]
    if not references:
        raise UserError(f"{corpus}: no video clip of at least {settings.min_clip_s:g} s to index")
    with tempfile.TemporaryDirectory(prefix="jianwang-vbench-") as tmp:
        folder = Path(tmp)
        index, index_path, indexed, bad, cost = _build_index(signal, references, folder, progress)
        skipped.extend(bad)
        if not indexed:
            raise UserError(f"{corpus}: no reference clip could be fingerprinted")
        rng = np.random.default_rng([seed, 1])
        plan = plan_queries(indexed, split.negatives, settings, transforms, rng)
        plan = [plan[int(i)] for i in rng.permutation(len(plan))]  # mix kinds in every shard
        workers = settings.workers or available_cores()
        work = folder / "queries"
        work.mkdir()
        base = _Shard(signal, index_path, work, settings, ())
        shards = _shards(plan, workers * settings.shards_per_worker, base)
        outcomes = _execute(shards, index, workers, progress)
        if progress is not None:
            progress("costs", 0, 2)
        sources = speed_sources(clips)
        speed, query = measure_speed(signal, sources, folder, settings.speed_clip_s)
        if progress is not None:
            progress("costs", 1, 2)
        lookup: LookupCost | None = None
        if query is not None and not query.empty:
            lookup = measure_lookup(signal, query, settings.lookup_frames, seed)
        if progress is not None:
            progress("costs", 2, 2)
    names = {item_id: track.file for item_id, track in indexed}
    failed = sorted({o.file for o in outcomes if o.error is not None})
    skipped += [Skipped(f, "a query failed to decode or encode") for f in failed]
    return VideoBenchResult(
        signal=signal.name,
        signal_version=signal.version,
        signal_params=signal.stamp().params,
        seed=seed,
        quick=quick,
        corpus=str(corpus),
        settings=replace(settings, transforms=tuple(t.name for t in transforms)),
        split=replace(split, references=tuple(t for _, t in indexed)),
        skipped=tuple(skipped),
        outcomes=tuple(sorted(outcomes, key=lambda o: (o.kind, o.file))),
        names=names,
        index=cost,
        speed=tuple(speed),
        lookup=lookup,
        peak_rss_mb=peak_rss_mb(),
        wall_s=time.perf_counter() - wall0,
        cpu_s=time.process_time() - cpu0 + children_cpu_seconds() - children0,
    )
