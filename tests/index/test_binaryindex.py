from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jianwang.errors import IndexMismatchError
from jianwang.index import BinaryIndex, IndexStamp

STAMP = IndexStamp("test.binary", 3, {"bits": 64})


def _flip_bits(code: int, n: int) -> int:
    for bit in range(n):
        code ^= 1 << (bit * 7 % 64)
    return code


def test_search_finds_codes_within_the_distance_with_their_distance() -> None:
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 2**63, 500, dtype=np.int64).astype(np.uint64) * np.uint64(2)
    index = BinaryIndex(STAMP)
    index.add(5, codes[:250], np.arange(250) * 0.5)
    index.add(6, codes[250:], np.arange(250) * 0.5)
    query = np.array([_flip_bits(int(codes[10]), 3), _flip_bits(int(codes[300]), 9)], np.uint64)
    qidx, items, times, dist = index.search(query, max_distance=4)
    assert qidx.tolist() == [0]
    assert items.tolist() == [5] and times.tolist() == [5.0] and dist.tolist() == [3]
    qidx, items, _, dist = index.search(query, max_distance=9)
    assert sorted(zip(qidx.tolist(), items.tolist(), dist.tolist(), strict=True)) == [
        (0, 5, 3),
        (1, 6, 9),
    ]


def test_small_blocks_give_the_same_answer_as_one_block() -> None:
    rng = np.random.default_rng(1)
    base = rng.integers(0, 2**64 - 1, 300, dtype=np.uint64)
    big, small = BinaryIndex(STAMP), BinaryIndex(STAMP, block_elements=97)
    for index in (big, small):
        index.add(1, base, np.arange(300.0))
    query = base[::7] ^ np.uint64(0b1011)
    for a, b in zip(big.search(query, 20), small.search(query, 20), strict=True):
        assert np.array_equal(a, b)


def test_max_per_query_keeps_the_nearest() -> None:
    index = BinaryIndex(STAMP)
    index.add(1, np.array([0b0, 0b1, 0b11, 0b111], np.uint64), np.arange(4.0))
    qidx, _, times, dist = index.search(np.array([0], np.uint64), 3, max_per_query=2)
    assert qidx.tolist() == [0, 0] and dist.tolist() == [0, 1] and times.tolist() == [0.0, 1.0]


def test_remove_and_empty() -> None:
    index = BinaryIndex(STAMP)
    assert index.search(np.array([1], np.uint64), 5)[0].size == 0
    index.add(1, np.array([1], np.uint64), np.array([0.0]))
    index.add(2, np.array([1], np.uint64), np.array([0.0]))
    index.remove(1)
    assert index.item_ids() == {2} and len(index) == 1
    assert index.search(np.array([1], np.uint64), 0)[1].tolist() == [2]


def test_save_load_and_stamp_check(tmp_path: Path) -> None:
    index = BinaryIndex(STAMP)
    index.add(9, np.array([2**64 - 1, 12345], np.uint64), np.array([1.5, 2.5]))
    path = tmp_path / "v.idx"
    index.save(path)
    loaded = BinaryIndex.load(path, STAMP)
    assert loaded.search(np.array([2**64 - 1], np.uint64), 0)[2].tolist() == [1.5]
    with pytest.raises(IndexMismatchError, match=r"v\.idx.*param bits=64 != 32"):
        BinaryIndex.load(path, IndexStamp("test.binary", 3, {"bits": 32}))
