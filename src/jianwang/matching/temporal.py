"""Time alignment of candidate pairs: find (speed, offset) lines that many pairs agree on.

Every query code that hits a reference posting gives a pair (query time q, reference time r) for
that item. A genuine copy puts many pairs on one line ``r = speed * q + offset``; chance hits are
scattered. Per item, pairs vote over a grid of speed hypotheses and offset bins (a Hough
transform); the best cell is refined by least squares on its inliers and localised as a query
span and a reference span.

Decision rule: with ``n`` pairs for an item spread over an offset range ``R``, a cell of width
``w`` holds on average ``lam = n * w / R`` chance pairs. A cell with ``k`` votes is accepted only
if ``items * cells * P[Poisson(lam) >= k] <= alpha`` AND it holds at least ``min_aligned``
distinct query positions. ``cells`` counts every speed and offset cell tried for the item and
``items`` every item the query's hashes reached (a Bonferroni correction over both), so ``alpha``
bounds the false matches of a whole query: a longer query, a denser index (``lam`` grows) or a
larger one (``items`` grows) raises the bar instead of the false-match rate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import special

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
    index_postings: int | None = None,
) -> list[SegmentMatch]:
    """Accepted segments of all items, best first.

    With ``policy.chance_from_index`` the chance level of a query position's hits is worked out
    from the whole index (``index_postings`` stored codes) rather than from the item's own
    pairs: see ``Background``.
    """
    q = np.asarray(query_times, dtype=np.float64)
    r = np.asarray(ref_times, dtype=np.float64)
    items = np.asarray(item_ids).astype(np.int64, copy=False)
    out: list[SegmentMatch] = []
    if q.size == 0:
        return out
    # A pair counts once however it was found (several hashes, several lookup variants).
    order = np.lexsort((r, q, items))
    q, r, items = q[order], r[order], items[order]
    fresh = np.r_[True, (items[1:] != items[:-1]) | (q[1:] != q[:-1]) | (r[1:] != r[:-1])]
    q, r, items = q[fresh], r[fresh], items[fresh]
    bounds = np.flatnonzero(np.r_[True, items[1:] != items[:-1], True])
    background = Background.of(q, bounds.size - 1, policy, index_postings)
    for a, b in _worth_aligning(q, r, bounds, policy, background):
        item = int(items[a])
        for found in align_item(q[a:b], r[a:b], policy, background=background):
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


def align_item(
    q: np.ndarray, r: np.ndarray, policy: TemporalPolicy, *, background: Background | None = None
) -> list[Alignment]:
    """Up to ``policy.max_segments`` accepted alignments of one item's distinct pairs
    (``background``: the chance model's view of the whole query; this item alone by default)."""
    if background is None:
        background = Background.of(q, 1, policy, None)
    alive = np.arange(q.size)
    found: list[Alignment] = []
    for _ in range(policy.max_segments):
        if alive.size < policy.min_aligned:
            break
        cell = _best_cell(q[alive], r[alive], policy, background)
        if cell is None:
            break
        best, _ = cell
        found.append(best)
        # A moment of the query copies one place of the reference: later segments must come
        # from other parts of the query.
        q_lo, q_hi = best.query_times.min(), best.query_times.max()
        alive = alive[(q[alive] < q_lo) | (q[alive] > q_hi)]
    return found


def _worth_aligning(
    q: np.ndarray, r: np.ndarray, bounds: np.ndarray, policy: TemporalPolicy, background: Background
) -> list[tuple[int, int]]:
    """The ``(start, end)`` runs of items that could pass the decision rule at all.

    A query meets most items of a large index through a few chance hits. Even if every distinct
    query position of such an item fell in one cell, the count would be too small or too
    probable; finding that out for all items at once spares aligning them one by one.
    """
    starts, ends = bounds[:-1], bounds[1:]
    new_anchor = np.r_[True, q[1:] != q[:-1]]
    new_anchor[starts] = True
    anchor_starts = np.flatnonzero(new_anchor)
    per_anchor = np.diff(np.r_[anchor_starts, q.size])  # pairs of each (item, query position)
    first_anchor = np.searchsorted(anchor_starts, starts)  # each item's first anchor
    anchors = np.diff(np.r_[first_anchor, anchor_starts.size])
    r_range = np.maximum.reduceat(r, starts) - np.minimum.reduceat(r, starts)
    q_range = q[ends - 1] - q[starts]  # pairs are sorted by q within an item
    w = policy.offset_bin
    n_speeds = speed_grid(policy).size
    most = np.minimum(anchors, _densest_window(q, r, starts, ends, policy))
    best = np.full(starts.size, np.inf)
    item_of_anchor = np.repeat(np.arange(starts.size), anchors)
    for speed in (policy.speed_min, 1.0, policy.speed_max):
        span = np.maximum(r_range + speed * q_range, 3 * w)
        share = background.shares(q[anchor_starts], per_anchor, span[item_of_anchor])
        lam = np.bincount(item_of_anchor, weights=share, minlength=starts.size)
        cells = n_speeds * np.maximum(1.0, span / w)
        best = np.minimum(best, background.tested * cells * special.pdtrc(most - 1, lam))
    keep = (anchors >= policy.min_aligned) & (best <= policy.alpha)
    return [(int(a), int(b)) for a, b in zip(starts[keep], ends[keep], strict=True)]


def _densest_window(
    q: np.ndarray, r: np.ndarray, starts: np.ndarray, ends: np.ndarray, policy: TemporalPolicy
) -> np.ndarray:
    """Per item, an upper bound of the pairs any one cell can hold, whatever its speed.

    The speed range is cut into a few groups. Over a query of length ``Q`` the offsets
    ``r - s*q`` of a pair at two speeds of one group differ by at most the group's width times
    ``Q``, so every three-bin cell of the group lies inside one window of ``r - s_mid*q`` that
    much wider; the fullest window of any group bounds every cell.
    """
    item = np.repeat(np.arange(starts.size), ends - starts)
    length = float(np.ptp(q))
    groups = _WINDOW_GROUPS
    reach = (policy.speed_max - policy.speed_min) / groups
    width = 3 * policy.offset_bin + reach * length
    most = np.zeros(starts.size, dtype=np.int64)
    for g in range(groups):
        d = r - (policy.speed_min + (g + 0.5) * reach) * q
        stride = float(np.ptp(d)) + 2 * width + 1.0  # items never share a window
        key = np.sort(item * stride + (d - d.min()))
        inside = np.searchsorted(key, key + width, side="right") - np.arange(key.size)
        most = np.maximum(most, np.maximum.reduceat(inside, starts))
    return most


_WINDOW_GROUPS = 4


def _best_cell(
    q: np.ndarray, r: np.ndarray, policy: TemporalPolicy, background: Background
) -> tuple[Alignment, np.ndarray] | None:
    """The accepted best (speed, offset) cell with the indices of its inliers, or ``None``.

    Votes are distinct query positions, not pairs: one query moment often hits the same place
    several times (several hashes, several variants), and those hits are one piece of evidence.
    Counting distinct positions in every cell is what costs; a cell never holds more distinct
    positions than pairs, so pairs are counted everywhere (cheap) and distinct positions only in
    the cells whose pair count could still reach the best (branch and bound, the same answer).
    """
    speeds = speed_grid(policy)
    w = policy.offset_bin
    times, anchor, per_anchor = np.unique(q, return_inverse=True, return_counts=True)
    chance_of = _ChanceModel(q, r, times, per_anchor, speeds, policy, background)
    if per_anchor.size < policy.min_aligned or chance_of.best_case(per_anchor.size) > policy.alpha:
        return None
    offsets = r[None, :] - speeds[:, None] * q[None, :]  # (speeds, pairs)
    lo = float(offsets.min())
    bins = np.floor((offsets - lo) / w).astype(np.int64) + 1  # 1 .. n_bins - 2: room to smooth
    n_bins = int(bins.max()) + 2
    cells = (np.arange(speeds.size)[:, None] * n_bins + bins).ravel()
    raw = np.bincount(cells, minlength=speeds.size * n_bins)
    pairs = raw.copy()
    pairs[1:] += raw[:-1]
    pairs[:-1] += raw[1:]  # each cell with its two offset neighbours (rows never touch: padding)
    if chance_of.best_case(int(pairs.max())) > policy.alpha:
        return None
    flat_anchor = np.tile(anchor, speeds.size)
    first = int(np.argmax(pairs))
    top = int(_distinct(cells, flat_anchor, np.array([first]), pairs.size)[0])
    # Every cell that might come within the near-best band of the final best.
    candidates = np.flatnonzero(pairs >= _near(top))
    votes = _distinct(cells, flat_anchor, candidates, pairs.size)
    top = int(votes.max())
    # Among near-best cells prefer the speed closest to 1: a static scene fits a fan of speeds
    # equally well, and most copies are not sped up.
    near = votes >= _near(top)
    near_cells, near_votes = candidates[near], votes[near]
    near_s = near_cells // n_bins
    pick = int(np.lexsort((-near_votes, np.abs(speeds[near_s] - 1.0)))[0])
    s_idx, b_idx = int(near_s[pick]), int(near_cells[pick] % n_bins)
    count = int(near_votes[pick])
    speed = float(speeds[s_idx])
    offset = lo + (b_idx - 1 + 0.5) * w
    chance = chance_of(count, speed)
    if chance > policy.alpha:
        return None
    inliers = _trim(q, _refine(q, r, speed, offset, policy))
    if inliers.size == 0 or np.unique(q[inliers]).size < policy.min_aligned:
        return None
    speed, offset = _fit(q[inliers], r[inliers], speed, offset, policy)
    return Alignment(speed, offset, q[inliers], r[inliers], count, chance), inliers


def _near(top: int) -> float:
    """Votes within this of the best count as a tie for the speed preference."""
    return max(top - 1, 0.95 * top)


def _distinct(
    cells: np.ndarray, anchors: np.ndarray, wanted: np.ndarray, n_cells: int
) -> np.ndarray:
    """Distinct anchors in each ``wanted`` cell, counting a pair in its cell and both offset
    neighbours (the smoothing of the pair counts)."""
    is_wanted = np.zeros(n_cells, dtype=bool)
    is_wanted[wanted] = True
    n_anchor = int(anchors.max()) + 1
    keys = []
    for d in (-1, 0, 1):
        shifted = cells + d
        keep = is_wanted[shifted]
        keys.append(shifted[keep] * n_anchor + anchors[keep])
    hit = np.unique(np.concatenate(keys)) // n_anchor
    counts = np.bincount(hit, minlength=n_cells)
    return counts[wanted]


@dataclass(frozen=True)
class Background:
    """Where a query position's chance hits are expected to fall.

    By default an item's own pairs are its background: each query position's pairs for the item
    land evenly over the offset range observed, so the position falls in a given three-bin cell
    with probability ``pairs * 3w / span``. That suits exact hashes, whose hits on an item are
    mostly chance. Frame hashes within a Hamming radius are different: a frame of a slow or
    static scene hits every nearby frame of its own film, so an item's own pairs are mostly not
    chance and would hide the copy. With ``policy.chance_from_index`` a position's chance of
    landing in a cell is its hits over the whole index, the item's own counted once, times the
    share of the index one cell holds (``3w * postings_per_second / index_postings``).

    ``tested`` is the number of items the query reached; every chance level is multiplied by it
    and by the number of cells tried (Bonferroni).
    """

    tested: int
    cell_share: float | None  # share of the index in one cell, None: the item is its background
    times: np.ndarray  # distinct query times (sorted) and their hits over all items
    hits: np.ndarray
    w: float

    @classmethod
    def of(
        cls, q: np.ndarray, tested: int, policy: TemporalPolicy, index_postings: int | None
    ) -> Background:
        """The background of a query whose pairs (all items) have query times ``q``."""
        if not (policy.chance_from_index and index_postings):
            none = np.zeros(0)
            return cls(max(1, tested), None, none, none, policy.offset_bin)
        times, hits = np.unique(q, return_counts=True)
        share = 3 * policy.offset_bin * policy.postings_per_second / index_postings
        return cls(max(1, tested), share, times, hits, policy.offset_bin)

    def shares(
        self, anchor_times: np.ndarray, per_anchor: np.ndarray, span: np.ndarray
    ) -> np.ndarray:
        """Each anchor's probability of landing in one given cell by chance."""
        if self.cell_share is None:
            return np.minimum(1.0, per_anchor * 3 * self.w / span)
        # The item's own pairs at a position count once: a static or slow scene hits many
        # frames of its own film, and those repeats are not chance (they would hide the copy).
        hits = self.hits[np.searchsorted(self.times, anchor_times)] - per_anchor + 1
        return np.minimum(1.0, hits * self.cell_share)


class _ChanceModel:
    """How improbable a count of votes in one cell of one item is (see ``Background``)."""

    def __init__(
        self,
        q: np.ndarray,
        r: np.ndarray,
        times: np.ndarray,
        per_anchor: np.ndarray,
        speeds: np.ndarray,
        policy: TemporalPolicy,
        background: Background,
    ) -> None:
        self.r_range = float(r.max() - r.min())
        self.q_range = float(q.max() - q.min())
        self.times = times
        self.per_anchor = per_anchor
        self.n_speeds = speeds.size
        self.background = background
        self.speed_lo, self.speed_hi = float(speeds.min()), float(speeds.max())
        self.w = policy.offset_bin

    def __call__(self, count: int, speed: float) -> float:
        w = self.w
        span = max(self.r_range + speed * self.q_range, 3 * w)
        shares = self.background.shares(self.times, self.per_anchor, np.asarray(span))
        lam = float(shares.sum())
        cells = self.n_speeds * max(1.0, span / w)
        return float(self.background.tested * cells * special.pdtrc(count - 1, lam))

    def best_case(self, count: int) -> float:
        """A lower bound of the chance of ``count`` votes at any speed of the grid."""
        return min(self(count, s) for s in (self.speed_lo, 1.0, self.speed_hi))


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
