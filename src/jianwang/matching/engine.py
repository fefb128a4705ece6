"""One entry point for matching a query fingerprint against an index, whatever the signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from jianwang.index.base import HashLookup, Index
from jianwang.index.binaryindex import BinaryIndex
from jianwang.matching.result import SegmentMatch
from jianwang.matching.temporal import align
from jianwang.matching.text import chain_matches
from jianwang.signals.base import Fingerprint, SignalType, TemporalPolicy, TextPolicy

log = logging.getLogger(__name__)


ReferenceSource = Callable[[int], Fingerprint | None]
"""The reference fingerprint of an indexed item, or ``None`` where it is not at hand."""


def match(
    signal: SignalType,
    index: Index,
    fp: Fingerprint,
    *,
    max_results: int = 5,
    references: ReferenceSource | None = None,
) -> list[SegmentMatch]:
    """Copied segments of indexed items found in ``fp``, best first (highest ``score``).

    Candidates come from the index (exact hash lookup or Hamming search); the signal's
    ``match_policy`` decides which become matches: temporal alignment for audio and video,
    diagonal chaining for text. An index stamped for another signal setup is refused. Given
    ``references``, each match's reference fingerprint is compared with the query along the
    matched line for what the index alone cannot tell, such as the pitch shift of audio.
    """
    signal.check(fp)
    if index.stamp != signal.stamp():
        diffs = "; ".join(index.stamp.differences(signal.stamp()))
        raise ValueError(f"index was built for another signal setup ({diffs})")
    if fp.empty or len(index) == 0:
        return []
    policy = signal.match_policy()
    if isinstance(policy, TemporalPolicy) and fp.length > WINDOW_S + WINDOW_OVERLAP_S:
        # A long capture (a stream recorded for hours) is matched a window at a time, so the
        # candidate pairs in memory are those of one window; copies that run across windows
        # are joined again.
        found: list[SegmentMatch] = []
        for start in np.arange(0.0, fp.length, WINDOW_S):
            part = _window(fp, float(start), float(start) + WINDOW_S + WINDOW_OVERLAP_S)
            if not part.empty:
                found += _match_whole(signal, index, part, policy, references, max_results)
        return _joined(found)[:max_results]
    return _match_whole(signal, index, fp, policy, references, max_results)


WINDOW_S = 300.0
"""Captures longer than this (plus the overlap) are matched in windows of this length."""
WINDOW_OVERLAP_S = 30.0
"""Consecutive windows share this much, so a copy cut by a window edge is still seen whole."""


def _match_whole(
    signal: SignalType,
    index: Index,
    fp: Fingerprint,
    policy: TemporalPolicy | TextPolicy,
    references: ReferenceSource | None,
    max_results: int,
) -> list[SegmentMatch]:
    codes, positions = signal.query_codes(fp)
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
        results = align(
            positions[qidx], refpos, items, policy, signal=signal.name, index_postings=len(index)
        )
        if policy.min_rate > 0 or policy.off_speed_min_rate > 0:
            results = [m for m in results if _dense_enough(m, policy)]
        if references is not None:
            results = [
                _with_pitch(signal, fp, m, references(m.item_id), positions[qidx], refpos, items)
                for m in results[:max_results]
            ]
    return results[:max_results]


def _window(fp: Fingerprint, start: float, stop: float) -> Fingerprint:
    """The part of ``fp`` with positions in ``[start, stop)`` (positions stay absolute)."""
    keep = (fp.positions >= start) & (fp.positions < stop)
    extra = {name: values[keep] for name, values in fp.extra.items()}
    return replace(fp, codes=fp.codes[keep], positions=fp.positions[keep], extra=extra)


def _joined(found: list[SegmentMatch]) -> list[SegmentMatch]:
    """Segments of consecutive windows that continue one another (same item, offset and speed)
    joined into one, best first. The joined score is the best window's: windows overlap, so
    their counts cannot simply be added."""
    out: list[SegmentMatch] = []
    for m in sorted(found, key=lambda m: (m.item_id, m.query_start)):
        last = out[-1] if out else None
        if (
            last is not None
            and last.item_id == m.item_id
            and abs(last.speed - m.speed) <= 0.02
            and abs(_offset(last) - _offset(m)) <= 1.0
            and m.query_start <= last.query_end + WINDOW_OVERLAP_S
        ):
            out[-1] = replace(
                last,
                score=max(last.score, m.score),
                query_end=max(last.query_end, m.query_end),
                ref_start=min(last.ref_start, m.ref_start),
                ref_end=max(last.ref_end, m.ref_end),
            )
        else:
            out.append(m)
    out.sort(key=lambda m: (-m.score, m.item_id, m.query_start))
    return out


def _offset(found: SegmentMatch) -> float:
    return found.ref_start - found.speed * found.query_start


def _with_pitch(
    signal: SignalType,
    fp: Fingerprint,
    found: SegmentMatch,
    reference: Fingerprint | None,
    query_t: np.ndarray,
    ref_t: np.ndarray,
    items: np.ndarray,
) -> SegmentMatch:
    """``found`` with the signal's pitch estimate from the hits on its line, if it makes one."""
    if reference is None:
        return found
    offset = _offset(found)
    tolerance = max(0.2, 0.02 * (found.query_end - found.query_start))
    on_line = (
        (items == found.item_id)
        & (query_t >= found.query_start)
        & (query_t <= found.query_end)
        & (np.abs(ref_t - (found.speed * query_t + offset)) <= tolerance)
    )
    shift = signal.estimate_pitch_shift(fp, reference, query_t[on_line], ref_t[on_line])
    return found if shift is None else replace(found, pitch_shift=shift)


def _dense_enough(found: SegmentMatch, policy: TemporalPolicy) -> bool:
    """The match aligns enough positions per second for its speed (see ``TemporalPolicy``)."""
    rate = _aligned_rate(found)
    if abs(found.speed - 1.0) >= policy.off_speed and rate < policy.off_speed_min_rate:
        return False
    return rate >= policy.min_rate


def _aligned_rate(found: SegmentMatch) -> float:
    """Aligned query positions per second of the matched query span."""
    return found.score / max(found.query_end - found.query_start, 1.0)
