"""Picture edits pirates make to the frames of a copy: colour, bars, overlays, a filmed screen.

``jianwang.media.transform`` changes a copy's geometry and timing (crop, scale, mirror, speed,
frame rate, bitrate) while re-encoding it. Pirated video is also recoloured to dodge naive
matching, boxed into another aspect ratio, branded with a site's logo and subtitles, filmed off a
cinema screen with a camcorder, or shown small over other video. Those changes act on one frame
at a time, so they are written here as plain functions of ``(H, W, 3)`` uint8 RGB arrays (and two
small classes that precompute what every frame of a copy shares), with NumPy and SciPy only: the
benchmarks and tests chain them between decoding and re-encoding, and a test checks each one on
an array without any codec in the way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from av.video.frame import VideoFrame
from scipy import ndimage

_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601
# RGB <-> YIQ: hue is an angle in the (I, Q) chroma plane, so turning it is a 2-D rotation there.
_TO_YIQ = np.array([[0.299, 0.587, 0.114], [0.596, -0.274, -0.322], [0.211, -0.523, 0.312]])
_FROM_YIQ = np.linalg.inv(_TO_YIQ)


def _checked(image: np.ndarray) -> np.ndarray:
    array = np.asarray(image)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB frame, got shape {array.shape}")
    return array


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values), 0, 255).astype(np.uint8)


def even(n: float) -> int:
    """``n`` rounded down to an even number of at least 2 (what yuv420p encoding needs)."""
    return max(2, int(n) // 2 * 2)


def adjust_colour(
    image: np.ndarray,
    *,
    brightness: float = 0.0,
    contrast: float = 1.0,
    saturation: float = 1.0,
    hue_deg: float = 0.0,
    gains: Sequence[float] = (1.0, 1.0, 1.0),
) -> np.ndarray:
    """The frame recoloured, as a pirate's "colour grade" or a camcorder's white balance does.

    ``gains`` multiply R, G and B (a colour cast); the hue turns by ``hue_deg`` and the saturation
    scales the chroma (0 grey, 1 unchanged); ``contrast`` stretches values around mid grey and
    ``brightness`` (a fraction of full scale) is added last.
    """
    rgb = _checked(image).astype(np.float32) / 255.0
    rgb = rgb * np.asarray(gains, dtype=np.float32)
    if hue_deg or saturation != 1.0:
        yiq = rgb @ _TO_YIQ.T.astype(np.float32)
        angle = np.deg2rad(hue_deg)
        cos, sin = np.cos(angle) * saturation, np.sin(angle) * saturation
        i, q = yiq[..., 1].copy(), yiq[..., 2].copy()
        yiq[..., 1] = cos * i - sin * q
        yiq[..., 2] = sin * i + cos * q
        rgb = yiq @ _FROM_YIQ.T.astype(np.float32)
    rgb = (rgb - 0.5) * contrast + 0.5 + brightness
    return _to_uint8(rgb * 255.0)


def resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """The frame resized to ``width`` x ``height`` (area averaging down, bicubic up, by FFmpeg)."""
    array = _checked(image)
    if array.shape[1] == width and array.shape[0] == height:
        return array
    frame = VideoFrame.from_ndarray(np.ascontiguousarray(array, dtype=np.uint8), format="rgb24")
    interpolation = "AREA" if width <= array.shape[1] else "BICUBIC"
    return frame.reformat(width=width, height=height, interpolation=interpolation).to_ndarray()


def fit_into(
    image: np.ndarray, width: int, height: int, *, fill: float = 1.0, level: int = 0
) -> np.ndarray:
    """The frame scaled, aspect kept, to fit ``fill`` of a ``width`` x ``height`` canvas of grey
    ``level`` (black by default), centred: letterbox or pillarbox bars where the aspects differ."""
    array = _checked(image)
    h, w = array.shape[:2]
    if (w, h) == (width, height) and fill >= 1.0:
        return array
    scale = fill * min(width / w, height / h)
    inner_w, inner_h = min(width, even(w * scale)), min(height, even(h * scale))
    canvas = np.full((height, width, 3), level, dtype=np.uint8)
    top, left = (height - inner_h) // 2, (width - inner_w) // 2
    canvas[top : top + inner_h, left : left + inner_w] = resize(array, inner_w, inner_h)
    return canvas


def letterbox_size(width: int, height: int, aspect: float) -> tuple[int, int]:
    """The frame a ``width`` x ``height`` picture is boxed into at ``aspect`` (width / height):
    as wide as the picture, as tall as the aspect says. A picture narrower than the aspect is
    shrunk into it between side bars; a wider one keeps its width between top and bottom bars."""
    return even(width), even(width / aspect)


def letterbox(image: np.ndarray, aspect: float, *, fill: float = 1.0) -> np.ndarray:
    """The frame boxed into a frame of ``aspect`` (16/9, 2.35) with black bars."""
    h, w = _checked(image).shape[:2]
    return fit_into(image, *letterbox_size(w, h, aspect), fill=fill)


def paste(background: np.ndarray, inset: np.ndarray, x: int, y: int) -> np.ndarray:
    """A copy of ``background`` with ``inset`` covering it from column ``x``, row ``y`` (the part
    of the inset outside the background is cut off)."""
    out = _checked(background).copy()
    inner = _checked(inset)
    h = max(0, min(inner.shape[0], out.shape[0] - y))
    w = max(0, min(inner.shape[1], out.shape[1] - x))
    out[y : y + h, x : x + w] = inner[:h, :w]
    return out


def picture_in_picture(
    background: np.ndarray, copy: np.ndarray, *, scale: float, x: float, y: float
) -> np.ndarray:
    """``copy`` shrunk to ``scale`` of the background's size and pasted over it with its top-left
    corner at ``x``, ``y`` (fractions of the room left beside it: 0 left/top, 1 right/bottom)."""
    bh, bw = _checked(background).shape[:2]
    inner_w, inner_h = even(bw * scale), even(bh * scale)
    small = resize(copy, inner_w, inner_h)
    return paste(background, small, round(x * (bw - inner_w)), round(y * (bh - inner_h)))


def blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``sigma`` pixels (an out-of-focus or low-resolution camera)."""
    array = _checked(image)
    if sigma <= 0:
        return array
    return ndimage.gaussian_filter(array, sigma=(sigma, sigma, 0), mode="nearest")


def add_noise(image: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise of ``sigma`` grey levels (out of 255) added to every sample (sensor noise)."""
    array = _checked(image)
    noise = rng.standard_normal(size=array.shape, dtype=np.float32)
    noise *= np.float32(sigma)
    noise += array
    return _to_uint8(noise)


def homography(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3x3 projective map taking the four points ``src`` (4, 2) onto ``dst`` (4, 2)."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(np.asarray(src, float), np.asarray(dst, float), strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    h = np.linalg.solve(np.asarray(rows), np.asarray(rhs))
    return np.append(h, 1.0).reshape(3, 3)


class PerspectiveWarp:
    """The picture as a camera filming the screen at a slight angle sees it.

    ``corners`` (4, 2) moves the picture's corners (top-left, top-right, bottom-right,
    bottom-left) by fractions of its width and height; what falls outside the moved picture is
    grey ``level`` (the dark room around a screen). The source coordinates of every output pixel
    are worked out once, for a frame size, and each frame is then sampled bilinearly with
    ``scipy.ndimage.map_coordinates``.
    """

    def __init__(self, width: int, height: int, corners: np.ndarray, *, level: int = 16) -> None:
        self.width, self.height, self.level = width, height, level
        box = np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], float)
        moved = box + np.asarray(corners, float).reshape(4, 2) * (width - 1, height - 1)
        inverse = homography(moved, box)  # output pixel -> source pixel
        ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
        points = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)])
        sx, sy, sw = inverse @ points
        self._coords = np.stack([sy / sw, sx / sw]).reshape(2, height, width).astype(np.float32)

    def __call__(self, image: np.ndarray) -> np.ndarray:
        array = _checked(image)
        if array.shape[:2] != (self.height, self.width):
            raise ValueError(f"warp made for {self.width}x{self.height}, got {array.shape[:2]}")
        out = np.empty_like(array)
        for c in range(3):
            ndimage.map_coordinates(
                array[..., c], self._coords, output=out[..., c], order=1, cval=self.level
            )
        return out


class LogoAndCaption:
    """A pirate site's branding: an opaque logo in a corner and a subtitle bar at the bottom.

    The logo (``logo_size`` of the frame width, a coloured block with a ring and bars on it) sits
    in ``corner`` (0 top-left, 1 top-right, 2 bottom-right, 3 bottom-left, bottom ones above the
    bar). The bar is ``bar_height`` of the frame, dark, across the whole width; it carries one or
    two lines of light "words" (blocks of random widths) that change every ``line_s`` seconds,
    like subtitles. Everything is drawn from ``seed``.
    """

    def __init__(
        self,
        width: int,
        height: int,
        *,
        seed: int,
        corner: int = 1,
        logo_size: float = 0.16,
        bar_height: float = 0.14,
        line_s: float = 2.5,
    ) -> None:
        self.width, self.height, self.line_s, self.seed = width, height, line_s, seed
        rng = np.random.default_rng(seed)
        self.bar_h = max(4, round(bar_height * height))
        lw = max(8, round(logo_size * width))
        lh = max(6, round(lw * 0.6))
        self.logo = self._logo(rng, lw, lh)
        margin_x, margin_y = round(0.03 * width), round(0.04 * height)
        right, bottom = width - lw - margin_x, height - self.bar_h - lh - margin_y
        self._line: tuple[int, np.ndarray] | None = None
        self.logo_xy = [
            (margin_x, margin_y),
            (right, margin_y),
            (right, bottom),
            (margin_x, bottom),
        ][corner % 4]

    @staticmethod
    def _logo(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
        logo = np.empty((height, width, 3), np.uint8)
        logo[:] = rng.integers(30, 226, size=3)
        ys, xs = np.mgrid[0:height, 0:width]
        cx, cy, r = width * 0.25, height / 2, height * 0.35
        ring = np.abs(np.hypot(xs - cx, ys - cy) - r) < max(1.0, r * 0.25)
        logo[ring] = rng.integers(0, 256, size=3)
        for k in range(3):
            top = round(height * (0.2 + 0.22 * k))
            logo[top : top + max(1, height // 8), round(width * 0.5) : round(width * 0.9)] = (
                rng.integers(0, 256, size=3)
            )
        return logo

    def _caption(self, line: int) -> np.ndarray:
        """The bar for subtitle ``line``: light word blocks on a dark strip."""
        rng = np.random.default_rng([self.seed, line])
        bar = np.full((self.bar_h, self.width, 3), 24, np.uint8)
        lines = int(rng.integers(1, 3))
        glyph_h = max(2, round(self.bar_h / (2.8 * lines)))
        for k in range(lines):
            top = round(self.bar_h * (k + 0.5) / lines - glyph_h / 2)
            x = round(self.width * rng.uniform(0.1, 0.3))
            stop = round(self.width * rng.uniform(0.7, 0.9))
            while x < stop:
                word = max(2, round(self.width * rng.uniform(0.02, 0.08)))
                bar[top : top + glyph_h, x : min(x + word, stop)] = 235
                x += word + max(2, round(self.width * 0.015))
        return bar

    def __call__(self, image: np.ndarray, t: float) -> np.ndarray:
        """Frame ``image`` shown at ``t`` seconds, branded."""
        array = _checked(image)
        if array.shape[:2] != (self.height, self.width):
            raise ValueError(f"overlay made for {self.width}x{self.height}, got {array.shape[:2]}")
        out = paste(array, self.logo, *self.logo_xy)
        line = int(t // self.line_s)
        if self._line is None or self._line[0] != line:
            self._line = (line, self._caption(line))
        out[self.height - self.bar_h :] = self._line[1]
        return out


def luma(image: np.ndarray) -> np.ndarray:
    """Grey levels (float, 0-255) of an RGB frame, BT.601 weights."""
    return _checked(image).astype(np.float64) @ _LUMA
