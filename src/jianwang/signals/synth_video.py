"""Video-like frame sequences generated in code, and the transformations pirated copies go through.

A synthetic video is a list of scenes (a shaded background with textured, slowly moving shapes);
``frame(t)`` renders the picture at any time ``t``, so a sped-up copy is rendered exactly rather
than by dropping frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SynthFrame:
    """A decoded frame: time in seconds and a grey image (float32 in [0, 1], or uint8)."""

    t: float
    image: np.ndarray


@dataclass(frozen=True)
class _Scene:
    start: float
    background: np.ndarray  # (H, W)
    shapes: tuple[tuple[float, float, float, float, float, float, float], ...]
    # each shape: x, y, vx, vy, radius_x, radius_y, intensity (units: fractions of the frame)


class SyntheticVideo:
    """A deterministic ``seconds``-long video of ``height`` x ``width`` grey frames."""

    def __init__(self, seed: int, seconds: float, *, height: int = 72, width: int = 128) -> None:
        rng = np.random.default_rng(seed)
        self.seconds = seconds
        self.height, self.width = height, width
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
        yy /= height
        xx /= width
        scenes: list[_Scene] = []
        t = 0.0
        while t < seconds:
            angle = rng.uniform(0, 2 * np.pi)
            bg = 0.5 + 0.3 * ((xx - 0.5) * np.cos(angle) + (yy - 0.5) * np.sin(angle))
            for _ in range(3):
                fx, fy = rng.uniform(0.5, 4, 2)
                bg += 0.12 * np.sin(2 * np.pi * (fx * xx + fy * yy) + rng.uniform(0, 6.3))
            shapes = tuple(
                (
                    *rng.uniform(0.1, 0.9, 2),
                    *rng.uniform(-0.04, 0.04, 2),
                    *rng.uniform(0.06, 0.22, 2),
                    rng.uniform(0.0, 1.0),
                )
                for _ in range(int(rng.integers(2, 5)))
            )
            scenes.append(_Scene(t, bg, shapes))
            t += rng.uniform(3.0, 7.0)
        self._scenes = scenes
        self._grid = (yy, xx)

    def frame(self, t: float) -> np.ndarray:
        """The picture at time ``t`` (float32 in [0, 1])."""
        starts = [s.start for s in self._scenes]
        scene = self._scenes[max(0, int(np.searchsorted(starts, t, side="right")) - 1)]
        local = t - scene.start
        yy, xx = self._grid
        img = scene.background.copy()
        for x, y, vx, vy, rx, ry, level in scene.shapes:
            cx, cy = x + vx * local, y + vy * local
            inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0
            img[inside] = level
        return np.clip(img, 0, 1).astype(np.float32)

    def frames(
        self, fps: float, start: float = 0.0, end: float | None = None, speed: float = 1.0
    ) -> list[SynthFrame]:
        """Frames sampled at ``fps`` of a copy playing ``speed`` times faster from ``start``.

        Frame times are in the copy's own clock (starting at 0).
        """
        end = self.seconds if end is None else min(end, self.seconds)
        n = int(np.floor((end - start) / speed * fps + 1e-9))
        return [SynthFrame(i / fps, self.frame(start + i / fps * speed)) for i in range(n)]


def concat(*parts: list[SynthFrame], fps: float) -> list[SynthFrame]:
    """Frame lists played one after another, re-timed at ``fps``."""
    images = [f.image for part in parts for f in part]
    return [SynthFrame(i / fps, img) for i, img in enumerate(images)]


def transform(
    frames: list[SynthFrame], how: str, seed: int = 0, *, crop: float = 0.05
) -> list[SynthFrame]:
    """Apply one pirate transformation to every frame.

    ``how``: ``reencode`` (noise, contrast and brightness change, 8-bit), ``scale`` (half size),
    ``crop`` (``crop`` of each dimension, half off each side), ``flip`` (mirror),
    ``letterbox`` (black bars top and bottom).
    """
    rng = np.random.default_rng(seed)
    out = []
    for f in frames:
        img = f.image.astype(np.float32)
        if how == "reencode":
            img = np.clip(0.85 * img + 0.08 + rng.normal(0, 0.02, img.shape), 0, 1)
            img = (img * 255).round().astype(np.uint8)
        elif how == "scale":
            h, w = img.shape[0] // 2 * 2, img.shape[1] // 2 * 2
            img = img[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        elif how == "crop":
            dh, dw = round(img.shape[0] * crop / 2), round(img.shape[1] * crop / 2)
            img = img[dh : img.shape[0] - dh, dw : img.shape[1] - dw]
        elif how == "flip":
            img = img[:, ::-1]
        elif how == "letterbox":
            bar = np.zeros((img.shape[0] // 6, img.shape[1]), dtype=img.dtype)
            img = np.vstack([bar, img, bar])
        else:
            raise ValueError(f"unknown transformation {how!r}")
        out.append(SynthFrame(f.t, np.ascontiguousarray(img)))
    return out
