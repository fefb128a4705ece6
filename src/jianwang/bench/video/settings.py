"""What one video benchmark run does: which transforms, how much video, how it is spread.

Apart from the plan and the harness because both read it, and the result keeps it in its JSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from jianwang.bench.video.conditions import TRANSFORM_NAMES, TRANSFORMS, VideoTransform
from jianwang.errors import UserError


@dataclass(frozen=True)
class VideoBenchSettings:
    """How many queries of what; the defaults are the full run.

    Every reference is queried once under every transform, from one seeded excerpt of
    ``excerpt_s`` seconds (the whole clip when it is shorter); ``embedded`` places a copy of
    ``embed_copy_s`` seconds in a capture of ``capture_s`` seconds of other video. Negatives are
    the held-back clips, whole, and ``fillers`` synthetic videos of ``filler_s`` seconds.
    ``max_references`` (None: all) keeps only the longest references and ``max_negatives`` a
    seeded choice of the held-back clips, for smaller runs. ``workers`` 0 means one
    per available core; 1 runs everything in this process.
    """

    transforms: tuple[str, ...] = TRANSFORM_NAMES
    holdout: float = 1 / 3
    min_clip_s: float = 5.0
    max_references: int | None = None
    max_negatives: int | None = None
    excerpt_s: tuple[float, float] = (10.0, 20.0)
    embed_copy_s: float = 20.0
    capture_s: float = 120.0
    capture_size: tuple[int, int] = (640, 360)
    capture_fps: float = 25.0
    max_fps: float = 30.0
    fillers: int = 3
    filler_s: float = 150.0
    speed_clip_s: float = 20.0
    lookup_frames: int = 1_000_000  # the smallest lookup index; see costs.LOOKUP_SCALES
    workers: int = 0
    shards_per_worker: int = 12

    def __post_init__(self) -> None:
        unknown = sorted(set(self.transforms) - set(TRANSFORM_NAMES))
        if unknown:
            raise UserError(f"unknown transforms {unknown} (known: {', '.join(TRANSFORM_NAMES)})")
        if not self.transforms:
            raise UserError("a benchmark needs at least one transform")
        low, high = self.excerpt_s
        if not 0 < low <= high or self.embed_copy_s <= 0 or self.capture_s <= self.embed_copy_s:
            raise UserError("excerpts must be positive and shorter than the embedding capture")
        if not 0.0 <= self.holdout < 1.0:
            raise UserError(f"holdout must be in [0, 1), got {self.holdout}")
        if self.lookup_frames < 1 or self.speed_clip_s <= 0 or self.fillers < 0:
            raise UserError("lookup_frames and speed_clip_s must be positive, fillers >= 0")

    @classmethod
    def quick(cls) -> VideoBenchSettings:
        """A smoke run of a minute or two: every transform and figure, on the three longest
        references, three held-back clips and one filler, with a 10 s speed clip."""
        return cls(max_references=3, max_negatives=3, fillers=1, filler_s=120.0, speed_clip_s=10.0)

    def active_transforms(self) -> tuple[VideoTransform, ...]:
        """The transforms run, in the canonical order."""
        return tuple(t for t in TRANSFORMS if t.name in self.transforms)
