"""A Hamming-distance index of 64-bit binary codes (perceptual frame hashes).

Perceptual hashes of a re-encoded, scaled or cropped frame differ from the original's in a few
bits, so lookups are "all codes within distance d", not exact. Small tables are scanned (XOR plus
``np.bitwise_count``, queries and table in blocks so memory stays bounded); from
``MULTI_INDEX_MIN`` codes on, a multi-index over four 16-bit chunks (``jianwang.index.multiindex``)
finds the same answer from a few hundred bucket probes per query code instead of a scan.
"""

from __future__ import annotations

import numpy as np

from jianwang.index.base import IndexStamp
from jianwang.index.multiindex import CHUNKS, MAX_RADIUS, ChunkTables
from jianwang.index.postings import PostingIndex

MULTI_INDEX_MIN = 200_000
"""Tables at least this large are searched through chunk tables rather than scanned."""


class BinaryIndex(PostingIndex):
    """64-bit codes with item and time; ``block_elements`` bounds the size of one distance block."""

    KIND = "binaryindex"
    COLUMNS = ("codes", "items", "times")
    SORTED = False

    def __init__(self, stamp: IndexStamp, *, block_elements: int = 4_000_000) -> None:
        super().__init__(stamp)
        self.block_elements = block_elements
        self._chunks: ChunkTables | None = None

    def search(
        self, codes: np.ndarray, max_distance: int, *, max_per_query: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every stored code within ``max_distance`` bits of each query code.

        Returns ``(query_idx, item_ids, times, distances)``. With ``max_per_query`` only the
        nearest that many are kept per query code (ties broken by storage order), which bounds the
        work of the aligner when a query frame resembles a whole static scene.
        """
        table, items, times = self._store.consolidate()
        q = np.asarray(codes).astype(np.uint64, copy=False).ravel()
        if table.size >= MULTI_INDEX_MIN and max_distance // CHUNKS <= MAX_RADIUS:
            found_q, found_r, found_d = self._probe(table, q, max_distance)
        else:
            found_q, found_r, found_d = self._scan(table, q, max_distance)
        if not found_q:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.astype(np.int32), empty.astype(np.float32), empty.astype(np.uint8)
        qidx = np.concatenate(found_q).astype(np.int64)
        ridx = np.concatenate(found_r).astype(np.int64)
        dist = np.concatenate(found_d).astype(np.uint8)
        order = np.lexsort((ridx, dist, qidx))
        qidx, ridx, dist = qidx[order], ridx[order], dist[order]
        if max_per_query is not None and qidx.size:
            starts = np.flatnonzero(np.r_[True, qidx[1:] != qidx[:-1]])
            run = np.arange(qidx.size) - np.repeat(starts, np.diff(np.r_[starts, qidx.size]))
            keep = run < max_per_query
            qidx, ridx, dist = qidx[keep], ridx[keep], dist[keep]
        return qidx, items[ridx], times[ridx], dist

    def _scan(
        self, table: np.ndarray, q: np.ndarray, max_distance: int
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """Distances of every query code to every stored code, a block at a time."""
        found_q: list[np.ndarray] = []
        found_r: list[np.ndarray] = []
        found_d: list[np.ndarray] = []
        if q.size and table.size:
            ref_block = min(table.size, max(1, self.block_elements))
            q_block = max(1, self.block_elements // ref_block)
            for r0 in range(0, table.size, ref_block):
                ref = table[r0 : r0 + ref_block]
                for q0 in range(0, q.size, q_block):
                    dist = np.bitwise_count(q[q0 : q0 + q_block, None] ^ ref[None, :])
                    qi, ri = np.nonzero(dist <= max_distance)
                    found_q.append(qi + q0)
                    found_r.append(ri + r0)
                    found_d.append(dist[qi, ri])
        return found_q, found_r, found_d

    def _probe(
        self, table: np.ndarray, q: np.ndarray, max_distance: int
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        """The same answer from chunk tables (built on first use after a change), with queries
        in batches whose candidates fit in about ``block_elements``."""
        if self._chunks is None or self._chunks.table is not table:
            self._chunks = ChunkTables(table)
        per_query = max(1.0, self._chunks.expected_candidates(1, max_distance))
        batch = max(1, int(self.block_elements / per_query))
        found_q: list[np.ndarray] = []
        found_r: list[np.ndarray] = []
        found_d: list[np.ndarray] = []
        for q0 in range(0, q.size, batch):
            qi, ri, dist = self._chunks.search(q[q0 : q0 + batch], max_distance)
            found_q.append(qi + q0)
            found_r.append(ri)
            found_d.append(dist)
        return found_q, found_r, found_d
