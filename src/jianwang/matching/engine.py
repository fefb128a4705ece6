"""One entry point for matching a query fingerprint against an index, whatever the signal."""

from __future__ import annotations

import logging

import numpy as np

from jianwang.index.base import HashLookup, Index
from jianwang.index.binaryindex import BinaryIndex
from jianwang.matching.result import SegmentMatch
from jianwang.matching.temporal import align
from jianwang.matching.text import chain_matches
from jianwang.signals.base import Fingerprint, SignalType, TemporalPolicy, TextPolicy

log = logging.getLogger(__name__)


def match(
    signal: SignalType, index: Index, fp: Fingerprint, *, max_results: int = 5
) -> list[SegmentMatch]:
    """Copied segments of indexed items found in ``fp``, best first (highest ``score``).

    Candidates come from the index (exact hash lookup or Hamming search); the signal's
    ``match_policy`` decides which become matches: temporal alignment for audio and video,
    diagonal chaining for text. An index stamped for another signal setup is refused.
    """
    signal.check(fp)
    if index.stamp != signal.stamp():
        diffs = "; ".join(index.stamp.differences(signal.stamp()))
        raise ValueError(f"index was built for another signal setup ({diffs})")
    if fp.empty or len(index) == 0:
        return []
    codes, positions = signal.query_codes(fp)
    policy = signal.match_policy()
    if isinstance(index, HashLookup):
        qidx, items, refpos = index.lookup(codes)
    elif isinstance(index, BinaryIndex):
        if not isinstance(policy, TemporalPolicy):
            raise TypeError(f"{signal.name}: a binary index needs a temporal match policy")
        qidx, items, refpos, _ = index.search(
            codes, policy.max_distance, max_per_query=policy.max_neighbours
        )
    else:
        raise TypeError(f"no candidate search for index type {type(index).__name__}")
    log.debug("%s: %d query codes, %d candidate pairs", signal.name, codes.size, qidx.size)
    if isinstance(policy, TextPolicy):
        # Text query codes are the fingerprint's own codes, so qidx indexes fp directly.
        sizes = {int(i): index.item_size(int(i)) for i in np.unique(items)}
        results = chain_matches(fp, qidx, items, refpos, policy, item_sizes=sizes)
    else:
        results = align(positions[qidx], refpos, items, policy, signal=signal.name)
        if policy.min_rate > 0:
            results = [m for m in results if _aligned_rate(m) >= policy.min_rate]
    return results[:max_results]


def _aligned_rate(found: SegmentMatch) -> float:
    """Aligned query positions per second of the matched query span."""
    return found.score / max(found.query_end - found.query_start, 1.0)
