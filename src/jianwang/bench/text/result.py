"""Scores of one text benchmark run, and its documented JSON form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jianwang.bench.report import rounded, verdict
from jianwang.bench.text.conditions import (
    FALSE_POSITIVE_TARGET,
    PEER,
    RECALL_TARGETS,
    SPAN_ERROR_TARGET,
    THROUGHPUT_TARGET,
    TRANSFORMS,
)


@dataclass(frozen=True)
class QueryOutcome:
    """What one query expected, what Jianwang and the peer found, and what it cost."""

    kind: str
    lang: str
    source: str
    expected: tuple[int, ...]
    found: tuple[int, ...]
    span_errors: tuple[float, ...]
    bytes: int
    cpu_s: float
    peer_found: tuple[int, ...] = ()
    peer_cpu_s: float = 0.0
    furniture_share: float | None = None  # of the text extracted from a page, not the chapter

    @property
    def positive(self) -> bool:
        return bool(self.expected)

    @property
    def detected(self) -> bool:
        """Every copied chapter was found (both, for joined chapters)."""
        return self.positive and set(self.expected) <= set(self.found)

    @property
    def peer_detected(self) -> bool:
        return self.positive and set(self.expected) <= set(self.peer_found)


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


@dataclass(frozen=True)
class TextBenchResult:
    """Everything one run measured; ``to_json`` gives the documented JSON form."""

    seed: int
    quick: bool
    corpus: str
    signal: str
    signal_version: int
    references: tuple[str, ...]
    negatives: tuple[str, ...]
    chapters: int
    reference_mb: float
    index_bytes: int
    index_cpu_s: float
    outcomes: tuple[QueryOutcome, ...]
    peer_available: bool
    peak_rss_mb: float
    wall_s: float
    cpu_s: float

    def of_kind(self, kind: str) -> list[QueryOutcome]:
        return [o for o in self.outcomes if o.kind == kind]

    def recall(self, kind: str, *, peer: bool = False) -> float | None:
        return _share([o.peer_detected if peer else o.detected for o in self.of_kind(kind)])

    @property
    def negatives_run(self) -> list[QueryOutcome]:
        return [o for o in self.outcomes if not o.positive]

    def false_positive_rate(self, *, peer: bool = False) -> float | None:
        """Share of negative queries (held-back chapters) that matched anything."""
        return _share([bool(o.peer_found if peer else o.found) for o in self.negatives_run])

    @property
    def wrong_items(self) -> int:
        """Chapters reported by positive queries that they do not copy."""
        return sum(len(set(o.found) - set(o.expected)) for o in self.outcomes if o.positive)

    @property
    def span_error_chars(self) -> float | None:
        errors = [e for o in self.outcomes for e in o.span_errors]
        return sum(errors) / len(errors) if errors else None

    def mb_per_s(self, *, peer: bool = False) -> float | None:
        cpu = sum(o.peer_cpu_s if peer else o.cpu_s for o in self.outcomes)
        mb = sum(o.bytes for o in self.outcomes) / 1e6
        return mb / cpu if cpu > 0 else None

    @property
    def furniture_share(self) -> float | None:
        """Mean share of the folded text extracted from pirate pages that is not the chapter
        (navigation, ads, comments the extraction kept)."""
        shares = [o.furniture_share for o in self.outcomes if o.furniture_share is not None]
        return sum(shares) / len(shares) if shares else None

    @property
    def index_bytes_per_mb(self) -> float | None:
        return self.index_bytes / self.reference_mb if self.reference_mb else None

    def checks(self) -> dict[str, bool | None]:
        recall = {k: RECALL_TARGETS[k].met(self.recall(k)) for k in TRANSFORMS}
        # Where both find every copy the peer cannot be beaten, only matched.
        beats = {
            k: None
            if not self.peer_available or self.recall(k) is None
            else (self.recall(k) or 0.0) >= (self.recall(k, peer=True) or 0.0)
            for k in TRANSFORMS
        }
        out: dict[str, bool | None] = {f"recall_{k}": v for k, v in recall.items()}
        out |= {f"not_below_peer_{k}": v for k, v in beats.items()}
        out["false_positive_rate"] = FALSE_POSITIVE_TARGET.met(self.false_positive_rate())
        out["span_error_chars"] = SPAN_ERROR_TARGET.met(self.span_error_chars)
        out["mb_per_s_per_core"] = THROUGHPUT_TARGET.met(self.mb_per_s())
        return out

    def to_json(self) -> dict[str, Any]:
        checks = self.checks()
        return {
            "benchmark": "text",
            "recall": {k: rounded(self.recall(k)) for k in TRANSFORMS},
            "queries": {k: len(self.of_kind(k)) for k in TRANSFORMS},
            "false_positive_rate": rounded(self.false_positive_rate()),
            "negative_queries": len(self.negatives_run),
            "wrong_items_on_positives": self.wrong_items,
            "span_error_chars": rounded(self.span_error_chars, 1),
            "span_error_method": (
                "mean over found copies of (|found start - true start| + |found end - true end|)"
                " / 2 in reference characters: the whole chapter, or the excerpt's place"
            ),
            "mb_per_s_per_core": rounded(self.mb_per_s(), 2),
            "extraction_furniture_share": rounded(self.furniture_share),
            "index_bytes_per_mb": rounded(self.index_bytes_per_mb, 0),
            "peer": {
                PEER: None
                if not self.peer_available
                else {
                    "recall": {k: rounded(self.recall(k, peer=True)) for k in TRANSFORMS},
                    "false_positive_rate": rounded(self.false_positive_rate(peer=True)),
                    "mb_per_s": rounded(self.mb_per_s(peer=True), 2),
                    "settings": "5-character shingles of folded text, 128 permutations, "
                    "Jaccard threshold 0.5 (datasketch MinHashLSH)",
                }
            },
            "signal": {"name": self.signal, "version": self.signal_version},
            "chapters": self.chapters,
            "reference_mb": rounded(self.reference_mb, 3),
            "index_bytes": self.index_bytes,
            "index_cpu_s": rounded(self.index_cpu_s, 3),
            "references": list(self.references),
            "negatives": list(self.negatives),
            "targets": {
                "recall": {k: RECALL_TARGETS[k].bound for k in TRANSFORMS},
                "false_positive_rate": FALSE_POSITIVE_TARGET.bound,
                "span_error_chars": SPAN_ERROR_TARGET.bound,
                "mb_per_s_per_core": THROUGHPUT_TARGET.bound,
            },
            "checks": checks,
            "passed": verdict(*checks.values()),
            "seed": self.seed,
            "quick": self.quick,
            "corpus": self.corpus,
            "peak_rss_mb": rounded(self.peak_rss_mb, 1),
            "wall_s": rounded(self.wall_s, 1),
            "cpu_s": rounded(self.cpu_s, 1),
        }
