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
shared with the reference. Unrelated texts only share stock phrases, which are sparse, so their
chains stay far below the density bar however long the texts are.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
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
    for a, b in pairwise(bounds):
        item = int(items[a])
        qi = qi_all[a:b]
        r = r_all[a:b].astype(np.float64)
        accepted = 0
        for chain in _chains(starts[qi], r, policy.max_gap):
            members = np.asarray(chain.members)
            cq = qi[members]
            shared = np.unique(cq).size
            if shared < policy.min_shared:
                continue
            q0, q1 = float(starts[cq].min()), float(starts[cq].max())
            in_span = int(
                np.searchsorted(sorted_starts, q1, "right") - np.searchsorted(sorted_starts, q0)
            )
            density = shared / max(in_span, 1)
            if density < policy.min_density:
                log.debug(
                    "item %d: chain of %d shared at density %.2f refused", item, shared, density
                )
                continue
            last = cq[np.argmax(starts[cq])]
            cr = r[members]
            size = item_sizes.get(item, 0)
            out.append(
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
    out.sort(key=lambda m: (-m.score, m.item_id, m.query_start))
    return out


def _chains(q: np.ndarray, r: np.ndarray, max_gap: float) -> list[_Chain]:
    """Greedy diagonal chaining of pairs (q[i], r[i]); chains returned longest first.

    The pairs of one query position are placed together: cheapest (chain, pair) continuations
    first, each chain and each pair used once; pairs left over start chains of their own.
    """
    order = np.lexsort((r, q))
    active: list[_Chain] = []
    done: list[_Chain] = []
    bounds = np.flatnonzero(np.r_[True, np.diff(q[order]) != 0, True])
    for a, b in pairwise(bounds):
        group = order[a:b]
        qi = float(q[group[0]])
        still: list[_Chain] = []
        for c in active:
            (still if qi - c.last_q <= max_gap else done).append(c)
        active = still
        options = []
        for ci, c in enumerate(active):
            dq = qi - c.last_q
            for i in group:
                dr = float(r[i]) - c.last_r
                if 0 < dr <= max_gap:
                    options.append((abs(dq - dr), ci, int(i)))
        options.sort()
        taken_chains: set[int] = set()
        placed: set[int] = set()
        for _, ci, i in options:
            if ci in taken_chains or i in placed:
                continue
            taken_chains.add(ci)
            placed.add(i)
            _extend(active[ci], qi, float(r[i]), i)
        for i in group:
            if int(i) not in placed:
                chain = _Chain(qi, float(r[i]))
                chain.members.append(int(i))
                active.append(chain)
    done.extend(active)
    done.sort(key=lambda c: -len(c.members))
    return done


def _extend(chain: _Chain, q: float, r: float, member: int) -> None:
    chain.last_q, chain.last_r = q, r
    chain.members.append(member)
