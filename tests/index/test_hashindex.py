from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from jianwang.errors import IndexMismatchError, NotFoundError
from jianwang.index import HashIndex, IndexStamp

STAMP = IndexStamp("test.hash", 1, {"k": 5, "shape": (2, 3)})


def _filled() -> HashIndex:
    index = HashIndex(STAMP)
    index.add(1, np.array([10, 20, 30, 20], dtype=np.uint32), np.array([0.0, 1.0, 2.0, 3.0]))
    index.add(2, np.array([20, 40], dtype=np.uint64), np.array([5.0, 6.0]))
    return index


def test_lookup_returns_every_posting_of_each_hash() -> None:
    index = _filled()
    qidx, items, pos = index.lookup(np.array([20, 99, 10], dtype=np.uint64))
    got = sorted(zip(qidx.tolist(), items.tolist(), pos.tolist(), strict=True))
    assert got == [(0, 1, 1.0), (0, 1, 3.0), (0, 2, 5.0), (2, 1, 0.0)]
    assert len(index) == 6
    assert index.item_size(1) == 4


def test_adding_after_a_lookup_is_seen_by_the_next_lookup() -> None:
    index = _filled()
    index.lookup(np.array([10]))
    index.add(3, np.array([10]), np.array([9.0]))
    _, items, _ = index.lookup(np.array([10]))
    assert sorted(items.tolist()) == [1, 3]


def test_overly_common_hashes_are_skipped() -> None:
    index = HashIndex(STAMP, max_postings=2)
    index.add(1, np.array([7, 7, 7, 8]), np.arange(4.0))
    qidx, _, _ = index.lookup(np.array([7, 8]))
    assert qidx.tolist() == [1]
    assert index.lookup(np.array([7]), max_postings=10)[0].size == 3


def test_remove_forgets_an_item() -> None:
    index = _filled()
    index.remove(1)
    index.remove(42)  # absent: no error
    assert index.item_ids() == {2}
    _, items, _ = index.lookup(np.array([10, 20]))
    assert items.tolist() == [2]


def test_empty_queries_and_indexes() -> None:
    assert HashIndex(STAMP).lookup(np.array([1, 2]))[0].size == 0
    assert _filled().lookup(np.zeros(0, dtype=np.uint32))[0].size == 0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="equal length"):
        HashIndex(STAMP).add(1, np.array([1, 2]), np.array([0.0]))
    with pytest.raises(ValueError, match="int32"):
        HashIndex(STAMP).add(2**40, np.array([1]), np.array([0.0]))


def test_save_load_round_trip_is_atomic_and_exact(tmp_path: Path) -> None:
    index = _filled()
    path = tmp_path / "sub" / "a.idx"
    index.save(path)
    assert [p.name for p in path.parent.iterdir()] == ["a.idx"]  # no temp file left behind
    loaded = HashIndex.load(path, IndexStamp("test.hash", 1, {"shape": [2, 3], "k": 5}))
    assert loaded.item_ids() == {1, 2}
    q = np.array([20, 30, 40])
    for a, b in zip(index.lookup(q), loaded.lookup(q), strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(
    ("stamp", "says"),
    [
        (IndexStamp("test.hash", 2, {"k": 5, "shape": [2, 3]}), "version 1 != 2"),
        (IndexStamp("other", 1, {"k": 5, "shape": [2, 3]}), "signal"),
        (IndexStamp("test.hash", 1, {"k": 6, "shape": [2, 3]}), "param k=5 != 6"),
    ],
)
def test_mismatched_stamp_is_refused(tmp_path: Path, stamp: IndexStamp, says: str) -> None:
    path = tmp_path / "a.idx"
    _filled().save(path)
    with pytest.raises(IndexMismatchError, match=says) as info:
        HashIndex.load(path, stamp)
    assert "a.idx" in str(info.value)


def test_missing_foreign_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"nope\.idx"):
        HashIndex.load(tmp_path / "nope.idx", STAMP)
    junk = tmp_path / "junk.idx"
    junk.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(IndexMismatchError, match=r"junk\.idx"):
        HashIndex.load(junk, STAMP)
    plain = tmp_path / "plain.npz"
    np.savez(plain, keys=np.arange(3))
    with pytest.raises(IndexMismatchError, match="no Jianwang index header"):
        HashIndex.load(plain, STAMP)


def test_a_binary_index_file_is_not_a_hash_index(tmp_path: Path) -> None:
    from jianwang.index import BinaryIndex

    path = tmp_path / "b.idx"
    BinaryIndex(STAMP).save(path)
    with pytest.raises(IndexMismatchError, match="binaryindex"):
        HashIndex.load(path, STAMP)
