"""Scores of one monitoring benchmark run, and its documented JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from jianwang.bench.monitor.conditions import (
    FALSE_TARGET,
    LIVE_LATENCY_TARGET,
    MIN_MEDIA_ITEMS,
    MIN_PAGES,
    RECALL_TARGET,
    REFETCH_TARGET,
)
from jianwang.bench.report import rounded, verdict


@dataclass(frozen=True)
class ItemScore:
    """One served item: what it copies, whether it was captured, and what was detected in it
    (work title -> the statuses of its detections)."""

    site: str
    title: str
    kind: str
    work: str | None
    licensed: bool
    captured: bool
    found: dict[str, tuple[str, ...]]

    @property
    def correct(self) -> bool:
        """The expected work was detected, with the status a licence gives it (or not)."""
        if self.work is None or self.work not in self.found:
            return False
        if self.licensed:
            return self.found[self.work] == ("licensed",)
        # Unlicensed: found as an infringement, whichever review band triage put it in.
        return set(self.found[self.work]) <= {"detected", "in_review", "confirmed"}

    @property
    def false(self) -> int:
        """Works detected that the item does not copy."""
        return sum(1 for work in self.found if work != self.work)


@dataclass(frozen=True)
class SweepFigures:
    """One sweep of the four sites."""

    label: str
    wall_s: float
    cpu_s: float
    handling_s: float  # recording and matching captures (decoding, fingerprinting, evidence)
    pages: int
    captures_new: int
    captures_seen: int
    media_unchanged: int
    media_s: float  # seconds of audio and video newly captured
    errors: list[str]
    items: list[ItemScore]
    stray_detections: int

    @property
    def expected(self) -> int:
        return sum(1 for i in self.items if i.work is not None)

    @property
    def correct(self) -> int:
        return sum(1 for i in self.items if i.correct)

    @property
    def false(self) -> int:
        return sum(i.false for i in self.items) + self.stray_detections

    @property
    def crawl_s(self) -> float:
        """Wall time not spent on captured items: fetching, parsing, waiting."""
        return max(0.0, self.wall_s - self.handling_s)

    def to_json(self) -> dict[str, Any]:
        return {
            "wall_s": rounded(self.wall_s, 2),
            "cpu_s": rounded(self.cpu_s, 2),
            "time_share": {
                "crawl_fetch_parse": rounded(self.crawl_s / self.wall_s if self.wall_s else None),
                "record_decode_match": rounded(
                    self.handling_s / self.wall_s if self.wall_s else None
                ),
            },
            "pages": self.pages,
            "captures_new": self.captures_new,
            "captures_seen": self.captures_seen,
            "media_unchanged": self.media_unchanged,
            "media_s": rounded(self.media_s, 1),
            "detections_correct": self.correct,
            "detections_expected": self.expected,
            "false_detections": self.false,
            "missed": [i.title for i in self.items if i.work is not None and not i.correct],
            "not_captured": [i.title for i in self.items if not i.captured],
            "false_items": {i.title: sorted(i.found) for i in self.items if i.false},
            "errors": self.errors[:50],
        }


@dataclass(frozen=True)
class LiveFigures:
    """The live channel: when the protected programme went on air and when it was detected."""

    work: str
    programme_at_s: float
    detected: bool
    latency_s: float | None
    false_detections: int
    segments: int
    windows: int
    wall_s: float
    cpu_s: float


@dataclass(frozen=True)
class MonitorBenchResult:
    """Everything one run measured; ``to_json`` gives the documented JSON form."""

    seed: int
    quick: bool
    corpus: str
    works: int
    media_items: int
    text_items: int
    added_items: int
    full: SweepFigures
    incremental: SweepFigures
    refetched_items: int
    unchanged_items: int
    pages_refetched: int
    pages_unchanged: int
    new_detections_incremental: int
    live: LiveFigures | None
    peak_rss_mb: float
    notes: list[str] = field(default_factory=list)

    @property
    def pages_per_min(self) -> float:
        return 60.0 * self.full.pages / self.full.wall_s if self.full.wall_s else 0.0

    @property
    def media_hours_per_hour(self) -> float:
        return self.full.media_s / self.full.wall_s if self.full.wall_s else 0.0

    @property
    def cpu_s_per_item(self) -> float | None:
        items = self.full.captures_new
        return self.full.cpu_s / items if items else None

    @property
    def refetch_fraction(self) -> float | None:
        return self.refetched_items / self.unchanged_items if self.unchanged_items else None

    @property
    def added(self) -> list[ItemScore]:
        """The items published between the sweeps (the incremental sweep's last ones)."""
        return self.incremental.items[len(self.incremental.items) - self.added_items :]

    @property
    def detections_expected(self) -> int:
        """The full sweep's items, the incremental sweep's new ones, and the live programme."""
        added = sum(1 for i in self.added if i.work is not None)
        return self.full.expected + added + (1 if self.live is not None else 0)

    @property
    def detections_correct(self) -> int:
        added = sum(1 for i in self.added if i.correct)
        live = 1 if self.live is not None and self.live.detected else 0
        return self.full.correct + added + live

    @property
    def false_detections(self) -> int:
        """False in the full sweep, plus any the incremental sweep added, plus live ones."""
        return (
            self.full.false
            + max(0, self.incremental.false - self.full.false)
            + (self.live.false_detections if self.live is not None else 0)
        )

    def checks(self) -> dict[str, bool | None]:
        live = self.live
        return {
            "every_detection_full": self.full.correct == self.full.expected,
            "every_detection_incremental": self.incremental.correct == self.incremental.expected,
            "no_false_detection": FALSE_TARGET.met(self.false_detections),
            "refetch_fraction": REFETCH_TARGET.met(self.refetch_fraction),
            "live_latency": None if live is None else LIVE_LATENCY_TARGET.met(live.latency_s),
            # A quick run's sandbox is small on purpose: its size is not judged.
            "pages_at_least_200": None if self.quick else self.full.pages >= MIN_PAGES,
            "media_items_at_least_100": None if self.quick else self.media_items >= MIN_MEDIA_ITEMS,
            "recall": RECALL_TARGET.met(
                self.detections_correct / self.detections_expected
                if self.detections_expected
                else None
            ),
        }

    def passed(self) -> bool | None:
        return verdict(*self.checks().values())

    def to_json(self) -> dict[str, Any]:
        live = self.live
        return {
            "benchmark": "monitor",
            "seed": self.seed,
            "quick": self.quick,
            "corpus": self.corpus,
            "pages_per_min": rounded(self.pages_per_min, 1),
            "media_hours_per_hour": rounded(self.media_hours_per_hour, 2),
            "cpu_s_per_item": rounded(self.cpu_s_per_item, 3),
            "incremental_refetch_fraction": rounded(self.refetch_fraction),
            "live_detection_latency_s": None if live is None else rounded(live.latency_s, 2),
            "detections_correct": self.detections_correct,
            "detections_expected": self.detections_expected,
            "false_detections": self.false_detections,
            "sandbox": {
                "works": self.works,
                "media_items": self.media_items,
                "text_items": self.text_items,
                "added_before_incremental": self.added_items,
            },
            "full_sweep": self.full.to_json(),
            "incremental_sweep": {
                **self.incremental.to_json(),
                "unchanged_items": self.unchanged_items,
                "refetched_items": self.refetched_items,
                "pages_refetched": self.pages_refetched,
                "pages_not_modified": self.pages_unchanged,
                "new_detections": self.new_detections_incremental,
            },
            "live": None
            if live is None
            else {
                "work": live.work,
                "programme_on_air_at_s": rounded(live.programme_at_s, 2),
                "detected": live.detected,
                "latency_s": rounded(live.latency_s, 2),
                "false_detections": live.false_detections,
                "segments": live.segments,
                "windows_matched_or_tried": live.windows,
                "wall_s": rounded(live.wall_s, 1),
                "cpu_s": rounded(live.cpu_s, 2),
            },
            "peak_rss_mb": rounded(self.peak_rss_mb, 1),
            "checks": self.checks(),
            "passed": self.passed(),
        }
