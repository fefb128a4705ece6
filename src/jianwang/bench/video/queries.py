"""Running the planned queries and judging each answer, here or in spawned worker processes.

A query is made as a file (``copies.make_query``), fingerprinted from that file as a downloaded
copy would be, matched against the saved index and deleted. Everything a worker needs is
importable from this module at top level (``_run_shard`` and what it calls), as the "spawn"
start method requires; the parent only shards and collects.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from jianwang.bench.video.copies import make_query
from jianwang.bench.video.plan import VideoQuery
from jianwang.bench.video.settings import VideoBenchSettings
from jianwang.bench.workers import run_shards
from jianwang.errors import MediaError
from jianwang.index.base import Index
from jianwang.matching.engine import match
from jianwang.signals.base import SignalType

log = logging.getLogger(__name__)

ProgressFn = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is ``"indexing"`` (clips), ``"querying"``, or
``"costs"`` (the speed clips and the lookup index)."""


def span_iou(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Intersection over union of two time spans (0 when they do not meet)."""
    inter = max(0.0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union > 0 else 0.0


@dataclass(frozen=True)
class QueryOutcome:
    """What one query found. Spans are in query seconds; ``true_span`` is where the copy sits
    (``None`` for a negative), ``found_span`` the top match's query span."""

    kind: str
    file: str
    start_s: float
    expected_item: int | None
    query_s: float = 0.0
    true_span: tuple[float, float] | None = None
    top_item: int | None = None
    score: float | None = None
    found_span: tuple[float, float] | None = None
    ref_start: float | None = None
    speed: float | None = None
    matched_items: tuple[int, ...] = ()
    make_cpu_s: float = 0.0
    fingerprint_cpu_s: float = 0.0
    match_cpu_s: float = 0.0
    error: str | None = None

    @property
    def positive(self) -> bool:
        return self.expected_item is not None

    @property
    def matched(self) -> bool:
        return self.top_item is not None

    @property
    def right_item(self) -> bool:
        return self.positive and self.top_item == self.expected_item

    @property
    def iou(self) -> float | None:
        """IoU of the matched span with the true one, for a match of the right item."""
        if not self.right_item or self.found_span is None or self.true_span is None:
            return None
        return span_iou(self.found_span, self.true_span)

    @property
    def detected(self) -> bool:
        """The top match is the right reference and, for an embedded copy, overlaps it."""
        if not self.right_item:
            return False
        return self.kind != "embedded" or (self.iou or 0.0) > 0.0


@dataclass(frozen=True)
class _Shard:
    """A batch of queries for one worker call; the index is loaded once per shard."""

    signal: SignalType
    index_path: Path
    work_dir: Path
    settings: VideoBenchSettings
    queries: tuple[VideoQuery, ...]


def _run_shard(shard: _Shard, index: Index | None = None) -> list[QueryOutcome]:
    """Run every query of ``shard`` (in a worker process, or here when ``index`` is given)."""
    if index is None:
        index = shard.signal.load_index(shard.index_path)
    return [_run_query(shard, index, q) for q in shard.queries]


def _run_query(shard: _Shard, index: Index, q: VideoQuery) -> QueryOutcome:
    blank = QueryOutcome(q.kind, q.file, q.start_s, q.item_id)
    dst = shard.work_dir / f"query-{q.seed}-{q.kind}.mp4"
    try:
        cpu0 = time.process_time()
        made = make_query(q, dst, shard.settings)
        cpu1 = time.process_time()
        fp = shard.signal.fingerprint(made.path)
        cpu2 = time.process_time()
        found = match(shard.signal, index, fp, max_results=5)
        cpu3 = time.process_time()
    except MediaError as exc:
        log.warning("%s (%s): query failed: %s", q.file, q.kind, exc)
        return replace(blank, error=str(exc))
    finally:
        dst.unlink(missing_ok=True)
    out = replace(
        blank,
        query_s=made.seconds,
        true_span=made.span,
        matched_items=tuple(sorted({m.item_id for m in found})),
        make_cpu_s=cpu1 - cpu0,
        fingerprint_cpu_s=cpu2 - cpu1,
        match_cpu_s=cpu3 - cpu2,
    )
    if not found:
        return out
    top = found[0]
    return replace(
        out,
        top_item=top.item_id,
        score=top.score,
        found_span=(top.query_start, top.query_end),
        ref_start=top.ref_start,
        speed=top.speed,
    )


def _shards(queries: list[VideoQuery], count: int, base: _Shard) -> list[_Shard]:
    """About ``count`` shards of similar query counts (queries come shuffled)."""
    size = max(1, math.ceil(len(queries) / max(count, 1)))
    return [
        replace(base, queries=tuple(queries[i : i + size])) for i in range(0, len(queries), size)
    ]


def _execute(
    shards: list[_Shard], index: Index, workers: int, progress: ProgressFn | None
) -> list[QueryOutcome]:
    total = sum(len(s.queries) for s in shards)
    return run_shards(_run_shard, shards, index, workers=workers, total=total, progress=progress)
