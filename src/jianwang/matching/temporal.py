"""Time alignment of candidate pairs: find (speed, offset) lines that many pairs agree on.

Every query code that hits a reference posting gives a pair (query time q, reference time r) for
that item. A genuine copy puts many pairs on one line ``r = speed * q + offset``; chance hits are
scattered. Per item, pairs vote over a grid of speed hypotheses and offset bins (a Hough
transform); the best cell is refined by least squares on its inliers and localised as a query
span and a reference span.

Decision rule (honest by construction): with ``n`` pairs for an item spread over an offset range
``R``, a cell of width ``w`` holds on average ``lam = n * w / R`` chance pairs. A cell with
``k`` pairs is accepted only if ``cells * P[Poisson(lam) >= k] <= alpha`` (``cells`` = all speed
and offset cells tried, a Bonferroni correction) AND it holds at least ``min_aligned`` distinct
query positions. So a longer query or a denser index does not raise the false-match rate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import stats

from jianwang.matching.result import SegmentMatch
from jianwang.signals.base import TemporalPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Alignment:
    """One accepted line of pairs for one item, before it becomes a ``SegmentMatch``."""

    speed: float
    offset: float
    query_times: np.ndarray  # the inlier pairs
    ref_times: np.ndarray
    pairs_in_cell: int
    chance: float  # Bonferroni-corrected tail probability


def speed_grid(policy: TemporalPolicy) -> np.ndarray:
    """The speed hypotheses voted on."""
    n = max(0, round((policy.speed_max - policy.speed_min) / policy.speed_step))
    return policy.speed_min + policy.speed_step * np.arange(n + 1)


def align(
    query_times: np.ndarray,
    ref_times: np.ndarray,
    item_ids: np.ndarray,
    policy: TemporalPolicy,
    *,
    signal: str,
) -> list[SegmentMatch]:
    """Accepted segments of all items, best first."""
    q = np.asarray(query_times, dtype=np.float64)
    r = np.asarray(ref_times, dtype=np.float64)
    items = np.asarray(item_ids)
    out: list[SegmentMatch] = []
    if q.size == 0:
        return out
    order = np.argsort(items, kind="stable")
    q, r, items = q[order], r[order], items[order]
    bounds = np.flatnonzero(np.r_[True, items[1:] != items[:-1], True])
    for a, b in pairwise(bounds):
        item = int(items[a])
        for found in align_item(q[a:b], r[a:b], policy):
            qi, ri = found.query_times, found.ref_times
            out.append(
                SegmentMatch(
                    item_id=item,
                    signal=signal,
                    score=float(np.unique(qi).size),
                    query_start=float(qi.min()),
                    query_end=float(qi.max()),
                    ref_start=float(ri.min()),
                    ref_end=float(ri.max()),
                    speed=round(found.speed, 4),
                )
            )
    out.sort(key=lambda m: (-m.score, m.item_id, m.query_start))
    return out


def align_item(q: np.ndarray, r: np.ndarray, policy: TemporalPolicy) -> list[Alignment]:
    """Up to ``policy.max_segments`` accepted alignments of one item's pairs."""
    pairs = np.unique(np.stack([q, r], axis=1), axis=0)  # a pair counts once however found
    q, r = pairs[:, 0], pairs[:, 1]
    alive = np.arange(q.size)
    found: list[Alignment] = []
    for _ in range(policy.max_segments):
        if alive.size < policy.min_aligned:
            break
        cell = _best_cell(q[alive], r[alive], policy)
        if cell is None:
            break
        best, _ = cell
        found.append(best)
        # A moment of the query copies one place of the reference: later segments must come
        # from other parts of the query.
        q_lo, q_hi = best.query_times.min(), best.query_times.max()
        alive = alive[(q[alive] < q_lo) | (q[alive] > q_hi)]
    return found


def _best_cell(
    q: np.ndarray, r: np.ndarray, policy: TemporalPolicy
) -> tuple[Alignment, np.ndarray] | None:
    """The accepted best (speed, offset) cell with the indices of its inliers, or ``None``."""
    speeds = speed_grid(policy)
    w = policy.offset_bin
    offsets = r[None, :] - speeds[:, None] * q[None, :]  # (speeds, pairs)
    lo = float(offsets.min())
    bins = np.floor((offsets - lo) / w).astype(np.int64)
    n_bins = int(bins.max()) + 3
    # Votes are distinct query positions, not pairs: one query moment often hits the same place
    # several times (several hashes, several variants), and those hits are one piece of evidence.
    anchor, per_anchor = np.unique(q, return_inverse=True, return_counts=True)[1:]
    n_anchor = per_anchor.size
    cell_rows = np.arange(speeds.size)[:, None] * n_bins + bins + 1
    votes = np.unique(
        np.concatenate([(cell_rows + d).ravel() * n_anchor + np.tile(anchor, speeds.size)
                        for d in (-1, 0, 1)])
    ) // n_anchor  # fmt: skip
    smooth = np.bincount(votes, minlength=speeds.size * n_bins).reshape(speeds.size, n_bins)
    # Among near-best cells prefer the speed closest to 1: a static scene fits a fan of speeds
    # equally well, and most copies are not sped up.
    top = int(smooth.max())
    near_s, near_b = np.nonzero(smooth >= max(top - 1, 0.95 * top))
    pick = int(np.lexsort((-smooth[near_s, near_b], np.abs(speeds[near_s] - 1.0)))[0])
    s_idx, b_idx = int(near_s[pick]), int(near_b[pick])
    count = int(smooth[s_idx, b_idx])
    speed = float(speeds[s_idx])
    offset = lo + (b_idx - 1 + 0.5) * w
    # Chance level: each query position's pairs land evenly over the offset range actually
    # observed, so it falls in a given three-bin cell with probability pairs * 3w / span.
    span = max(float(r.max() - r.min()) + speed * float(q.max() - q.min()), 3 * w)
    lam = float(np.minimum(1.0, per_anchor * 3 * w / span).sum())
    cells = speeds.size * max(1.0, span / w)
    chance = float(cells * stats.poisson.sf(count - 1, lam))
    if chance > policy.alpha:
        return None
    inliers = _trim(q, _refine(q, r, speed, offset, policy))
    if inliers.size == 0 or np.unique(q[inliers]).size < policy.min_aligned:
        return None
    speed, offset = _fit(q[inliers], r[inliers], speed, offset, policy)
    return Alignment(speed, offset, q[inliers], r[inliers], count, chance), inliers


def _refine(
    q: np.ndarray, r: np.ndarray, speed: float, offset: float, policy: TemporalPolicy
) -> np.ndarray:
    """Inliers of the cell's line: per query time the pair nearest the line, if within the band;
    the line is re-fitted once so that long queries do not drift out of the band.

    Keeping one pair per query time matters for video, where a frame of a static scene resembles
    every frame of that scene and off-line pairs would otherwise bias the fitted speed.
    """
    tol = 1.5 * policy.offset_bin
    inliers = _nearest_per_query(q, r, speed, offset, tol)
    if inliers.size >= 3:
        fitted = _fit(q[inliers], r[inliers], speed, offset, policy)
        refitted = _nearest_per_query(q, r, *fitted, tol)
        if refitted.size >= inliers.size:  # keep the fit only if it explains at least as much
            inliers = refitted
    return inliers


def _trim(q: np.ndarray, inliers: np.ndarray) -> np.ndarray:
    """The largest run of inliers without a long pause, so a stray chance pair far from the
    copied segment does not stretch the reported spans. Pauses of a few seconds inside a copy
    (a rest, a quiet bar, a static shot) do not split it."""
    if inliers.size < 3:
        return inliers
    inliers = inliers[np.argsort(q[inliers], kind="stable")]
    gaps = np.diff(q[inliers])
    limit = max(3.0, 4.0 * float(np.median(gaps)))
    cuts = np.flatnonzero(gaps > limit) + 1
    runs = np.split(inliers, cuts)
    return max(runs, key=len)


def _nearest_per_query(
    q: np.ndarray, r: np.ndarray, speed: float, offset: float, tol: float
) -> np.ndarray:
    resid = np.abs(r - (speed * q + offset))
    near = np.flatnonzero(resid <= tol)
    if near.size == 0:
        return near
    order = near[np.lexsort((resid[near], q[near]))]
    first = np.r_[True, q[order][1:] != q[order][:-1]]
    return order[first]


def _fit(
    q: np.ndarray, r: np.ndarray, speed: float, offset: float, policy: TemporalPolicy
) -> tuple[float, float]:
    """Least-squares line through the inliers, kept within the policy's speed range."""
    if np.ptp(q) < 5 * policy.offset_bin:
        return speed, float(np.median(r - speed * q))
    slope, intercept = np.polyfit(q, r, 1)
    lo, hi = policy.speed_min - policy.speed_step, policy.speed_max + policy.speed_step
    if not lo <= slope <= hi:
        return speed, float(np.median(r - speed * q))
    return float(slope), float(intercept)
