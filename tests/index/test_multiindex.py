"""Multi-index hashing gives exactly the brute-force answer, from bucket probes."""

from __future__ import annotations

import numpy as np
import pytest

from jianwang.index import binaryindex
from jianwang.index.base import IndexStamp
from jianwang.index.binaryindex import BinaryIndex
from jianwang.index.multiindex import ChunkTables, chunk_masks


def _near_copies(codes: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    """Each code with ``bits`` random bits flipped."""
    out = codes.copy()
    for i in range(out.size):
        for b in rng.choice(64, size=bits, replace=False):
            out[i] ^= np.uint64(1) << np.uint64(b)
    return out


def _brute(table: np.ndarray, q: np.ndarray, d: int) -> set[tuple[int, int, int]]:
    dist = np.bitwise_count(q[:, None] ^ table[None, :])
    qi, ri = np.nonzero(dist <= d)
    return set(zip(qi.tolist(), ri.tolist(), dist[qi, ri].tolist(), strict=True))


def test_chunk_masks_count_every_pattern_of_few_bits() -> None:
    assert chunk_masks(0).tolist() == [0]
    assert chunk_masks(2).size == 1 + 16 + 120
    assert np.unique(chunk_masks(3)).size == 1 + 16 + 120 + 560


@pytest.mark.parametrize("max_distance", [0, 5, 8, 12, 15])
def test_chunk_search_equals_a_scan(max_distance: int) -> None:
    rng = np.random.default_rng(max_distance)
    table = rng.integers(0, 2**63, 20_000, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    picked = table[rng.integers(0, table.size, 60)]
    queries = np.concatenate(
        [
            _near_copies(picked[:20], max(0, max_distance - 1), rng),
            _near_copies(picked[20:40], max_distance, rng),
            _near_copies(picked[40:], max_distance + 3, rng),  # mostly out of reach
            rng.integers(0, 2**63, 20, dtype=np.uint64),
        ]
    )
    qi, ri, dist = ChunkTables(table).search(queries, max_distance)
    found = set(zip(qi.tolist(), ri.tolist(), dist.tolist(), strict=True))
    assert found == _brute(table, queries, max_distance)
    assert len(found) >= 40  # the near copies are there


def test_binary_index_switches_to_chunk_tables_with_the_same_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(3)
    stamp = IndexStamp("test.binary", 1, {})
    index = BinaryIndex(stamp)
    for item in range(30):
        index.add(item, rng.integers(0, 2**63, 500, dtype=np.uint64), np.arange(500) / 2.0)
    table = index._store.consolidate()[0]
    queries = _near_copies(table[rng.integers(0, table.size, 40)], 6, rng)
    scanned = index.search(queries, 10, max_per_query=5)
    monkeypatch.setattr(binaryindex, "MULTI_INDEX_MIN", 1_000)
    probed = index.search(queries, 10, max_per_query=5)
    for a, b in zip(scanned, probed, strict=True):
        assert np.array_equal(a, b)
    # A change to the table rebuilds the chunk tables.
    index.remove(0)
    after = index.search(queries, 10)
    assert not np.isin(0, after[1])
