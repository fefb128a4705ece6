"""Video frame hashes: a 64-bit DCT perceptual hash per sampled frame, robust to re-encoding.

Pirated films are re-encoded, scaled, letterboxed, cropped, branded with a logo and subtitles,
mirrored and played a little fast. Per frame (sampled at 2 fps): black bars are cut off first (so
letterboxing does not move the picture), then the hash is taken of the frame's central region
(``VideoParams.region``: the edges, where crops cut and logos and subtitle bars sit, are left out),
averaged down to 32x32; the signs of 64 low-frequency DCT coefficients around their median make
the hash: stable under compression noise, scaling and brightness/contrast changes. The mirrored
frame's hash is kept too (``extra["flipped"]``), and a query also looks up the region where it
would sit had the copy been cropped by ``VideoParams.query_crop`` (``extra["zoomed"]``): the
reference stores one hash per frame, the query pays for the guesses. Time is recovered by
``jianwang.matching.temporal`` (offset and speed), so 1.1x copies align as well.
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
from jianwang.signals.inset import find_inset, shrink

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
    # The hashed region (top, bottom, left, right as fractions of the frame without its bars):
    # clear of the outer 12-15 % where crops cut and logos sit, and of the bottom 22 % where
    # subtitle bars run; symmetric left to right so the mirrored hash comes from the same DCT.
    region: tuple[float, float, float, float] = (0.12, 0.78, 0.15, 0.85)
    query_crop: float = 0.10  # a query also looks the region up as if this much had been cropped


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


def crop_black_bars(img: np.ndarray, level: float, *, black: float = 0.0) -> np.ndarray:
    """``img`` without the bars ``bar_box`` finds."""
    r0, r1, c0, c1 = bar_box(img, level, black=black)
    return img[r0:r1, c0:c1]


def bar_box(img: np.ndarray, level: float, *, black: float = 0.0) -> tuple[int, int, int, int]:
    """Rows and columns ``(r0, r1, c0, c1)`` left when the rows and columns at the edges that
    are dark and flat (letterbox and pillarbox bars: flat, and within ``level`` of ``black``)
    are cut; the whole picture when that would leave less than a third of it (a dark scene is
    not a letterbox).

    References and queries cut bars darker than ``level`` above true black. A copy made brighter
    has grey bars instead; a query also tries ``black = black_level(img)`` (see
    ``_HashCollector``). References never do: a flat dark-grey band that belongs to the picture
    (a window's title bar) would then be cut in some frames and not in others.
    """

    def content(axis_means: np.ndarray, axis_stds: np.ndarray) -> tuple[int, int]:
        live = np.flatnonzero((axis_means > black + level) | (axis_stds > level / 2))
        if live.size == 0:
            return 0, axis_means.size
        return int(live[0]), int(live[-1]) + 1

    h, w = img.shape
    r0, r1 = content(img.mean(axis=1), img.std(axis=1))
    c0, c1 = content(img.mean(axis=0), img.std(axis=0))
    if r1 - r0 < h // 3 or c1 - c0 < w // 3:
        return 0, h, 0, w
    return r0, r1, c0, c1


def settled_boxes(
    boxes: list[tuple[int, int, int, int]], shapes: list[tuple[int, ...]]
) -> list[tuple[int, int, int, int]]:
    """Bar boxes that flicker a little around the median box of the frames of their size are
    replaced by it; boxes far from it (other bars: a copy boxed inside other video) are kept.

    Bars are decided per frame, and a frame whose edge rows are dark and flat for a moment
    (a dark scene, a flat sky) would be cut a few rows differently from its neighbours, moving
    the hashed region; over a block of frames the bars a copy really has win, in reference and
    query alike.
    """
    out = list(boxes)
    for shape in set(shapes):
        rows = [i for i, s in enumerate(shapes) if s == shape]
        median = np.rint(np.median(np.asarray([boxes[i] for i in rows]), axis=0))
        size = np.asarray([shape[0], shape[0], shape[1], shape[1]], dtype=float)
        for i in rows:
            if np.all(np.abs(np.asarray(boxes[i]) - median) <= BAR_FLICKER * size):
                out[i] = (int(median[0]), int(median[1]), int(median[2]), int(median[3]))
    return out


BAR_FLICKER = 0.04
"""Bar edges within this share of the frame of the block's median edge are moved onto it."""


def black_level(img: np.ndarray) -> float:
    """The picture's own black: its 1st percentile, at most ``MAX_BAR_GREY``."""
    return min(float(np.quantile(img, 0.01)), MAX_BAR_GREY)


MAX_BAR_GREY = 0.25
"""Bars are never lighter than this (grey level in [0, 1]), however bright the copy."""


def hash_region(
    img: np.ndarray, region: tuple[float, float, float, float], shown: float = 1.0
) -> np.ndarray:
    """The part of ``img`` inside ``region`` (top, bottom, left, right as fractions).

    When ``img`` is guessed to show only the central ``shown`` of the original (a cropped copy),
    the region's edges are moved out from the centre by ``1 / shown`` so it covers the part of the
    original it covers in an uncropped frame, clipped to the picture.
    """
    h, w = img.shape

    def span(start: float, stop: float, size: int) -> slice:
        # Both ends are rounded as distances from their own edge, so a region symmetric in the
        # frame is symmetric in pixels too (the mirrored hash must be the mirror's hash).
        first = round(min(1.0, max(0.0, 0.5 + (start - 0.5) / shown)) * size)
        after = size - round(min(1.0, max(0.0, 0.5 + (0.5 - stop) / shown)) * size)
        return slice(first, max(after, first + 1))

    top, bottom, left, right = region
    return img[span(top, bottom, h), span(left, right, w)]


def resize_area(img: np.ndarray, size: int) -> np.ndarray:
    """Average ``img`` down (or repeat it up) to ``size`` x ``size`` by area."""
    h, w = img.shape
    if h < size or w < size:
        img = np.repeat(np.repeat(img, -(-size // h), axis=0), -(-size // w), axis=1)
        h, w = img.shape
    # Bin edges rounded to the nearest pixel, not floored: mirrored pictures get mirrored bins.
    rows = np.rint(np.linspace(0, h, size + 1)).astype(int)
    cols = np.rint(np.linspace(0, w, size + 1)).astype(int)
    sums = np.add.reduceat(np.add.reduceat(img, rows[:-1], axis=0), cols[:-1], axis=1)
    return sums / np.outer(np.diff(rows), np.diff(cols))


class VideoFrameHash(SignalType):
    """64-bit DCT hashes of frames sampled at 2 fps."""

    name: ClassVar[str] = "video.dcthash"
    version: ClassVar[int] = 2
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

    def frame_hashes(
        self, image: np.ndarray, *, shown: float = 1.0
    ) -> tuple[np.uint64, np.uint64] | None:
        """The hash of a frame and of its mirror image, or ``None`` for a featureless frame;
        ``shown`` is the share of the original picture the frame is guessed to show."""
        return self.grey_hashes(crop_black_bars(to_grey(image), self.config.bar_level), shown)

    def grey_hashes(
        self, grey: np.ndarray, shown: float = 1.0
    ) -> tuple[np.uint64, np.uint64] | None:
        """The hash of a grey picture's region (values in [0, 1]) and of its mirror image.

        ``shown`` below 1 says the picture is the centre of a larger original, ``shown`` of its
        width and height: the region is then widened so it covers the same part of the original.
        """
        cfg = self.config
        small = resize_area(hash_region(grey, cfg.region, shown), cfg.hash_size)
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
        """The frames' hashes and their mirror images' hashes, each at its frame time, as seen
        and as if cropped; and the same for the inset picture where one was found (a film in a
        window over other video)."""
        self.check(fp)
        if fp.empty:
            return fp.codes, fp.positions
        codes = [fp.codes, fp.extra["flipped"]]
        positions = [fp.positions, fp.positions]
        for name in _HashCollector.PAIRS:
            there = fp.extra[f"has_{name}"].astype(bool)
            codes += [fp.extra[name][there], fp.extra[f"{name}_flipped"][there]]
            positions += [fp.positions[there], fp.positions[there]]
        return np.concatenate(codes), np.concatenate(positions)

    def compare(self, a: Fingerprint, b: Fingerprint) -> float:
        """Share of ``a``'s frames (mirrored or not, as seen or as if cropped) within the match
        distance of a frame of ``b``."""
        self.check(a)
        self.check(b)
        if a.empty or b.empty:
            return 0.0
        limit = self.match_policy().max_distance
        codes, positions = self.query_codes(a)
        near = np.bitwise_count(codes[:, None] ^ b.codes[None, :]).min(axis=1) <= limit
        return float(np.unique(positions[near]).size / a.codes.size)

    def match_policy(self) -> TemporalPolicy:
        """At least 8 aligned frames (4 s), improbable by chance at 1e-6; frames within 11 bits
        (the most a four-chunk multi-index finds with two-bit probes, see ``BinaryIndex``)."""
        return TemporalPolicy(
            min_aligned=8,
            alpha=1e-6,
            speed_min=0.85,
            speed_max=1.15,
            speed_step=0.02,
            offset_bin=1.0 / self.config.fps,
            max_segments=2,
            max_distance=11,
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
    """Frame hashes of a stream of frames, with the variants a query looks up.

    Per frame: the hash and its mirror image's (``codes``, ``flipped``), the same as if the
    frame were a cropped copy (``zoomed``), with grey bars cut where a brightened copy has them
    and black-bar cutting left them (``grey_bars``, only where that changes the picture), and of
    the inset picture where there is one (``inset``). Frames are handled in blocks of
    ``INSET_BLOCK``: bars are settled over the block (``settled_boxes``), the block is searched
    for an inset (``find_inset``), and every frame's inset is hashed too. Memory is one block of
    frames as decoded (at most ``DECODE_WIDTH`` wide from ``fingerprint``).
    """

    PAIRS = ("zoomed", "grey_bars", "inset")
    """Variants kept as a hash and its mirror image, with a flag saying where there is one."""

    def __init__(self, signal: VideoFrameHash) -> None:
        self.signal = signal
        self.times: list[float] = []
        self.columns: dict[str, list[Any]] = {"codes": [], "flipped": []}
        for name in self.PAIRS:
            self.columns.update({name: [], f"{name}_flipped": [], f"has_{name}": []})
        self.pending: list[tuple[float, np.ndarray]] = []  # the block's (time, grey picture)

    def add(self, t: float, image: np.ndarray) -> None:
        self.pending.append((t, to_grey(image).astype(np.float32)))
        if len(self.pending) >= INSET_BLOCK:
            self._flush()

    def _flush(self) -> None:
        """Hash the block's frames: bars settled over the block, then insets."""
        frames, self.pending = self.pending, []
        if not frames:
            return
        cfg = self.signal.config
        shapes = [grey.shape for _, grey in frames]
        boxes = settled_boxes([bar_box(grey, cfg.bar_level) for _, grey in frames], shapes)
        brighter = settled_boxes(
            [bar_box(grey, cfg.bar_level, black=black_level(grey)) for _, grey in frames], shapes
        )
        block: list[tuple[int, np.ndarray]] = []  # (row in the lists, shrunk grey)
        for (t, grey), box, bright_box in zip(frames, boxes, brighter, strict=True):
            r0, r1, c0, c1 = box
            picture = grey[r0:r1, c0:c1]
            pair = self.signal.grey_hashes(picture)
            if pair is None:
                continue
            row = len(self.times)
            self.times.append(t)
            self.columns["codes"].append(pair[0])
            self.columns["flipped"].append(pair[1])
            for name in self.PAIRS:
                self._set(name, None)
            self._set("zoomed", self.signal.grey_hashes(picture, 1.0 - cfg.query_crop), row)
            if bright_box != box:
                r0, r1, c0, c1 = bright_box
                self._set("grey_bars", self.signal.grey_hashes(grey[r0:r1, c0:c1]), row)
            block.append((row, shrink(grey, INSET_SIDE)))
        self._insets(block)

    def _set(
        self, name: str, pair: tuple[np.uint64, np.uint64] | None, row: int | None = None
    ) -> None:
        """Append an empty slot of variant ``name`` (``row`` None), or fill slot ``row``."""
        cols = self.columns
        if row is None:
            cols[name].append(np.uint64(0))
            cols[f"{name}_flipped"].append(np.uint64(0))
            cols[f"has_{name}"].append(False)
        elif pair is not None:
            cols[name][row], cols[f"{name}_flipped"][row] = pair
            cols[f"has_{name}"][row] = True

    def finish(self) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        self._flush()
        extra = {
            name: np.asarray(values, dtype=np.uint8 if name.startswith("has_") else np.uint64)
            for name, values in self.columns.items()
            if name != "codes"
        }
        times = np.asarray(self.times, dtype=np.float32)
        return times, np.asarray(self.columns["codes"], dtype=np.uint64), extra

    def _insets(self, block: list[tuple[int, np.ndarray]]) -> None:
        box = find_inset([small for _, small in block])
        if box is not None:
            y0, y1, x0, x1 = box
            for row, small in block:
                inset = crop_black_bars(small[y0:y1, x0:x1], self.signal.config.bar_level)
                self._set("inset", self.signal.grey_hashes(inset), row)


DECODE_WIDTH = 320
"""Frames are decoded at most this wide for hashing."""
INSET_BLOCK = 40
"""Frames searched together for an inset (20 s at 2 fps): enough for its border to stand out."""
INSET_SIDE = 160
"""Frames are shrunk to about this width to find and hash insets."""
