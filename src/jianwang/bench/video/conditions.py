"""The video benchmark's transforms and the figures it is judged by.

Which pirate changes are measured (``TRANSFORMS``, made in ``copies``), the issue's detection
targets and cost targets, and the peers' reported figures, kept apart from the code that makes
and runs queries so the table reads on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from jianwang.bench.report import Target


@dataclass(frozen=True)
class VideoTransform:
    """A named pirate change of a reference clip; ``speed`` is reference seconds per query
    second (1.1 for a copy played 10 % fast)."""

    name: str
    description: str
    speed: float = 1.0


TRANSFORMS: tuple[VideoTransform, ...] = (
    VideoTransform("reencode", "150 kbps H.264, scaled to 50 %, brighter, 15 fps"),
    VideoTransform("flip", "mirrored left to right"),
    VideoTransform("crop10", "10 % of width and height cropped away"),
    VideoTransform("logo_caption", "a site logo in a corner and a subtitle bar at the bottom"),
    VideoTransform("letterbox", "boxed into a 16:9 or 2.35:1 frame with black bars"),
    VideoTransform("camcorder", "filmed off a screen: perspective, blur, noise, colour cast"),
    VideoTransform("pip50", "shrunk to 50 % over other video (picture in picture)"),
    VideoTransform("embedded", "a 20 s copy, letterboxed, inside 2 minutes of other video"),
    VideoTransform("colour", "contrast, saturation and hue changed"),
    VideoTransform("speed1.1", "played 1.1 times as fast", speed=1.1),
)
TRANSFORM_NAMES: tuple[str, ...] = tuple(t.name for t in TRANSFORMS)
SPAN_TRANSFORMS: tuple[str, ...] = ("embedded", "letterbox")
"""Transforms whose matched query span is scored against the copy's true place (IoU)."""
NEGATIVE_KINDS: tuple[str, ...] = ("heldback", "filler")
"""Negative queries: held-back clips, whole and re-encoded, and long synthetic filler video."""

DETECTION_TARGETS = MappingProxyType(
    {
        "reencode": Target(1.0),
        "flip": Target(1.0),
        "crop10": Target(0.95),
        "logo_caption": Target(0.95),
        "letterbox": Target(0.95),
        "camcorder": Target(0.80),
        "pip50": Target(0.80),
        "embedded": Target(0.95),
        "colour": Target(1.0),
        "speed1.1": Target(1.0),
    }
)
SEGMENT_IOU_TARGET = Target(0.8)
FALSE_POSITIVE_TARGET = Target(0.0, at_least=False)
X_REALTIME_1080P_TARGET = Target(30.0)
X_REALTIME_480P_TARGET = Target(100.0)
BYTES_PER_HOUR_TARGET = Target(150_000, at_least=False)
LOOKUP_MS_TARGET = Target(5.0, at_least=False)
LOOKUP_AT_FRAMES = 15_000_000
"""The index size (reference frames) the lookup target is stated for."""

# Copies detected out of 6 per transform, as fractions, from the comparison of vPDQ,
# TMK+PDQF and videohash (vPDQ re-encode: 5.5 of 6). No figures for colour and speed changes.
_PEER_FIGURES: dict[str, tuple[float, float, float]] = {
    "reencode": (0.92, 1.0, 1.0),
    "flip": (0.0, 0.0, 0.83),
    "crop10": (0.0, 1.0, 1.0),
    "logo_caption": (0.5, 1.0, 1.0),
    "letterbox": (0.0, 0.83, 1.0),
    "camcorder": (0.0, 1.0, 1.0),
    "pip50": (0.0, 0.0, 0.33),
    "embedded": (0.67, 0.0, 0.0),
}
PEER_NAMES: tuple[str, ...] = ("vPDQ", "TMK+PDQF", "videohash")
PEERS = MappingProxyType(
    {
        peer: MappingProxyType({name: figures[col] for name, figures in _PEER_FIGURES.items()})
        for col, peer in enumerate(PEER_NAMES)
    }
)


def transform_named(name: str) -> VideoTransform:
    """The transform called ``name`` (``KeyError`` if there is none)."""
    for t in TRANSFORMS:
        if t.name == name:
            return t
    raise KeyError(name)
