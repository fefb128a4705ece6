"""Finding a film shown in a window over other video (picture in picture).

A pirate who pastes a film into a smaller window over unrelated footage leaves a border that
stays put while the pictures on both sides of it change. Averaged over many frames, the
grey-level jump across that border is strong all along it, where the edges of moving content
come and go. ``find_inset`` looks for the rectangle whose sides are such borders; the caller
hashes what is inside it as well as the whole frame.
"""

from __future__ import annotations

import numpy as np

INSET_CONTRAST = 3.0
"""A border pixel jumps at least this many times the frame's typical gradient."""
STRONG_SHARE = 0.75
"""At least this share of each side of an inset's border must be that strong."""
CANDIDATE_LINES = 10
"""Rows and columns tried as sides: the strongest of each direction."""
MIN_SIDE, MAX_SIDE = 0.25, 0.9
"""An inset is between these shares of the frame's width and height."""


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

    Candidate sides are the rows and columns holding the strongest stretch (a quarter of the
    frame long) of time-averaged gradient, plus the frame's own edges: a window pushed against
    the edge of the screen has no border there. A rectangle qualifies when at least three of its
    sides are real borders, each strong (``INSET_CONTRAST`` times the typical gradient) along
    ``STRONG_SHARE`` of its length; the one whose weakest real side is strongest on average wins.
    Letterbox bars are cut before hashing and are not insets: a rectangle spans at most
    ``MAX_SIDE`` of the frame each way.
    """
    if len(frames) < 4 or len({f.shape for f in frames}) != 1:
        return None
    stack = np.stack(frames)
    h, w = stack.shape[1:]
    if h < 8 or w < 8:
        return None
    gx = np.abs(np.diff(stack, axis=2)).mean(axis=0)  # (h, w-1): the jump between x and x+1
    gy = np.abs(np.diff(stack, axis=1)).mean(axis=0).T  # (w, h-1): the jump between y and y+1
    typical = float(np.median(np.concatenate([gx.ravel(), gy.ravel()]))) + 1e-3
    strong = INSET_CONTRAST * typical
    # A side at index i separates pixel i from i+1; -1 and size-1 are the frame's own edges.
    xs = np.asarray([*_strong_lines(gx, h // 4), -1, w - 1])
    ys = np.asarray([*_strong_lines(gy, w // 4), -1, h - 1])
    v_share, v_mean = _side_measures(gx, xs, ys, strong)  # (x, y0, y1)
    h_share, h_mean = _side_measures(gy, ys, xs, strong)  # (y, x0, x1)
    # Every rectangle (x0, x1, y0, y1) at once: its four sides' measures.
    shares, means = _per_rectangle(v_share, h_share), _per_rectangle(v_mean, h_mean)
    real = np.isfinite(means)
    width = xs[None, :] - xs[:, None]
    height = ys[None, :] - ys[:, None]
    sized = ((width >= MIN_SIDE * w) & (width <= MAX_SIDE * w))[:, :, None, None] & (
        (height >= MIN_SIDE * h) & (height <= MAX_SIDE * h)
    )[None, None, :, :]
    ok = sized & (real.sum(axis=0) >= 3) & np.all(shares >= STRONG_SHARE, axis=0)
    if not ok.any():
        return None
    score = np.where(ok, np.min(np.where(real, means, np.inf), axis=0), -np.inf)
    a, b, c, d = np.unravel_index(int(np.argmax(score)), score.shape)
    return int(ys[c]) + 1, int(ys[d]) + 1, int(xs[a]) + 1, int(xs[b]) + 1


def _per_rectangle(vertical: np.ndarray, horizontal: np.ndarray) -> np.ndarray:
    """(4, x0, x1, y0, y1): the left, right, top and bottom sides' measure of every rectangle,
    from measures of vertical sides ``(x, y0, y1)`` and horizontal ones ``(y, x0, x1)``."""
    across = horizontal.transpose(1, 2, 0)  # (x0, x1, y)
    return np.stack(
        np.broadcast_arrays(
            vertical[:, None, :, :],
            vertical[None, :, :, :],
            across[:, :, :, None],
            across[:, :, None, :],
        )
    )


def _strong_lines(gradient: np.ndarray, stretch: int) -> list[int]:
    """The ``CANDIDATE_LINES`` lines (columns of ``gradient``: positions along the other axis
    run down them) holding the strongest ``stretch``-long run, by local maxima."""
    stretch = max(2, min(stretch, gradient.shape[0]))
    total = np.cumsum(np.vstack([np.zeros((1, gradient.shape[1])), gradient]), axis=0)
    profile = ((total[stretch:] - total[:-stretch]) / stretch).max(axis=0)
    if profile.size < 3:
        return []
    peak = np.flatnonzero((profile[1:-1] >= profile[:-2]) & (profile[1:-1] >= profile[2:])) + 1
    return sorted(int(i) for i in peak[np.argsort(-profile[peak])[:CANDIDATE_LINES]])


def _side_measures(
    gradient: np.ndarray, lines: np.ndarray, across: np.ndarray, strong: float
) -> tuple[np.ndarray, np.ndarray]:
    """For each side on ``lines`` running between two of ``across``: the share of its pixels
    that are strong and its mean gradient; ``inf`` for a side on the frame's own edge (nothing
    to measure, nothing against it).

    ``gradient`` holds one column per position along ``lines``' axis; a side between ``across``
    positions ``p < q`` covers pixels ``p+1 .. q``.
    """
    n_pos = gradient.shape[1]
    count = np.zeros((lines.size, gradient.shape[0] + 1))
    total = np.zeros_like(count)
    for k, line in enumerate(lines):
        if 0 <= line < n_pos:
            count[k, 1:] = np.cumsum(gradient[:, line] > strong)
            total[k, 1:] = np.cumsum(gradient[:, line])
    start = np.clip(across + 1, 0, gradient.shape[0])
    length = np.maximum(start[None, :] - start[:, None], 1)  # (p, q)
    share = (count[:, None, start] - count[:, start, None]) / length
    mean = (total[:, None, start] - total[:, start, None]) / length
    edge = (lines < 0) | (lines >= n_pos)
    share[edge], mean[edge] = np.inf, np.inf
    return share, mean
