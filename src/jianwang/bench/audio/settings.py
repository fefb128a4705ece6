"""What one benchmark run does: how many queries of what, and how they are spread over workers.

Apart from the plan and the harness because both read it, and the result keeps it in its JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from jianwang.bench.audio.conditions import CONDITION_NAMES, CONDITIONS, Condition
from jianwang.errors import UserError


@dataclass(frozen=True)
class AudioBenchSettings:
    """How many queries of what; the defaults are the full run.

    ``queries_per_condition`` excerpts per duration are spread evenly over the references, and
    each is queried under every condition. ``workers`` 0 means one per available core; 1 runs
    everything in this process.
    """

    queries_per_condition: int = 100
    negative_queries: int = 1000
    durations_s: tuple[float, ...] = (10.0, 5.0)
    conditions: tuple[str, ...] = CONDITION_NAMES
    holdout: float = 0.2
    min_track_s: float = 20.0
    work_rate: int = 22050
    margin_s: float = 0.5
    workers: int = 0
    shards_per_worker: int = 12

    def __post_init__(self) -> None:
        unknown = sorted(set(self.conditions) - set(CONDITION_NAMES))
        if unknown:
            raise UserError(f"unknown conditions {unknown} (known: {', '.join(CONDITION_NAMES)})")
        if not self.conditions or not self.durations_s or min(self.durations_s) <= 0:
            raise UserError("a benchmark needs at least one condition and positive durations")
        if self.queries_per_condition < 1 or self.negative_queries < 0:
            raise UserError("queries_per_condition must be >= 1 and negative_queries >= 0")
        if not 0.0 <= self.holdout < 1.0:
            raise UserError(f"holdout must be in [0, 1), got {self.holdout}")

    @classmethod
    def quick(cls) -> AudioBenchSettings:
        """A smoke run: every condition and figure, from about a tenth of the queries."""
        return cls(queries_per_condition=10, negative_queries=60)

    def active_conditions(self) -> tuple[Condition, ...]:
        """The conditions run, in the canonical order."""
        return tuple(c for c in CONDITIONS if c.name in self.conditions)
