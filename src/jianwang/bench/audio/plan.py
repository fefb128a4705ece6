"""The query plan: seeded excerpts of the references and of the held-back negatives.

Kept apart from running the queries so the plan (and so the run's results) depends only on the
seed, the split and the settings, never on how the queries are spread over workers.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jianwang.bench.audio.conditions import Condition
from jianwang.bench.audio.corpus import Track
from jianwang.bench.audio.settings import AudioBenchSettings

log = logging.getLogger(__name__)

_END_GUARD_S = 0.25  # keep excerpts this far from a track's (manifest) end


@dataclass(frozen=True)
class Excerpt:
    """Where queries come from: ``start_s`` is the reference time at query time 0."""

    track: Track
    item_id: int | None  # None: a negative
    start_s: float
    duration_s: float
    conditions: tuple[Condition, ...]
    seed: int


def _plan_positives(
    references: Sequence[tuple[int, Track]],
    settings: AudioBenchSettings,
    conditions: tuple[Condition, ...],
    rng: np.random.Generator,
) -> list[Excerpt]:
    """``queries_per_condition`` excerpts per duration, spread evenly over the references.

    A track's share of starts is drawn one per equal stratum of its usable length, so two
    excerpts of one track rarely overlap. Each excerpt fits the fastest condition's span.
    """
    margin = settings.margin_s
    longest = max(c.time_factor for c in conditions)
    plan: list[Excerpt] = []
    for duration in settings.durations_s:
        span = duration * longest
        usable = [(i, t) for i, t in references if t.duration_s - _END_GUARD_S >= span + 2 * margin]
        if not usable:
            log.warning("no reference is long enough for %g s excerpts", duration)
            continue
        total = settings.queries_per_condition
        for rank, k in enumerate(rng.permutation(len(usable))):
            count = total // len(usable) + (1 if rank < total % len(usable) else 0)
            item_id, track = usable[int(k)]
            low, high = margin, track.duration_s - _END_GUARD_S - span - margin
            edges = np.linspace(low, high, count + 1)
            for a, b in itertools.pairwise(edges):
                start, seed = float(rng.uniform(a, b)), int(rng.integers(2**31))
                plan.append(Excerpt(track, item_id, start, duration, conditions, seed))
    return plan


def _plan_negatives(
    negatives: Sequence[Track],
    settings: AudioBenchSettings,
    conditions: tuple[Condition, ...],
    rng: np.random.Generator,
) -> list[Excerpt]:
    """Excerpts of held-back audio, durations in turn, each under one random condition.

    Starts are uniform over all the negative audio (a track is drawn in proportion to the
    starts it offers), so a short jingle is not queried as often as a long piece.
    """
    margin = settings.margin_s
    plan: list[Excerpt] = []
    for i in range(settings.negative_queries):
        duration = settings.durations_s[i % len(settings.durations_s)]
        condition = conditions[int(rng.integers(len(conditions)))]
        span = duration * condition.time_factor + 2 * margin
        room = np.array([t.duration_s - _END_GUARD_S - span for t in negatives])
        if room.size == 0 or room.max() < 0:
            continue
        weights = np.clip(room, 0, None) + 1e-3 * (room >= 0)
        k = int(rng.choice(len(negatives), p=weights / weights.sum()))
        start, seed = margin + float(rng.uniform(0, max(room[k], 0.0))), int(rng.integers(2**31))
        plan.append(Excerpt(negatives[k], None, start, duration, (condition,), seed))
    if len(plan) < settings.negative_queries:
        log.warning("only %d of %d negative excerpts fit", len(plan), settings.negative_queries)
    return plan
