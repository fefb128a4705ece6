"""What a video run measured, scored against the targets, and its documented JSON form.

Pure bookkeeping over the query outcomes and costs: nothing here decodes video or runs a query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from jianwang.bench.corpus import Skipped, Split
from jianwang.bench.report import rounded
from jianwang.bench.video.conditions import (
    BYTES_PER_HOUR_TARGET,
    DETECTION_TARGETS,
    FALSE_POSITIVE_TARGET,
    LOOKUP_MS_TARGET,
    PEERS,
    SEGMENT_IOU_TARGET,
    SPAN_TRANSFORMS,
    X_REALTIME_480P_TARGET,
    X_REALTIME_1080P_TARGET,
)
from jianwang.bench.video.costs import LookupCost, SpeedCost
from jianwang.bench.video.queries import QueryOutcome
from jianwang.bench.video.settings import VideoBenchSettings

EXAMPLES = 50
"""How many misses and false positives the JSON lists, for whoever tunes the signal."""


@dataclass(frozen=True)
class TransformScore:
    """How one transform fared over its queries (error-free ones)."""

    transform: str
    queries: int
    detected: int
    wrong_item: int
    no_match: int
    mean_iou: float | None
    mean_speed: float | None

    @property
    def rate(self) -> float | None:
        """Share of queries detected (top match the right reference, in the right place)."""
        return self.detected / self.queries if self.queries else None

    @property
    def passed(self) -> bool | None:
        target = DETECTION_TARGETS.get(self.transform)
        return None if target is None else target.met(self.rate)

    @classmethod
    def of(cls, outcomes: Sequence[QueryOutcome], name: str) -> TransformScore:
        mine = [o for o in outcomes if o.positive and o.error is None and o.kind == name]
        found = [o for o in mine if o.detected]
        ious = [o.iou for o in found if o.iou is not None]
        speeds = [o.speed for o in found if o.speed is not None]
        wrong = sum(1 for o in mine if o.matched and not o.right_item)
        return cls(
            name,
            len(mine),
            len(found),
            wrong,
            sum(1 for o in mine if not o.matched),
            _mean(ious),
            _mean(speeds),
        )


@dataclass(frozen=True)
class QueryExample:
    """One query worth a look: a copy not detected, or a negative that matched."""

    file: str
    transform: str
    start_s: float
    query_s: float
    true_span: tuple[float, float] | None
    top_match: str | None
    found_span: tuple[float, float] | None
    score: float | None

    @classmethod
    def of(cls, o: QueryOutcome, names: dict[int, str]) -> QueryExample:
        top = None if o.top_item is None else names.get(o.top_item, "?")

        def span(s: tuple[float, float] | None) -> tuple[float, float] | None:
            return None if s is None else (round(s[0], 2), round(s[1], 2))

        return cls(
            o.file,
            o.kind,
            round(o.start_s, 2),
            round(o.query_s, 2),
            span(o.true_span),
            top,
            span(o.found_span),
            o.score,
        )


@dataclass(frozen=True)
class ReferenceIndexCost:
    """The reference index: clips, seconds and frames indexed, bytes on disk, CPU spent, and
    the references whose own fingerprint finds no match (featureless or static clips)."""

    clips: int
    video_s: float
    frames: int
    bytes_on_disk: int
    cpu_s: float
    wall_s: float
    not_self_matched: tuple[str, ...] = ()

    @property
    def bytes_per_hour(self) -> float:
        return self.bytes_on_disk / (self.video_s / 3600.0) if self.video_s > 0 else 0.0


@dataclass(frozen=True)
class VideoBenchResult:
    """Everything one run measured; ``to_json`` gives the documented JSON form."""

    signal: str
    signal_version: int
    signal_params: dict[str, Any]
    seed: int
    quick: bool
    corpus: str
    settings: VideoBenchSettings
    split: Split
    skipped: tuple[Skipped, ...]
    outcomes: tuple[QueryOutcome, ...]
    names: dict[int, str]
    index: ReferenceIndexCost
    speed: tuple[SpeedCost, ...]
    lookup: LookupCost | None
    peak_rss_mb: float
    wall_s: float
    cpu_s: float

    @property
    def scores(self) -> tuple[TransformScore, ...]:
        return tuple(TransformScore.of(self.outcomes, t) for t in self.settings.transforms)

    def score(self, transform: str) -> TransformScore | None:
        for s in self.scores:
            if s.transform == transform:
                return s
        return None

    @property
    def negatives(self) -> tuple[QueryOutcome, ...]:
        return tuple(o for o in self.outcomes if not o.positive and o.error is None)

    @property
    def false_positives(self) -> tuple[QueryOutcome, ...]:
        return tuple(o for o in self.negatives if o.matched)

    @property
    def false_positive_rate(self) -> float | None:
        """Share of negative queries with any match at all."""
        n = len(self.negatives)
        return len(self.false_positives) / n if n else None

    @property
    def unrelated_pairs(self) -> int:
        """Negative queries times indexed references: every pair that must not match."""
        return len(self.negatives) * self.index.clips

    @property
    def false_positive_pairs(self) -> int:
        return sum(len(o.matched_items) for o in self.negatives)

    @property
    def segment_iou(self) -> float | None:
        """Mean IoU of the matched span with the copy's, over detected span-scored queries."""
        ious = [
            o.iou
            for o in self.outcomes
            if o.kind in SPAN_TRANSFORMS and o.detected and o.iou is not None
        ]
        return _mean(ious)

    def x_realtime(self, label: str) -> float | None:
        for s in self.speed:
            if s.label == label:
                return s.x_realtime
        return None

    @property
    def lookup_ms_per_frame(self) -> float | None:
        return None if self.lookup is None else self.lookup.ms_per_frame

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if o.error is not None)

    def checks(self) -> dict[str, bool | None]:
        """Pass/fail of each target other than detection (``None`` where nothing was measured)."""
        iou = SEGMENT_IOU_TARGET.met(self.segment_iou)
        return {
            "false_positive_rate": FALSE_POSITIVE_TARGET.met(self.false_positive_rate),
            "segment_iou": iou,
            "x_realtime_1080p": X_REALTIME_1080P_TARGET.met(self.x_realtime("1080p")),
            "x_realtime_480p": X_REALTIME_480P_TARGET.met(self.x_realtime("480p")),
            "bytes_per_hour": BYTES_PER_HOUR_TARGET.met(self.index.bytes_per_hour),
            "lookup_ms_per_frame": LOOKUP_MS_TARGET.met(self.lookup_ms_per_frame),
        }

    def to_json(self) -> dict[str, Any]:
        """The JSON document: the issue's keys, then detail, targets, peers and the run."""
        scores = self.scores
        lookup = self.lookup
        positives = [o for o in self.outcomes if o.positive and o.error is None]
        misses = [o for o in positives if not o.detected]
        cpu = {
            stage: rounded(float(np.mean([getattr(o, f"{stage}_cpu_s") for o in self.outcomes])))
            if self.outcomes
            else None
            for stage in ("make", "fingerprint", "match")
        }
        return {
            "detected": {s.transform: rounded(s.rate) for s in scores},
            "false_positive_rate": rounded(self.false_positive_rate),
            "segment_iou": rounded(self.segment_iou),
            "x_realtime_1080p": rounded(self.x_realtime("1080p")),
            "x_realtime_480p": rounded(self.x_realtime("480p")),
            "bytes_per_hour": round(self.index.bytes_per_hour),
            "lookup_ms_per_frame": rounded(self.lookup_ms_per_frame),
            "index_frames": None if lookup is None else lookup.index_frames,
            "benchmark": "video",
            "signal": {
                "name": self.signal,
                "version": self.signal_version,
                "params": self.signal_params,
            },
            "transforms": list(self.settings.transforms),
            "detected_counts": {
                s.transform: {
                    "queries": s.queries,
                    "detected": s.detected,
                    "wrong_item": s.wrong_item,
                    "no_match": s.no_match,
                }
                for s in scores
            },
            "segment_iou_by_transform": {
                s.transform: rounded(s.mean_iou) for s in scores if s.transform in SPAN_TRANSFORMS
            },
            "mean_speed": {s.transform: rounded(s.mean_speed) for s in scores},
            "queries": len(self.outcomes),
            "negative_queries": len(self.negatives),
            "negative_queries_by_kind": {
                kind: sum(1 for o in self.negatives if o.kind == kind)
                for kind in sorted({o.kind for o in self.negatives})
            },
            "false_positives": len(self.false_positives),
            "unrelated_pairs": self.unrelated_pairs,
            "false_positive_pairs": self.false_positive_pairs,
            "false_positive_examples": [
                asdict(QueryExample.of(o, self.names)) for o in self.false_positives[:EXAMPLES]
            ],
            "miss_examples": [asdict(QueryExample.of(o, self.names)) for o in misses[:EXAMPLES]],
            "query_cpu_s_mean": cpu,
            "speed": {
                s.label: {
                    **{k: rounded(v) if isinstance(v, float) else v for k, v in asdict(s).items()},
                    "x_realtime_per_cpu_s": rounded(s.x_realtime_per_cpu_s),
                    "x_realtime": rounded(s.x_realtime),
                }
                for s in self.speed
            },
            "lookup": None
            if lookup is None
            else {
                "index_frames": lookup.index_frames,
                "query_frames": lookup.query_frames,
                "query_codes": lookup.query_codes,
                "measured": [
                    {
                        **{k: rounded(v) for k, v in asdict(p).items()},
                        "ms_per_frame": rounded(p.ms_per_frame(lookup.query_frames)),
                    }
                    for p in lookup.points
                ],
                "extrapolated_to": lookup.extrapolated_to,
                "ms_per_frame": rounded(lookup.ms_per_frame),
                "proportional_ms_per_frame": rounded(lookup.proportional_ms_per_frame),
                "method": (
                    "CPU time of the index search (BinaryIndex.search, as matching calls it) "
                    f"for a real query's codes ({lookup.query_codes} codes, both orientations, "
                    f"of {lookup.query_frames} frames), repeated for at least 0.5 s, divided by "
                    "searches and query frames, in indexes of "
                    f"{', '.join(str(p.index_frames) for p in lookup.points)} random reference "
                    f"frames; ms_per_frame is the least-squares line through these at "
                    f"{lookup.extrapolated_to} frames, proportional_ms_per_frame the largest "
                    "index's figure scaled in proportion to the frames (an upper bound)"
                ),
            },
            "index": {
                "clips": self.index.clips,
                "video_s": rounded(self.index.video_s),
                "frames": self.index.frames,
                "bytes_on_disk": self.index.bytes_on_disk,
                "bytes_per_hour": rounded(self.index.bytes_per_hour),
                "cpu_s": rounded(self.index.cpu_s),
                "wall_s": rounded(self.index.wall_s),
                "not_self_matched": list(self.index.not_self_matched),
            },
            "peak_rss_mb": rounded(self.peak_rss_mb),
            "targets": {
                "detected": {k: t.bound for k, t in DETECTION_TARGETS.items()},
                "false_positive_rate": FALSE_POSITIVE_TARGET.bound,
                "segment_iou": SEGMENT_IOU_TARGET.bound,
                "x_realtime_1080p": X_REALTIME_1080P_TARGET.bound,
                "x_realtime_480p": X_REALTIME_480P_TARGET.bound,
                "bytes_per_hour": BYTES_PER_HOUR_TARGET.bound,
                "lookup_ms_per_frame": LOOKUP_MS_TARGET.bound,
            },
            "passed": {
                "detected": {s.transform: s.passed for s in scores},
                **self.checks(),
            },
            "peers": {p: dict(f) for p, f in PEERS.items()},
            "split": {
                "references": [t.file for t in self.split.references],
                "negatives": [t.file for t in self.split.negatives],
                "duplicates": [asdict(d) for d in self.split.duplicates],
            },
            "skipped": [asdict(s) for s in self.skipped],
            "errors": self.errors,
            "seed": self.seed,
            "quick": self.quick,
            "corpus": self.corpus,
            "settings": {
                k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.settings).items()
            },
            "wall_s": rounded(self.wall_s),
            "cpu_s": rounded(self.cpu_s),
        }


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None
