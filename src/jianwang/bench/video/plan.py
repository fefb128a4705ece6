"""The query plan: one seeded copy per reference and transform, and the negatives.

Kept apart from making and running the queries so the plan (and so the run's results) depends
only on the seed, the split and the settings, never on how the queries are spread over workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from jianwang.bench.corpus import Track
from jianwang.bench.video.conditions import VideoTransform
from jianwang.bench.video.settings import VideoBenchSettings

_END_GUARD_S = 0.25  # keep excerpts this far from a clip's (decoded) end
_FILLER_SIZES = ((320, 240), (640, 360), (854, 480))
_FILLER_SEED = 90_000


@dataclass(frozen=True)
class VideoQuery:
    """One query to make and run.

    ``kind`` is a transform name, or ``heldback`` / ``filler`` for a negative. The copy shows
    source seconds ``start_s`` to ``start_s + duration_s`` (``None``: to the end of the clip) and
    lasts ``copy_s`` seconds in the query (less than ``duration_s`` for a copy played fast), from
    ``placed_at_s`` (0 except for ``embedded``).
    ``backgrounds`` are held-back clips to show around or behind the copy (then synthetic video);
    ``size`` is a filler's frame size. ``seed`` draws everything else the copy needs.
    """

    kind: str
    file: str
    path: Path | None
    item_id: int | None
    start_s: float
    duration_s: float | None
    copy_s: float
    seed: int
    placed_at_s: float = 0.0
    backgrounds: tuple[Path, ...] = ()
    size: tuple[int, int] | None = None

    @property
    def positive(self) -> bool:
        return self.item_id is not None

    @property
    def true_span(self) -> tuple[float, float] | None:
        """Where the copy sits in the query, in query seconds (``None`` for a negative)."""
        if not self.positive:
            return None
        return (self.placed_at_s, self.placed_at_s + self.copy_s)


def _excerpt(
    length_s: float, low: float, high: float, factor: float, rng: np.random.Generator
) -> tuple[float, float | None]:
    """A seeded ``(start, duration)`` of ``low``-``high`` seconds that fits ``factor`` times
    over in ``length_s``; the whole clip (``0, None``) when it is too short."""
    room = length_s - _END_GUARD_S
    if room < low * factor:
        return 0.0, None
    duration = float(rng.uniform(low, min(high, room / factor)))
    return float(rng.uniform(0.0, room - duration * factor)), duration


def plan_queries(
    references: Sequence[tuple[int, Track]],
    negatives: Sequence[Track],
    settings: VideoBenchSettings,
    transforms: Sequence[VideoTransform],
    rng: np.random.Generator,
) -> list[VideoQuery]:
    """Every reference under every transform, then the held-back clips and the fillers.

    A reference's copies all start from one seeded excerpt (so transforms differ only in what
    was done to the picture), sized to fit even at the fastest speed; ``embedded`` takes its own
    ``embed_copy_s`` excerpt and a seeded place in the capture.
    """
    low, high = settings.excerpt_s
    fastest = max((t.speed for t in transforms), default=1.0)
    held = [t.path for t in negatives]
    plan: list[VideoQuery] = []
    for item_id, track in references:
        start, duration = _excerpt(track.duration_s, low, high, fastest, rng)
        for t in transforms:
            seed = int(rng.integers(2**31))
            backgrounds = tuple(held[int(i)] for i in rng.permutation(len(held)))
            if t.name == "embedded":
                copy = min(settings.embed_copy_s, track.duration_s - _END_GUARD_S)
                e_start, e_duration = _excerpt(track.duration_s, copy, copy, 1.0, rng)
                frames = round((settings.capture_s - copy) * settings.capture_fps)
                at = int(rng.integers(0, max(frames, 0) + 1)) / settings.capture_fps
                plan.append(
                    VideoQuery(
                        t.name,
                        track.file,
                        track.path,
                        item_id,
                        start_s=e_start,
                        duration_s=e_duration,
                        copy_s=copy,
                        seed=seed,
                        placed_at_s=at,
                        backgrounds=backgrounds,
                    )
                )
                continue
            copy_s = duration if duration is not None else track.duration_s / t.speed
            plan.append(
                VideoQuery(
                    t.name,
                    track.file,
                    track.path,
                    item_id,
                    start_s=start,
                    duration_s=None if duration is None else duration * t.speed,
                    copy_s=copy_s,
                    seed=seed,
                    backgrounds=backgrounds if t.name == "pip50" else (),
                )
            )
    chosen = list(negatives)
    if settings.max_negatives is not None and len(chosen) > settings.max_negatives:
        keep = sorted(int(i) for i in rng.permutation(len(chosen))[: settings.max_negatives])
        chosen = [chosen[i] for i in keep]
    for track in chosen:
        seed = int(rng.integers(2**31))
        plan.append(
            VideoQuery(
                "heldback",
                track.file,
                track.path,
                None,
                start_s=0.0,
                duration_s=None,
                copy_s=track.duration_s,
                seed=seed,
            )
        )
    for k in range(settings.fillers):
        seed = _FILLER_SEED + k
        plan.append(
            VideoQuery(
                "filler",
                f"synthetic:{seed}",
                None,
                None,
                start_s=0.0,
                duration_s=None,
                copy_s=settings.filler_s,
                seed=seed,
                size=_FILLER_SIZES[k % len(_FILLER_SIZES)],
            )
        )
    return plan
