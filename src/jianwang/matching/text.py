"""Text alignment: chain shared fingerprints along the diagonal into copied spans.

A reposted chapter shares long runs of folded text with the reference, interrupted where the
pirate site inserted ads or dropped a paragraph. Shared fingerprints (query offset, reference
offset) of one item are taken in query order, one query position at a time, and each joins the
open chain it continues best (both offsets move forward by at most ``max_gap`` characters,
smallest change of diagonal wins). A chain takes at most one pair per query position: a phrase
that recurs in the reference (a name and the word after it) gives one query k-gram several
reference positions, and only the one on the chain's diagonal belongs to it; the others would
pull the chain off its diagonal and split one copied span into several wrong ones.

Decision rule: a chain is a match when it holds at least ``min_shared`` distinct query
fingerprints and at least ``min_density`` of all query fingerprints inside its query span are
shared with the reference, text the pirate inserted between copied stretches not counted
(``_copied_share``). Unrelated texts only share stock phrases, which are sparse, so their
chains stay far below the density bar however long the texts are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np

from jianwang.matching.result import SegmentMatch
from jianwang.signals.base import Fingerprint, TextPolicy

log = logging.getLogger(__name__)


@dataclass
class _Chain:
    last_q: float
    last_r: float
    members: list[int] = field(default_factory=list)  # indices into the item's pairs


def chain_matches(
    fp: Fingerprint,
    query_idx: np.ndarray,
    item_ids: np.ndarray,
    ref_positions: np.ndarray,
    policy: TextPolicy,
    *,
    item_sizes: dict[int, int],
) -> list[SegmentMatch]:
    """Accepted spans of all items, best first.

    ``query_idx`` indexes ``fp``'s codes; ``item_sizes`` (fingerprints per reference item)
    gives the coverage of each reference.
    """
    out: list[SegmentMatch] = []
    if query_idx.size == 0:
        return out
    starts = fp.positions.astype(np.float64)
    ends = fp.extra.get("ends", fp.positions).astype(np.float64)
    sorted_starts = np.sort(starts)
    order = np.argsort(item_ids, kind="stable")
    qi_all, items, r_all = query_idx[order], item_ids[order], ref_positions[order]
    bounds = np.flatnonzero(np.r_[True, items[1:] != items[:-1], True])
    # Distinct query fingerprints per item, for all items at once: an item sharing fewer than
    # ``min_shared`` cannot hold a chain of that many (chance k-grams), and is skipped cheaply.
    distinct = np.unique(items.astype(np.int64) * (int(query_idx.max()) + 1) + qi_all)
    owners, counts = np.unique(distinct // (int(query_idx.max()) + 1), return_counts=True)
    enough = set(owners[counts >= policy.min_shared].tolist())
    for a, b in pairwise(bounds):
        item = int(items[a])
        if item not in enough:
            continue
        mine: list[SegmentMatch] = []
        qi = qi_all[a:b]
        r = r_all[a:b].astype(np.float64)
        accepted = 0
        for chain in _chains(starts[qi], r, policy.max_gap):
            if len(chain.members) < policy.min_shared:
                break  # chains come longest first: no later one can hold enough
            members = np.asarray(chain.members)
            cq = qi[members]
            shared = np.unique(cq).size
            if shared < policy.min_shared:
                continue
            q0, q1 = float(starts[cq].min()), float(starts[cq].max())
            in_span = int(
                np.searchsorted(sorted_starts, q1, "right") - np.searchsorted(sorted_starts, q0)
            )
            cr = r[members]
            density = shared / max(in_span * _copied_share(starts[cq], cr), 1.0)
            if density < policy.min_density:
                log.debug(
                    "item %d: chain of %d shared at density %.2f refused", item, shared, density
                )
                continue
            last = cq[np.argmax(starts[cq])]
            size = item_sizes.get(item, 0)
            mine.append(
                SegmentMatch(
                    item_id=item,
                    signal=fp.signal,
                    score=float(shared),
                    query_start=q0,
                    query_end=float(ends[cq].max()),
                    ref_start=float(cr.min()),
                    ref_end=float(cr.max() + (ends[last] - starts[last])),
                    speed=1.0,
                    coverage=min(1.0, np.unique(cr).size / size) if size else None,
                )
            )
            accepted += 1
            if accepted >= policy.max_segments:
                break
        out += _joined(mine, policy.max_gap)
    out.sort(key=lambda m: (-m.score, m.item_id, m.query_start))
    return out


def _joined(segments: list[SegmentMatch], max_gap: float) -> list[SegmentMatch]:
    """Segments of one item that continue each other (the next starts within ``max_gap`` of
    where the last ends, in the query and in the reference, and moves forward in both) joined
    into one: a chain can break where a phrase recurs nearby, and one copied chapter should be
    reported as one span, not as two overlapping halves."""
    joined: list[SegmentMatch] = []
    for seg in sorted(segments, key=lambda m: m.query_start):
        last = joined[-1] if joined else None
        if (
            last is not None
            and seg.query_start <= last.query_end + max_gap
            and last.ref_start <= seg.ref_start <= last.ref_end + max_gap
            and seg.ref_end >= last.ref_end
        ):
            cover = None
            if last.coverage is not None and seg.coverage is not None:
                cover = min(1.0, last.coverage + seg.coverage)
            joined[-1] = replace(
                last,
                score=last.score + seg.score,
                query_end=max(last.query_end, seg.query_end),
                ref_end=seg.ref_end,
                coverage=cover,
            )
        else:
            joined.append(seg)
    return joined


def _copied_share(q: np.ndarray, r: np.ndarray) -> float:
    """The share of a chain's query span that is not inserted text.

    Between two consecutive members, the query moving on by more than the reference (give or
    take ``INSERT_STRETCH`` and ``INSERT_SLACK`` for reflowed whitespace) is text the pirate
    inserted: a spam line, an ad.
    Its fingerprints cannot be shared, so they are left out of the density's denominator; a
    chapter with a spam line every third paragraph is as dense as the clean one. Between
    unrelated texts, chance members are far apart in both, so this changes little there.
    """
    order = np.argsort(q, kind="stable")
    qs, rs = q[order], r[order]
    span = float(qs[-1] - qs[0])
    if span <= 0:
        return 1.0
    step_r = np.abs(np.diff(rs))
    kept = np.minimum(np.diff(qs), INSERT_STRETCH * step_r + INSERT_SLACK).sum()
    return float(kept) / span


INSERT_STRETCH = 1.25
INSERT_SLACK = 8.0
"""Between two shared fingerprints the query may move on ``INSERT_STRETCH`` times as far as the
reference plus ``INSERT_SLACK`` characters (added whitespace, line breaks) before the rest
counts as inserted text."""


def _chains(q: np.ndarray, r: np.ndarray, max_gap: float) -> list[_Chain]:
    """Greedy diagonal chaining of pairs (q[i], r[i]); chains returned longest first.

    The pairs of one query position are placed together: cheapest (chain, pair) continuations
    first, each chain and each pair used once; pairs left over start chains of their own. A run
    of query positions with one pair each, every pair continuing the one before on the same
    diagonal (within ``RUN_DRIFT``), is placed as a unit: the chain its first pair joins takes
    them all. Most of a copy is such runs, which keeps chaining fast on long chapters.
    """
    order = np.lexsort((r, q))
    qs, rs = q[order], r[order]
    bounds = np.flatnonzero(np.r_[True, np.diff(qs) != 0, True])
    single = np.diff(bounds) == 1
    dq, dr = np.diff(qs[bounds[:-1]]), np.diff(rs[bounds[:-1]])
    continues = (
        single[:-1]
        & single[1:]
        & (dq > 0)
        & (dq <= max_gap)
        & (dr > 0)
        & (dr <= max_gap)
        & (np.abs(dq - dr) <= RUN_DRIFT)
    )
    if continues.all():  # one clean run (most copies without repeats): one chain of every pair
        chain = _Chain(float(qs[-1]), float(rs[-1]))
        chain.members = order.tolist()
        return [chain]
    units = np.flatnonzero(np.r_[True, ~continues, True])  # group index where each unit starts
    active: list[_Chain] = []
    done: list[_Chain] = []
    for ua, ub in pairwise(units):
        run = order[bounds[ua:ub]] if ub - ua > 1 else order[bounds[ua] : bounds[ua + 1]]
        group = run[:1] if ub - ua > 1 else run
        qi = float(q[group[0]])
        still: list[_Chain] = []
        for c in active:
            (still if qi - c.last_q <= max_gap else done).append(c)
        active = still
        options = []
        for ci, c in enumerate(active):
            gap_q = qi - c.last_q
            for i in group:
                gap_r = float(r[i]) - c.last_r
                if 0 < gap_r <= max_gap:
                    options.append((abs(gap_q - gap_r), ci, int(i)))
        options.sort()
        taken_chains: set[int] = set()
        placed: dict[int, _Chain] = {}
        for _, ci, i in options:
            if ci in taken_chains or i in placed:
                continue
            taken_chains.add(ci)
            placed[i] = active[ci]
            _extend(active[ci], qi, float(r[i]), i)
        for i in group:
            if int(i) not in placed:
                chain = _Chain(qi, float(r[i]))
                chain.members.append(int(i))
                active.append(chain)
                placed[int(i)] = chain
        if ub - ua > 1:  # the rest of the run follows its first pair
            chain = placed[int(run[0])]
            chain.members.extend(run[1:].tolist())
            chain.last_q, chain.last_r = float(q[run[-1]]), float(r[run[-1]])
    done.extend(active)
    done.sort(key=lambda c: -len(c.members))
    return done


RUN_DRIFT = 8.0
"""Characters a run's pairs may drift off one diagonal (whitespace changed by a reflow)."""


def _extend(chain: _Chain, q: float, r: float, member: int) -> None:
    chain.last_q, chain.last_r = q, r
    chain.members.append(member)
