"""Multi-index hashing: Hamming-radius search of 64-bit codes without scanning the whole table.

A brute-force scan costs one XOR and popcount per stored code for every query code: fine for a
few hundred thousand frames, tens of milliseconds per query frame at fifteen million. Multi-index
hashing (Norouzi, Punjani and Fleet, CVPR 2012) cuts each code into four 16-bit chunks and keeps,
per chunk, the table sorted by that chunk's value. If two codes differ in at most ``d`` bits, by
the pigeonhole principle at least one chunk differs in at most ``d // 4`` bits, so the candidates
are the stored codes whose chunk lies within ``d // 4`` bits of the query's in some chunk: a few
hundred bucket probes per chunk instead of a scan. Candidates are then checked on all 64 bits, so
the answer is exactly the brute-force one.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

CHUNKS = 4
CHUNK_BITS = 64 // CHUNKS
MAX_RADIUS = 3
"""Beyond this chunk radius (a distance of 16 bits or more) the probes outnumber the savings."""


def chunk_masks(radius: int) -> np.ndarray:
    """Every ``CHUNK_BITS``-bit mask with at most ``radius`` bits set (0 first)."""
    masks = [0]
    for weight in range(1, radius + 1):
        for bits in combinations(range(CHUNK_BITS), weight):
            masks.append(sum(1 << b for b in bits))
    return np.asarray(masks, dtype=np.int64)


class ChunkTables:
    """Per chunk, the stored codes sorted by that chunk, their row numbers, and bucket offsets.

    Each chunk keeps its own sorted copy of the codes, so the candidates of a bucket are read in
    one run of memory; gathering them through row numbers instead made every candidate a cache
    miss and the search ten times slower. The cost is 12 bytes per code and chunk.
    """

    def __init__(self, table: np.ndarray) -> None:
        self.table = np.asarray(table, dtype=np.uint64)
        self.order: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []
        self.starts: list[np.ndarray] = []
        buckets = 1 << CHUNK_BITS
        for c in range(CHUNKS):
            values = self._chunk(self.table, c)
            order = np.argsort(values, kind="stable").astype(self._row_type(self.table.size))
            self.order.append(order)
            self.codes.append(self.table[order])
            self.starts.append(np.searchsorted(values[order], np.arange(buckets + 1)))

    @staticmethod
    def _row_type(rows: int) -> type[np.integer]:
        """Row numbers in 4 bytes while they fit: the chunk tables are four row columns."""
        return np.int32 if rows < 2**31 else np.int64

    @staticmethod
    def _chunk(codes: np.ndarray, c: int) -> np.ndarray:
        shift = np.uint64(c * CHUNK_BITS)
        return ((codes >> shift) & np.uint64((1 << CHUNK_BITS) - 1)).astype(np.int64)

    def expected_candidates(self, queries: int, max_distance: int) -> float:
        """Roughly how many candidates ``queries`` query codes produce (uniform codes)."""
        probes = chunk_masks(max_distance // CHUNKS).size
        return queries * CHUNKS * probes * self.table.size / (1 << CHUNK_BITS)

    def search(
        self, codes: np.ndarray, max_distance: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(query_idx, row, distance)`` of every stored code within ``max_distance`` bits of
        each of ``codes``, each pair once, in no particular order."""
        if not 0 <= max_distance < CHUNKS * (MAX_RADIUS + 1):
            raise ValueError(f"max_distance {max_distance} is outside what chunk probing serves")
        q = np.asarray(codes, dtype=np.uint64).ravel()
        masks = chunk_masks(max_distance // CHUNKS)
        found_q: list[np.ndarray] = []
        found_r: list[np.ndarray] = []
        for c in range(CHUNKS):
            probes = self._chunk(q, c)[:, None] ^ masks[None, :]  # (queries, masks)
            lo = self.starts[c][probes].ravel()
            count = self.starts[c][probes + 1].ravel() - lo
            total = int(count.sum())
            if total == 0:
                continue
            owner = np.repeat(np.repeat(np.arange(q.size), masks.size), count)
            offset = np.repeat(lo - (np.cumsum(count) - count), count) + np.arange(total)
            near = np.bitwise_count(q[owner] ^ self.codes[c][offset]) <= max_distance
            found_q.append(owner[near])
            found_r.append(self.order[c][offset[near]].astype(np.int64))
        if not found_q:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty.astype(np.uint8)
        qidx, rows = np.concatenate(found_q), np.concatenate(found_r)
        # A code near the query in several chunks was found in each of them.
        key = np.unique(qidx * self.table.size + rows)
        qidx, rows = key // self.table.size, key % self.table.size
        dist = np.bitwise_count(q[qidx] ^ self.table[rows]).astype(np.uint8)
        return qidx, rows, dist
