"""What a run measured, scored against the targets, and its documented JSON form.

Pure bookkeeping over the query outcomes and costs: nothing here decodes audio or runs a query.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from jianwang.bench.audio.conditions import (
    FALSE_MATCH_TARGET,
    INDEX_BYTES_PER_HOUR_TARGET,
    INDEX_SPEED_TARGET,
    MIN_NEGATIVE_QUERIES,
    PEERS,
    QUERY_MS_TARGET,
    RECALL_TARGETS,
    _pair_json,
    duration_label,
    recall_target,
)
from jianwang.bench.audio.corpus import Skipped, Split
from jianwang.bench.audio.queries import QueryOutcome
from jianwang.bench.audio.settings import AudioBenchSettings
from jianwang.bench.report import Target, rounded

EXAMPLES = 50
"""How many false matches and misses the JSON lists, for whoever tunes the signal."""


@dataclass(frozen=True)
class ConditionScore:
    """How one condition fared at one excerpt length."""

    condition: str
    duration_s: float
    queries: int
    correct: int
    offset_ok: int
    mean_speed: float | None

    @property
    def recall(self) -> float | None:
        """Share of queries whose top match is the right work."""
        return self.correct / self.queries if self.queries else None

    @property
    def offset_accuracy(self) -> float | None:
        """Share of the correct answers that also put the excerpt at the right place
        (within ``OFFSET_TOLERANCE_S``, or on an exact repeat of it)."""
        return self.offset_ok / self.correct if self.correct else None

    @property
    def target(self) -> Target | None:
        return recall_target(self.condition, self.duration_s)

    @classmethod
    def of(cls, outcomes: Sequence[QueryOutcome], name: str, duration_s: float) -> ConditionScore:
        """The score of the positive, error-free ``outcomes`` of this condition and length."""
        mine = [
            o
            for o in outcomes
            if o.positive and o.error is None and o.condition == name
            if math.isclose(o.duration_s, duration_s)
        ]
        right = [o for o in mine if o.correct]
        speeds = [o.speed for o in right if o.speed is not None]
        ok = sum(1 for o in right if o.offset_ok)
        return cls(name, duration_s, len(mine), len(right), ok, _mean(speeds))


@dataclass(frozen=True)
class QueryExample:
    """One query worth a look: a negative that matched, or a positive that did not."""

    file: str
    start_s: float
    duration_s: float
    condition: str
    top_match: str | None

    @classmethod
    def of(cls, outcome: QueryOutcome, names: dict[int, str]) -> QueryExample:
        top = None if outcome.top_item is None else names.get(outcome.top_item, "?")
        start = round(outcome.start_s, 3)
        return cls(outcome.file, start, outcome.duration_s, outcome.condition, top)


@dataclass(frozen=True)
class IndexCost:
    """Building the reference index: decode, fingerprint, add and save, in CPU seconds."""

    tracks: int
    audio_s: float
    cpu_s: float
    wall_s: float
    bytes_on_disk: int

    @property
    def x_realtime_per_core(self) -> float:
        return self.audio_s / self.cpu_s if self.cpu_s > 0 else math.inf

    @property
    def bytes_per_hour(self) -> float:
        return self.bytes_on_disk / (self.audio_s / 3600.0) if self.audio_s > 0 else 0.0


@dataclass(frozen=True)
class AudioBenchResult:
    """Everything one run measured; ``to_json`` gives the documented JSON form."""

    signal: str
    signal_version: int
    signal_params: dict[str, Any]
    seed: int
    quick: bool
    corpus: str
    settings: AudioBenchSettings
    split: Split
    skipped: tuple[Skipped, ...]
    scores: tuple[ConditionScore, ...]
    negative_queries: int
    false_matches: tuple[QueryExample, ...]
    misses: tuple[QueryExample, ...]
    index: IndexCost
    query_ms: dict[str, float | None]  # duration label -> mean CPU ms of a clean query
    peak_rss_mb: float
    peak_rss_mb_main: float
    wall_s: float
    cpu_s: float
    errors: int = 0

    @property
    def false_match_rate(self) -> float | None:
        """Share of negative queries with any match at all (the signal's threshold decides)."""
        return len(self.false_matches) / self.negative_queries if self.negative_queries else None

    @property
    def queries(self) -> int:
        return sum(s.queries for s in self.scores) + self.negative_queries

    @property
    def query_ms_10s(self) -> float | None:
        return self.query_ms.get(duration_label(10.0))

    def score(self, condition: str, duration_s: float) -> ConditionScore | None:
        """The score of one condition at one excerpt length, if it was run."""
        for s in self.scores:
            if s.condition == condition and math.isclose(s.duration_s, duration_s):
                return s
        return None

    def checks(self) -> dict[str, bool | None]:
        """Pass/fail of each target other than recall (``None`` where nothing was measured)."""
        low = FALSE_MATCH_TARGET.met(self.false_match_rate)
        return {
            "false_match_rate": None
            if low is None
            else low and self.negative_queries >= MIN_NEGATIVE_QUERIES,
            "index_x_realtime_per_core": INDEX_SPEED_TARGET.met(self.index.x_realtime_per_core),
            "query_ms_10s": QUERY_MS_TARGET.met(self.query_ms_10s),
            "index_bytes_per_hour": INDEX_BYTES_PER_HOUR_TARGET.met(self.index.bytes_per_hour),
        }

    def _per_condition(self, get: Callable[[ConditionScore], Any]) -> dict[str, dict[str, Any]]:
        return {
            name: {
                duration_label(d): None if s is None else rounded(get(s))
                for d in self.settings.durations_s
                for s in [self.score(name, d)]
            }
            for name in self.settings.conditions
        }

    def to_json(self) -> dict[str, Any]:
        """The JSON document: the issue's keys, then targets, peers, and how the run was made."""
        fm_by_condition = Counter(f.condition for f in self.false_matches)
        return {
            "recall": self._per_condition(lambda s: s.recall),
            "false_match_rate": rounded(self.false_match_rate),
            "index_x_realtime_per_core": rounded(self.index.x_realtime_per_core),
            "query_ms_10s": rounded(self.query_ms_10s),
            "index_bytes_per_hour": round(self.index.bytes_per_hour),
            "peak_rss_mb": rounded(self.peak_rss_mb),
            "queries": self.queries,
            "benchmark": "audio",
            "signal": {
                "name": self.signal,
                "version": self.signal_version,
                "params": self.signal_params,
            },
            "conditions": list(self.settings.conditions),
            "durations": [duration_label(d) for d in self.settings.durations_s],
            "offset_accuracy": self._per_condition(lambda s: s.offset_accuracy),
            "mean_speed": self._per_condition(lambda s: s.mean_speed),
            "queries_per_condition": self._per_condition(lambda s: s.queries),
            "query_ms": {k: rounded(v) for k, v in self.query_ms.items()},
            "negative_queries": self.negative_queries,
            "false_matches": len(self.false_matches),
            "false_matches_by_condition": dict(sorted(fm_by_condition.items())),
            "false_match_examples": [asdict(f) for f in self.false_matches[:EXAMPLES]],
            "miss_examples": [asdict(m) for m in self.misses[:EXAMPLES]],
            "index": {k: rounded(v) for k, v in asdict(self.index).items()},
            "peak_rss_mb_main": rounded(self.peak_rss_mb_main),
            "targets": {
                "recall": {k: _pair_json(v) for k, v in RECALL_TARGETS.items()},
                "false_match_rate": FALSE_MATCH_TARGET.bound,
                "negative_queries": MIN_NEGATIVE_QUERIES,
                "index_x_realtime_per_core": INDEX_SPEED_TARGET.bound,
                "query_ms_10s": QUERY_MS_TARGET.bound,
                "index_bytes_per_hour": INDEX_BYTES_PER_HOUR_TARGET.bound,
            },
            "passed": {
                "recall": self._per_condition(_passed),
                **self.checks(),
            },
            "peers": {p: {k: _pair_json(v) for k, v in f.items()} for p, f in PEERS.items()},
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


def _passed(score: ConditionScore) -> bool | None:
    target = score.target
    return None if target is None else target.met(score.recall)


def _mean(values: Sequence[float]) -> float | None:
    return float(np.mean(values)) if values else None
