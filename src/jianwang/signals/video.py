"""Video frame hashes: a 64-bit DCT perceptual hash per sampled frame, robust to re-encoding.

Pirated films are re-encoded, scaled, letterboxed, slightly cropped, mirrored and played a little
fast. Per frame (sampled at 2 fps): black bars are cut off first (so letterboxing does not move
the picture), the frame is averaged down to 32x32, and the signs of 64 low-frequency DCT
coefficients around their median make the hash: stable under compression noise, scaling and
brightness/contrast changes, changed by a few bits under mild crops. The mirrored frame's hash is
kept too (``extra["flipped"]``) and looked up alongside, so mirrored copies match. Time is
recovered by ``jianwang.matching.temporal`` (offset and speed), so 1.1x copies align as well.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np
from scipy import fft

from jianwang.index.base import Index
from jianwang.index.binaryindex import BinaryIndex
from jianwang.signals.base import (
    ExampleInput,
    Fingerprint,
    MediaKind,
    SignalExample,
    SignalType,
    TemporalPolicy,
)
from jianwang.signals.example_media import SyntheticVideo, concat, transform

if TYPE_CHECKING:
    from jianwang.media.limits import DecodeLimits

log = logging.getLogger(__name__)

_BITS = 1 << np.arange(64, dtype=np.uint64)


class TimedImage(Protocol):
    """A decoded frame: ``jianwang.media.video.Frame`` or anything with ``t`` and ``image``."""

    @property
    def t(self) -> float: ...

    @property
    def image(self) -> np.ndarray: ...


@dataclass(frozen=True)
class VideoParams:
    """Frame-hash settings; all are part of the index stamp."""

    fps: float = 2.0
    hash_size: int = 32  # the frame is averaged down to hash_size x hash_size before the DCT
    bar_level: float = 0.08  # rows/columns darker than this (and flat) are black bars
    min_contrast: float = 0.02  # frames with less grey-level spread carry no information


def _low_frequencies() -> np.ndarray:
    """Flat indices into a 9x9 DCT block of the 64 lowest frequencies after DC."""
    uv = sorted(((u, v) for u in range(9) for v in range(9)), key=lambda p: (p[0] + p[1], p[0]))
    return np.asarray([u * 9 + v for u, v in uv[1:65]])


def to_grey(image: np.ndarray) -> np.ndarray:
    """A float64 grey image in [0, 1] from grey or RGB, uint8 or float input."""
    img = np.asarray(image)
    scale = 255.0 if np.issubdtype(img.dtype, np.integer) else 1.0
    img = img.astype(np.float64) / scale
    if img.ndim == 3:
        img = img[..., :3] @ np.array([0.299, 0.587, 0.114])[: img.shape[2]]
    if img.ndim != 2:
        raise ValueError(f"expected a grey or RGB frame, got shape {np.shape(image)}")
    if scale == 1.0 and img.size and img.max() > 1.5:
        img = img / 255.0
    return img


def crop_black_bars(img: np.ndarray, level: float) -> np.ndarray:
    """Cut rows and columns at the edges that are dark and flat (letterbox and pillarbox bars)."""

    def content(axis_means: np.ndarray, axis_stds: np.ndarray) -> tuple[int, int]:
        live = np.flatnonzero((axis_means > level) | (axis_stds > level / 2))
        if live.size == 0:
            return 0, axis_means.size
        return int(live[0]), int(live[-1]) + 1

    r0, r1 = content(img.mean(axis=1), img.std(axis=1))
    c0, c1 = content(img.mean(axis=0), img.std(axis=0))
    cropped = img[r0:r1, c0:c1]
    # A mostly black frame is not letterboxed content; keep it whole.
    if cropped.shape[0] < img.shape[0] // 3 or cropped.shape[1] < img.shape[1] // 3:
        return img
    return cropped


def resize_area(img: np.ndarray, size: int) -> np.ndarray:
    """Average ``img`` down (or repeat it up) to ``size`` x ``size`` by area."""
    h, w = img.shape
    if h < size or w < size:
        img = np.repeat(np.repeat(img, -(-size // h), axis=0), -(-size // w), axis=1)
        h, w = img.shape
    rows = np.linspace(0, h, size + 1).astype(int)
    cols = np.linspace(0, w, size + 1).astype(int)
    sums = np.add.reduceat(np.add.reduceat(img, rows[:-1], axis=0), cols[:-1], axis=1)
    return sums / np.outer(np.diff(rows), np.diff(cols))


class VideoFrameHash(SignalType):
    """64-bit DCT hashes of frames sampled at 2 fps."""

    name: ClassVar[str] = "video.dcthash"
    version: ClassVar[int] = 1
    kind: ClassVar[MediaKind] = MediaKind.VIDEO

    def __init__(self, config: VideoParams | None = None, *, max_seconds: float = 4 * 3600) -> None:
        self.config = config or VideoParams()
        self.max_seconds = max_seconds
        self._low = _low_frequencies()

    def params(self) -> dict[str, Any]:
        """The frame-hash settings."""
        return asdict(self.config)

    def index_class(self) -> type[Index]:
        """Perceptual hashes are matched within a Hamming distance: a binary index."""
        return BinaryIndex

    def fingerprint(self, source: str | Path, *, limits: DecodeLimits | None = None) -> Fingerprint:
        """Decode frames of ``source`` at ``config.fps`` (grey, at most ``DECODE_WIDTH`` wide:
        the hash averages a frame down to 32x32 and an inset to the same) and fingerprint them."""
        from jianwang.media.video import iter_frames

        frames = iter_frames(
            source,
            fps=self.config.fps,
            size=None,
            max_width=DECODE_WIDTH,
            grey=True,
            limits=limits,
            fast=True,
        )
        return self.fingerprint_decoded(frames)

    def fingerprint_decoded(self, data: object) -> Fingerprint:
        """Fingerprint an iterable of frames (objects with ``t`` seconds and ``image``).

        Frames should already be sampled at ``config.fps``; near-uniform frames (black, fades)
        are skipped. ``length`` is the last frame time plus one frame interval.
        """
        if not isinstance(data, Iterable):
            raise TypeError(f"expected an iterable of frames, got {type(data).__name__}")
        hashes = _HashCollector(self)
        length = 0.0
        for frame in data:
            t = float(frame.t)
            length = max(length, t + 1.0 / self.config.fps)
            hashes.add(t, frame.image)
        times, codes, extra = hashes.finish()
        if codes.size == 0:
            return self.empty_fingerprint(length)
        return Fingerprint(self.name, self.version, self.kind, length, codes, times, extra)

    def frame_hashes(self, image: np.ndarray) -> tuple[np.uint64, np.uint64] | None:
        """The hash of a frame and of its mirror image, or ``None`` for a featureless frame."""
        return self.grey_hashes(crop_black_bars(to_grey(image), self.config.bar_level))

    def grey_hashes(self, grey: np.ndarray) -> tuple[np.uint64, np.uint64] | None:
        """The hash of a grey picture (values in [0, 1]) and of its mirror image."""
        cfg = self.config
        small = resize_area(grey, cfg.hash_size)
        if small.std() < cfg.min_contrast:
            return None
        coeffs = fft.dctn(small, norm="ortho")[:9, :9]
        # Mirroring negates DCT coefficients with an odd horizontal frequency: the flipped hash
        # comes from the same transform.
        sign = np.where(np.arange(9) % 2 == 1, -1.0, 1.0)[None, :]
        out = []
        for block in (coeffs, coeffs * sign):
            low = block.ravel()[self._low]
            bits = low > np.median(low)
            out.append(np.bitwise_or.reduce(_BITS[bits]) if bits.any() else np.uint64(0))
        return np.uint64(out[0]), np.uint64(out[1])

    def query_codes(self, fp: Fingerprint) -> tuple[np.ndarray, np.ndarray]:
        """The frames' hashes and their mirror images' hashes, each at its frame time; and the
        same for the inset picture where one was found (a film in a window over other video)."""
        self.check(fp)
        if fp.empty:
            return fp.codes, fp.positions
        codes = [fp.codes, fp.extra["flipped"]]
        positions = [fp.positions, fp.positions]
        if "has_inset" in fp.extra:  # fingerprints stored before insets were found have none
            inside = fp.extra["has_inset"].astype(bool)
            codes += [fp.extra["inset"][inside], fp.extra["inset_flipped"][inside]]
            positions += [fp.positions[inside], fp.positions[inside]]
        return np.concatenate(codes), np.concatenate(positions)

    def compare(self, a: Fingerprint, b: Fingerprint) -> float:
        """Share of ``a``'s frames (or their mirror images) within the match distance of a frame
        of ``b``."""
        self.check(a)
        self.check(b)
        if a.empty or b.empty:
            return 0.0
        limit = self.match_policy().max_distance
        near = []
        for codes in (a.codes, a.extra["flipped"]):
            dist = np.bitwise_count(codes[:, None] ^ b.codes[None, :]).min(axis=1)
            near.append(dist <= limit)
        return float(np.mean(near[0] | near[1]))

    def match_policy(self) -> TemporalPolicy:
        """At least 8 aligned frames (4 s), improbable by chance at 1e-6; frames within 12 bits."""
        return TemporalPolicy(
            min_aligned=8,
            alpha=1e-6,
            speed_min=0.85,
            speed_max=1.15,
            speed_step=0.02,
            offset_bin=1.0 / self.config.fps,
            max_segments=2,
            max_distance=12,
            max_neighbours=8,
            chance_from_index=True,
            postings_per_second=self.config.fps,
        )

    def examples(self) -> list[SignalExample]:
        """A 60 s video; re-encoded, scaled, cropped, mirrored, letterboxed, 1.1x and embedded
        excerpts; unrelated videos and a black screen."""
        fps = self.config.fps
        video = SyntheticVideo(2024, 60.0)
        ref = video.frames(fps)
        excerpt = video.frames(fps, 21.0, 35.0)
        other = SyntheticVideo(777, 40.0)
        same = [
            ExampleInput(how, transform(excerpt, how, seed=1))
            for how in ("reencode", "scale", "crop", "flip", "letterbox")
        ]
        same.append(ExampleInput("speed_1.1", video.frames(fps, 8.0, 30.0, speed=1.1)))
        same.append(
            ExampleInput(
                "inside_other_video",
                concat(other.frames(fps, 0, 15), excerpt, other.frames(fps, 15, 30), fps=fps),
            )
        )
        different = [
            ExampleInput("other_video", other.frames(fps)),
            ExampleInput("other_video_2", SyntheticVideo(31337, 30.0).frames(fps)),
            ExampleInput(
                "black", [type(ref[0])(i / fps, np.zeros((72, 128), np.float32)) for i in range(40)]
            ),
        ]
        return [SignalExample("synthetic_video", ref, same, different)]


class _HashCollector:
    """Frame hashes of a stream of frames, and of the inset picture where there is one.

    Frames are handled in blocks of ``INSET_BLOCK``: each block's frames are kept shrunk (about
    ``INSET_SIDE`` pixels wide) until the block is complete, the block is searched for an inset
    (``find_inset``), and every frame's inset is hashed too. Memory is one block of small frames.
    """

    def __init__(self, signal: VideoFrameHash) -> None:
        self.signal = signal
        self.times: list[float] = []
        self.codes: list[np.uint64] = []
        self.flipped: list[np.uint64] = []
        self.inset: list[np.uint64] = []
        self.inset_flipped: list[np.uint64] = []
        self.has_inset: list[bool] = []
        self.block: list[tuple[int, np.ndarray]] = []  # (row in the lists, shrunk grey)

    def add(self, t: float, image: np.ndarray) -> None:
        grey = to_grey(image)
        pair = self.signal.grey_hashes(crop_black_bars(grey, self.signal.config.bar_level))
        if pair is None:
            return
        self.block.append((len(self.times), shrink(grey, INSET_SIDE)))
        self.times.append(t)
        self.codes.append(pair[0])
        self.flipped.append(pair[1])
        self.inset.append(np.uint64(0))
        self.inset_flipped.append(np.uint64(0))
        self.has_inset.append(False)
        if len(self.block) >= INSET_BLOCK:
            self._insets()

    def finish(self) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        self._insets()
        extra: dict[str, np.ndarray] = {
            "flipped": np.asarray(self.flipped, dtype=np.uint64),
            "inset": np.asarray(self.inset, dtype=np.uint64),
            "inset_flipped": np.asarray(self.inset_flipped, dtype=np.uint64),
            "has_inset": np.asarray(self.has_inset, dtype=np.uint8),
        }
        times = np.asarray(self.times, dtype=np.float32)
        return times, np.asarray(self.codes, dtype=np.uint64), extra

    def _insets(self) -> None:
        if not self.block:
            return
        box = find_inset([small for _, small in self.block])
        if box is not None:
            y0, y1, x0, x1 = box
            for row, small in self.block:
                pair = self.signal.grey_hashes(small[y0:y1, x0:x1])
                if pair is not None:
                    self.inset[row], self.inset_flipped[row] = pair
                    self.has_inset[row] = True
        self.block = []


DECODE_WIDTH = 320
"""Frames are decoded at most this wide for hashing."""
INSET_BLOCK = 40
"""Frames searched together for an inset (20 s at 2 fps): enough for its border to stand out."""
INSET_SIDE = 160
"""Frames are shrunk to about this width to find and hash insets."""


def shrink(img: np.ndarray, side: int) -> np.ndarray:
    """``img`` averaged down by a whole factor so its longer side is at most about ``side``."""
    factor = max(1, -(-max(img.shape) // side))
    h, w = img.shape[0] // factor * factor, img.shape[1] // factor * factor
    if factor == 1:
        return img.astype(np.float32)
    small = img[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
    return small.astype(np.float32)


def find_inset(frames: list[np.ndarray]) -> tuple[int, int, int, int] | None:
    """Rows and columns ``(y0, y1, x0, x1)`` of a picture inside the picture, or ``None``.

    A film pasted in a window over other video has a border that stays put while the content on
    both sides changes: averaged over many frames, the grey-level jump across that border is
    strong all along it, where edges of the content come and go. The strongest rectangle whose
    four sides each jump clearly more than the frame's typical gradient wins; rectangles of less
    than a quarter or more than nine tenths of the frame's width or height are not insets
    (letterbox bars are handled before hashing).
    """
    if len(frames) < 4 or len({f.shape for f in frames}) != 1:
        return None
    stack = np.stack(frames)
    gx = np.abs(np.diff(stack, axis=2)).mean(axis=0)  # (H, W-1): jump between x and x+1
    gy = np.abs(np.diff(stack, axis=1)).mean(axis=0)  # (H-1, W)
    h, w = stack.shape[1:]
    typical = float(np.median(np.concatenate([gx.ravel(), gy.ravel()]))) + 1e-3
    cols = _strong_lines(gx.mean(axis=0))
    rows = _strong_lines(gy.mean(axis=1))
    best: tuple[float, tuple[int, int, int, int]] | None = None
    for x0 in cols:
        for x1 in cols:
            if not 0.25 * w <= x1 - x0 <= 0.9 * w:
                continue
            for y0 in rows:
                for y1 in rows:
                    if not 0.25 * h <= y1 - y0 <= 0.9 * h:
                        continue
                    sides = (
                        gx[y0 + 1 : y1 + 1, x0],
                        gx[y0 + 1 : y1 + 1, x1],
                        gy[y0, x0 + 1 : x1 + 1],
                        gy[y1, x0 + 1 : x1 + 1],
                    )
                    # The weakest quarter of each side: a real border is strong all along.
                    score = min(float(np.quantile(side, 0.25)) for side in sides) / typical
                    if best is None or score > best[0]:
                        best = (score, (y0 + 1, y1 + 1, x0 + 1, x1 + 1))
    if best is None or best[0] < INSET_CONTRAST:
        return None
    return best[1]


INSET_CONTRAST = 3.0
"""How many times the typical gradient every side of an inset's border must jump."""


def _strong_lines(profile: np.ndarray, count: int = 6) -> list[int]:
    """The ``count`` strongest local maxima of a mean-gradient profile, as positions."""
    if profile.size < 3:
        return []
    peak = np.flatnonzero((profile[1:-1] >= profile[:-2]) & (profile[1:-1] >= profile[2:])) + 1
    return sorted(int(i) for i in peak[np.argsort(-profile[peak])[:count]])
