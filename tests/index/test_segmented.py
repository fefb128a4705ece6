from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from jianwang.errors import IndexMismatchError, NotFoundError
from jianwang.index import HashIndex, IndexStamp, segmented
from jianwang.index.segmented import SegmentedHashIndex

STAMP = IndexStamp("test.hash", 1, {"k": 5, "shape": (2, 3)})

# Key generators that lead to every key layout: a tiny space (directory only), 12-bit keys
# (directory plus 8 low bits), audio-like 23-bit landmarks (directory plus 16 low bits), full
# 32-bit and 64-bit keys (plain).
KEYS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "tiny": lambda rng, n: rng.integers(0, 300, n),
    "12bit": lambda rng, n: rng.integers(0, 4096, n),
    "audio": lambda rng, n: (
        (rng.integers(0, 100, n) << 16) | (rng.integers(0, 48, n) << 8) | rng.integers(1, 48, n)
    ),
    "u32": lambda rng, n: rng.integers(0, 2**32, n, dtype=np.uint64),
    "u64": lambda rng, n: rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True),
}


def _same(a: HashIndex | SegmentedHashIndex, b: SegmentedHashIndex, queries: np.ndarray) -> None:
    for cap in (None, 3, 40):
        for x, y in zip(
            a.lookup(queries, max_postings=cap), b.lookup(queries, max_postings=cap), strict=True
        ):
            assert x.dtype == y.dtype
            assert np.array_equal(x, y)
    assert a.item_ids() == b.item_ids()
    assert len(a) == len(b)
    assert all(a.item_size(i) == b.item_size(i) for i in a.item_ids() | {-5})


def _queries(rng: np.random.Generator, ref: HashIndex, gen: str) -> np.ndarray:
    stored = ref._store.consolidate()[0]
    picked = rng.choice(stored, 300) if stored.size else np.zeros(0, np.uint64)
    edges = np.array([0, 2**64 - 1, 2**33], dtype=np.uint64)
    return np.concatenate([picked, KEYS[gen](rng, 100).astype(np.uint64), edges])


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Merge in many chunks, so the chunked merge is exercised on small data."""
    monkeypatch.setattr(SegmentedHashIndex, "merge_chunk", 97)


@pytest.mark.usefixtures("small_chunks")
@pytest.mark.parametrize("gen", list(KEYS))
def test_matches_hashindex_through_adds_saves_removes_and_reloads(tmp_path: Path, gen: str) -> None:
    rng = np.random.default_rng(hash(gen) % 2**32)
    path = tmp_path / "seg.idx"
    ref, seg = HashIndex(STAMP), SegmentedHashIndex(STAMP)
    for step in range(30):
        item = int(rng.integers(0, 25))
        action = rng.random()
        if action < 0.6:
            n = int(rng.integers(1, 400))
            codes = KEYS[gen](rng, n)
            positions = rng.random(n).astype(np.float32) * 600
            ref.add(item, codes, positions)
            seg.add(item, codes, positions)
        else:
            ref.remove(item)
            seg.remove(item)
        if step % 4 == 3:
            seg.save(path)
        if step % 8 == 7:
            seg = SegmentedHashIndex.load(path, STAMP)
        _same(ref, seg, _queries(rng, ref, gen))
    seg.save(path)
    _same(ref, SegmentedHashIndex.load(path, STAMP), _queries(rng, ref, gen))


def test_sparse_and_negative_item_ids(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    ref, seg = HashIndex(STAMP), SegmentedHashIndex(STAMP)
    for item in (2**31 - 1, -(2**31), -7, 0, 5):
        codes, positions = rng.integers(0, 500, 300), rng.random(300).astype(np.float32)
        ref.add(item, codes, positions)
        seg.add(item, codes, positions)
    seg.save(tmp_path / "a")
    seg.remove(-7)
    ref.remove(-7)
    _same(ref, seg, np.arange(500))
    seg.save(tmp_path / "b")
    _same(ref, SegmentedHashIndex.load(tmp_path / "b", STAMP), np.arange(500))


@pytest.mark.parametrize(("items", "dtype"), [(300, np.uint16), (70_000, np.uint32)])
def test_item_rows_widen_with_the_number_of_items(tmp_path: Path, items: int, dtype: type) -> None:
    rng = np.random.default_rng(items)
    codes, positions = rng.integers(0, 5000, 2 * items), rng.random(2 * items).astype(np.float32)
    ref, seg = HashIndex(STAMP), SegmentedHashIndex(STAMP)
    for item in range(items):
        for index in (ref, seg):
            index.add(item * 3, codes[2 * item : 2 * item + 2], positions[2 * item : 2 * item + 2])
    seg.save(tmp_path / "a")
    loaded = SegmentedHashIndex.load(tmp_path / "a", STAMP)
    assert loaded._segments[0].items.dtype == dtype
    _same(ref, loaded, np.arange(5000))


def _filled() -> SegmentedHashIndex:
    index = SegmentedHashIndex(STAMP)
    index.add(1, np.array([10, 20, 30, 20], dtype=np.uint32), np.array([0.0, 1.0, 2.0, 3.0]))
    index.add(2, np.array([20, 40], dtype=np.uint64), np.array([5.0, 6.0]))
    return index


def test_lookup_sees_the_buffer_and_the_segments(tmp_path: Path) -> None:
    index = _filled()
    index.save(tmp_path / "a")
    index.add(3, np.array([20]), np.array([9.0]))
    qidx, items, pos = index.lookup(np.array([20, 99, 10], dtype=np.uint64))
    assert list(zip(qidx.tolist(), items.tolist(), pos.tolist(), strict=True)) == [
        (0, 1, 1.0), (0, 1, 3.0), (0, 2, 5.0), (0, 3, 9.0), (2, 1, 0.0),
    ]  # fmt: skip
    assert qidx.dtype == np.int64 and items.dtype == np.int32 and pos.dtype == np.float32
    assert len(index) == 7 and index.item_size(1) == 4 and index.item_ids() == {1, 2, 3}


def test_each_save_adds_a_segment_and_the_directory_is_plain_npy(tmp_path: Path) -> None:
    path = tmp_path / "a"
    index = SegmentedHashIndex(STAMP)
    rng = np.random.default_rng(1)
    sizes = [5000, 1000, 200]  # decreasing, so the size-tiered policy merges nothing
    for item, n in enumerate(sizes):
        index.add(item, rng.integers(0, 10**6, n), np.arange(n, dtype=np.float32))
        index.save(path)
    assert index.segment_sizes() == sizes
    names = sorted(p.name for p in path.iterdir())
    assert names[0] == "meta.json" and len(names) == 1 + 3 * 5
    assert all(n.startswith("seg-") and n.endswith(".npy") for n in names[1:])
    meta = json.loads((path / "meta.json").read_text())
    assert meta["kind"] == "segmented-hashindex" and meta["stamp"] == STAMP.to_json()
    assert [s["postings"] for s in meta["segments"]] == sizes
    loaded = SegmentedHashIndex.load(path, STAMP)
    assert loaded.segment_sizes() == sizes and len(loaded) == sum(sizes)


def test_remove_is_a_tombstone_until_merged(tmp_path: Path) -> None:
    path = tmp_path / "a"
    index = _filled()
    index.add(3, np.arange(100, 120), np.zeros(20))
    index.save(path)
    index.remove(1)
    index.remove(42)  # absent: no error
    index.save(path)
    loaded = SegmentedHashIndex.load(path, STAMP)
    assert loaded.item_ids() == {2, 3} and len(loaded) == 22
    assert loaded.lookup(np.array([10, 20]))[1].tolist() == [2]
    assert loaded.segment_sizes() == [26]  # 4 dead of 26: under the merge threshold
    assert json.loads((path / "meta.json").read_text())["tombstones"] == [[1, 1]]


def test_an_item_added_again_after_removal_lives(tmp_path: Path) -> None:
    path = tmp_path / "a"
    index = _filled()
    index.save(path)
    index.remove(1)
    index.add(1, np.array([20, 50]), np.array([7.0, 8.0]))
    assert index.item_size(1) == 2
    index.save(path)
    for view in (index, SegmentedHashIndex.load(path, STAMP)):
        qidx, items, pos = view.lookup(np.array([10, 20, 50]))
        assert list(zip(qidx.tolist(), items.tolist(), pos.tolist(), strict=True)) == [
            (1, 2, 5.0), (1, 1, 7.0), (2, 1, 8.0),
        ]  # fmt: skip
        assert view.item_size(1) == 2 and len(view) == 4
    index.remove(1)
    index.save(path)
    assert SegmentedHashIndex.load(path, STAMP).item_ids() == {2}


def test_the_cap_counts_live_postings_across_all_runs(tmp_path: Path) -> None:
    index = SegmentedHashIndex(STAMP, max_postings=3)
    index.add(1, np.array([7, 7, 7]), np.arange(3.0))
    index.save(tmp_path / "a")
    index.add(2, np.array([7, 8]), np.arange(2.0))
    assert index.lookup(np.array([7, 8]))[0].tolist() == [1]  # 4 postings of 7 over two runs
    index.remove(1)  # now raw count 4, live count 1
    assert index.lookup(np.array([7, 8]))[0].tolist() == [0, 1]
    assert index.lookup(np.array([7]), max_postings=0)[0].size == 0


def test_merges_keep_answers_and_drop_tombstones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SegmentedHashIndex, "max_segments", 3)
    monkeypatch.setattr(SegmentedHashIndex, "merge_chunk", 50)
    path = tmp_path / "a"
    rng = np.random.default_rng(7)
    ref, index = HashIndex(STAMP), SegmentedHashIndex(STAMP)
    for item, n in enumerate([900, 500, 300, 200, 100, 60]):
        codes, positions = rng.integers(0, 2000, n), rng.random(n).astype(np.float32)
        ref.add(item, codes, positions)
        index.add(item, codes, positions)
        index.save(path)
        assert len(index.segment_sizes()) <= 3
    queries = rng.integers(0, 2000, 500)
    _same(ref, index, queries)
    before = len(os.listdir(path))
    for item in (0, 1):  # most of the oldest segment: over the dead fraction
        ref.remove(item)
        index.remove(item)
    index.save(path)
    assert index.segment_sizes() == [len(ref)]
    assert json.loads((path / "meta.json").read_text())["tombstones"] == []
    assert len(os.listdir(path)) < before  # merged-away segment files were deleted
    _same(ref, SegmentedHashIndex.load(path, STAMP), queries)


def test_size_tiered_merging_keeps_few_segments(tmp_path: Path) -> None:
    index = SegmentedHashIndex(STAMP)
    for item in range(16):
        index.add(item, np.arange(100) + item, np.zeros(100))
        index.save(tmp_path / "a")
    assert index.segment_sizes() == [1600]  # a binary counter: 16 equal saves merge to one
    index.add(99, np.arange(100), np.zeros(100))
    index.save(tmp_path / "a")
    assert index.segment_sizes() == [1600, 100]


def test_save_elsewhere_writes_the_whole_index(tmp_path: Path) -> None:
    index = _filled()
    index.save(tmp_path / "a")
    index.add(3, np.array([10]), np.array([1.0]))
    index.remove(2)
    index.save(tmp_path / "b")
    assert index.segment_sizes() == [5]
    assert SegmentedHashIndex.load(tmp_path / "a", STAMP).item_ids() == {1, 2}
    assert SegmentedHashIndex.load(tmp_path / "b", STAMP).item_ids() == {1, 3}


def test_empty_index_round_trip(tmp_path: Path) -> None:
    SegmentedHashIndex(STAMP).save(tmp_path / "e")
    loaded = SegmentedHashIndex.load(tmp_path / "e", STAMP)
    assert len(loaded) == 0 and loaded.lookup(np.array([1, 2]))[0].size == 0
    assert _filled().lookup(np.zeros(0, dtype=np.uint32))[0].size == 0


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
        SegmentedHashIndex.load(path, stamp)
    assert "a.idx" in str(info.value)


def test_missing_foreign_and_corrupt_paths(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"nope\.idx"):
        SegmentedHashIndex.load(tmp_path / "nope.idx", STAMP)
    HashIndex(STAMP).save(tmp_path / "single.idx")
    with pytest.raises(IndexMismatchError, match=r"single\.idx.*single file"):
        SegmentedHashIndex.load(tmp_path / "single.idx", STAMP)
    (tmp_path / "bare").mkdir()
    with pytest.raises(IndexMismatchError, match=r"bare: no meta\.json"):
        SegmentedHashIndex.load(tmp_path / "bare", STAMP)
    path = tmp_path / "a"
    _filled().save(path)
    (path / "seg-000001.pos.npy").unlink()
    with pytest.raises(IndexMismatchError, match=r"seg-000001\.pos\.npy"):
        SegmentedHashIndex.load(path, STAMP)
    (path / "meta.json").write_text("{not json")
    with pytest.raises(IndexMismatchError, match=r"corrupt meta\.json"):
        SegmentedHashIndex.load(path, STAMP)
    header = {"format": "jianwang-index", "format_version": 1, "kind": "segmented-hashindex"}
    (path / "meta.json").write_text(json.dumps({**header, "stamp": STAMP.to_json()}))
    with pytest.raises(IndexMismatchError, match=r"corrupt meta\.json"):
        SegmentedHashIndex.load(path, STAMP)
    _filled().save(path)  # a save overwrites what it cannot read
    assert SegmentedHashIndex.load(path, STAMP).item_ids() == {1, 2}


def test_saving_over_a_single_file_index_replaces_it(tmp_path: Path) -> None:
    path = tmp_path / "audio.v1.idx"
    HashIndex(STAMP).save(path)
    _filled().save(path)
    assert SegmentedHashIndex.load(path, STAMP).item_ids() == {1, 2}


def test_a_crash_before_the_meta_is_replaced_leaves_the_previous_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a"
    index = _filled()
    index.save(path)
    index.add(3, np.array([10, 11]), np.array([0.0, 1.0]))
    index.remove(2)
    real_replace = os.replace

    def crash_on_meta(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == "meta.json":
            raise OSError("power cut")
        real_replace(src, dst)

    monkeypatch.setattr(segmented.os, "replace", crash_on_meta)
    with pytest.raises(OSError, match="power cut"):
        index.save(path)
    monkeypatch.undo()
    orphans = (
        {p.name for p in path.iterdir()}
        - {"meta.json"}
        - {f"seg-000001.{c}.npy" for c in ("dir", "keys", "items", "pos", "census")}
    )
    assert orphans and all(n.startswith("seg-000002.") for n in orphans)
    reopened = SegmentedHashIndex.load(path, STAMP)
    assert reopened.item_ids() == {1, 2} and reopened.segment_sizes() == [6]
    # The failed index kept its changes in memory; saving again completes the job.
    assert index.item_ids() == {1, 3}
    index.save(path)
    assert SegmentedHashIndex.load(path, STAMP).item_ids() == {1, 3}
    # Another process's next save deletes leftovers the meta does not name.
    (path / "seg-000099.keys.npy").write_bytes(b"orphan")
    (path / ".seg-000100.pos.npy.tmp").write_bytes(b"half written")
    reopened = SegmentedHashIndex.load(path, STAMP)
    reopened.save(path)
    assert not (path / "seg-000099.keys.npy").exists()
    assert not (path / ".seg-000100.pos.npy.tmp").exists()


def test_a_save_over_a_meta_changed_by_another_writer_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a"
    _filled().save(path)
    first, second = (SegmentedHashIndex.load(path, STAMP) for _ in range(2))
    first.add(5, np.array([1]), np.array([0.0]))
    first.save(path)
    second.add(6, np.array([1]), np.array([0.0]))
    with pytest.raises(IndexMismatchError, match="changed on disk"):
        second.save(path)
    assert SegmentedHashIndex.load(path, STAMP).item_ids() == {1, 2, 5}


def test_a_large_index_is_memory_mapped_and_compact(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n, items = 5_000_000, 200
    codes = KEYS["audio"](rng, n).astype(np.uint64)
    owners = np.repeat(np.arange(items), n // items)
    positions = rng.random(n).astype(np.float32)
    index = SegmentedHashIndex(STAMP)
    for item in range(items):
        chunk = owners == item
        index.add(item, codes[chunk], positions[chunk])
    path = tmp_path / "big"
    index.save(path)
    loaded = SegmentedHashIndex.load(path, STAMP)
    (seg,) = loaded._segments
    assert all(isinstance(col, np.memmap) for col in (seg.directory, seg.keys, seg.items, seg.pos))
    size = sum(p.stat().st_size for p in path.iterdir())
    assert size / n < 6.1  # 1-byte low key bits, 1-byte item row, 4-byte position, directory
    q = codes[:2000]
    ordered = np.sort(codes)
    per_hash = np.searchsorted(ordered, q, "right") - np.searchsorted(ordered, q, "left")
    qidx, _, _ = loaded.lookup(q, max_postings=10**9)
    assert np.array_equal(np.bincount(qidx, minlength=q.size), per_hash)


def test_key_layout_takes_the_fewest_bytes() -> None:
    assert segmented._key_layout(100, 2**40) is None
    assert segmented._key_layout(100, 2**31) is None
    assert segmented._key_layout(100_000, 6_500_000) == 16
    assert segmented._key_layout(5_000_000, 6_500_000) == 8
    assert segmented._key_layout(50_000_000, 6_500_000) == 0


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="equal length"):
        SegmentedHashIndex(STAMP).add(1, np.array([1, 2]), np.array([0.0]))
    with pytest.raises(ValueError, match="int32"):
        SegmentedHashIndex(STAMP).add(2**40, np.array([1]), np.array([0.0]))
