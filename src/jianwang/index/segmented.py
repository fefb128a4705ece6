"""An on-disk exact-match hash index: memory-mapped sorted runs, added to and merged, not rebuilt.

``HashIndex`` keeps every posting in memory and rewrites one file per save, so a large protection
list costs its whole size in RAM in every process and a full rewrite for each new reference.
``SegmentedHashIndex`` answers the same lookups from a directory of immutable *segments* (sorted
runs, as in a log-structured merge tree) that are memory-mapped, so the resident memory is the
pages the queries touch; new references are written as one more segment and removals as
tombstones, so a save writes what changed, not the index.

Why sorted runs and not a general key-value store (LMDB, RocksDB): the query of a media file is a
few thousand hashes at once, and the answer is "every posting of each". A sorted key column serves
the whole query with one vectorised ``searchsorted`` per segment and one gather per column, with
no Python call per key; a key-value store would need one cursor operation per hash and would store
postings as byte strings, each with its own per-record overhead. Columns also compress well
because they are sorted: the key column is stored as a *directory* of bucket offsets over the
high key bits plus the low bits (8 or 16, or none at all when the directory alone is smaller),
items as rows of a per-segment item table (uint8 up to 256 items, uint16 up to 65,536) and
positions as float32 (what ``HashIndex`` returns, so answers are identical). Audio landmark
hashes (about 120 a second, 23 significant bits) then cost 6.5 to 7 bytes a posting, under 3 MB
per hour of audio, against 16 in ``HashIndex``.

On disk, ``path`` is a directory::

    meta.json                    format, kind, stamp, live segments, tombstones
    seg-000003.dir.npy           bucket offsets over the high key bits (directory layouts)
    seg-000003.keys.npy          low key bits, or whole keys in the plain layout
    seg-000003.items.npy         per posting: index into the segment's census
    seg-000003.pos.npy           per posting: position (float32)
    seg-000003.census.npy        (item id, postings) of every item in the segment, by item id

Segment files are immutable, so per-item counts live in their census rather than in a meta file
that is rewritten on every save. Everything is plain ``.npy`` (``np.load(mmap_mode="r")``, no
pickle). A save writes new segment files under temporary names, fsyncs and renames them, then
replaces ``meta.json`` atomically: until that replace the previous meta describes a complete
index, and files it does not name are orphans that the next save deletes. One process writes an
index at a time; a save refuses to overwrite a meta that changed on disk since it was read.
Deleting merged-away files that a reader still maps relies on POSIX unlink semantics.

Removal is a tombstone ``item -> generation``: postings of the item in segments with an id up to
the generation are dead (filtered at lookup), so an item removed and then added again lives on in
the newer segment. Merging drops dead postings and tombstones that no longer hide anything.
"""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import numpy as np

from jianwang.errors import IndexMismatchError, NotFoundError
from jianwang.index.base import Index, IndexStamp
from jianwang.index.postings import PostingStore
from jianwang.index.storage import FORMAT

log = logging.getLogger(__name__)

KIND = "segmented-hashindex"
LAYOUT_VERSION = 1
META = "meta.json"
_SEGMENT_FILE = re.compile(r"^seg-(\d+)\.(?:dir|keys|items|pos|census)\.npy$")
_TEMP_FILE = re.compile(r"^\.(?:seg-\d+\.\w+\.npy|meta\.json)\.tmp$")
_U32_MAX = 2**32 - 1
Side = Literal["left", "right"]
ColumnSpec = tuple[tuple[type[np.generic], ...], tuple[int, ...]]


def _key_layout(count: int, max_key: int) -> int | None:
    """Low key bits kept per posting (0, 8 or 16) under a bucket directory, or ``None`` for plain
    keys: whichever takes fewest bytes for ``count`` keys up to ``max_key``."""
    offset_bytes = 4 if count <= _U32_MAX else 8
    best: tuple[int, int | None] = (count * (4 if max_key <= _U32_MAX else 8), None)
    for low in (16, 8, 0):
        size = count * low // 8 + offset_bytes * ((max_key >> low) + 2)
        if size < best[0]:
            best = (size, low)
    return best[1]


def _rows(census: np.ndarray, items: np.ndarray) -> np.ndarray:
    """Row of each of ``items`` in the sorted ``census`` (uint32): through a lookup table when
    the ids span a small range (asset ids usually do), else by binary search."""
    if items.size == 0:
        return np.zeros(0, np.uint32)
    low, span = int(census[0]), int(census[-1]) - int(census[0]) + 1
    if span > 4 * items.size + 2**20:
        return np.searchsorted(census, items).astype(np.uint32)
    table = np.zeros(span, np.uint32)
    table[census - low] = np.arange(census.size, dtype=np.uint32)
    return table[items - low]


def _ranged_search(
    col: np.ndarray, lo: np.ndarray, hi: np.ndarray, values: np.ndarray, side: Side
) -> np.ndarray:
    """``searchsorted`` of each ``values[i]`` within its own sorted slice ``col[lo[i]:hi[i]]``,
    as absolute indices: a binary search run for all values at once (log2 of the longest slice
    vectorised steps), because numpy has no ranged ``searchsorted``."""
    lo, hi = lo.astype(np.int64), hi.astype(np.int64)
    active = np.flatnonzero(lo < hi)
    while active.size:
        mid = (lo[active] + hi[active]) // 2
        found = np.asarray(col[mid])
        right = found < values[active] if side == "left" else found <= values[active]
        lo[active[right]] = mid[right] + 1
        hi[active[~right]] = mid[~right]
        active = active[lo[active] < hi[active]]
    return lo


@dataclass(frozen=True, eq=False)
class _Segment:
    """One immutable sorted run: on disk (memory-mapped) or the in-memory buffer in the same form.

    ``low`` is the layout: ``None`` when ``keys`` holds whole keys, else the number of low bits in
    ``keys`` (absent when 0) under ``directory``, where bucket ``h`` (keys with ``key >> low ==
    h``) is ``[directory[h], directory[h + 1])``.
    """

    id: int
    low: int | None
    directory: np.ndarray | None
    keys: np.ndarray | None
    items: np.ndarray  # index into census_items
    pos: np.ndarray
    census_items: np.ndarray  # int32, sorted
    census_counts: np.ndarray  # int64
    max_key: int

    @property
    def size(self) -> int:
        return int(self.pos.shape[0])

    def bound(self, values: np.ndarray, side: Side) -> np.ndarray:
        """``searchsorted(all_keys, values, side)`` for uint64 ``values``, whatever the layout."""
        out = np.full(values.shape, self.size, dtype=np.int64)
        if self.low is None:
            assert self.keys is not None
            ok: np.ndarray = values <= np.iinfo(self.keys.dtype).max
            out[ok] = np.searchsorted(self.keys, values[ok].astype(self.keys.dtype), side=side)
            return out
        assert self.directory is not None
        bucket = values >> np.uint64(self.low)
        ok = np.flatnonzero(bucket < self.directory.shape[0] - 1)
        start = np.asarray(self.directory[bucket[ok]]).astype(np.int64)
        end = np.asarray(self.directory[bucket[ok] + 1]).astype(np.int64)
        if self.low == 0:
            out[ok] = start if side == "left" else end
        else:
            assert self.keys is not None
            low_bits = values[ok] & np.uint64((1 << self.low) - 1)
            out[ok] = _ranged_search(self.keys, start, end, low_bits, side)
        return out

    def keys_between(self, start: int, stop: int) -> np.ndarray:
        """The whole keys (uint64) of postings ``start:stop``, rebuilt from the layout."""
        if self.low is None:
            assert self.keys is not None
            return np.asarray(self.keys[start:stop]).astype(np.uint64)
        assert self.directory is not None
        if stop <= start:
            return np.zeros(0, np.uint64)
        # Search with the directory's own dtype: a mixed-type searchsorted would copy it whole.
        marks = np.asarray([start, stop - 1], dtype=self.directory.dtype)
        first, last = (np.searchsorted(self.directory, marks, side="right") - 1).tolist()
        edges = np.clip(np.asarray(self.directory[first : last + 2]).astype(np.int64), start, stop)
        high = np.repeat(np.arange(first, last + 1, dtype=np.uint64), np.diff(edges))
        keys = high << np.uint64(self.low)
        if self.low:
            assert self.keys is not None
            keys |= np.asarray(self.keys[start:stop]).astype(np.uint64)
        return keys

    @classmethod
    def in_memory(cls, seg_id: int, store: PostingStore) -> _Segment:
        """The write buffer as a segment with plain keys, so lookups treat it like any other."""
        keys, items, pos = store.consolidate()
        census = np.asarray(sorted(store.item_ids()), dtype=np.int32)
        counts = np.asarray([store.item_size(int(i)) for i in census], dtype=np.int64)
        local = _rows(census, items)
        max_key = int(keys[-1]) if keys.size else 0
        return cls(seg_id, None, None, keys, local, pos, census, counts, max_key)

    @classmethod
    def open(cls, directory: Path, entry: dict[str, Any]) -> _Segment:
        """Memory-map a segment named in the meta, checking its files against the entry."""
        try:
            seg_id, count, max_key = int(entry["id"]), int(entry["postings"]), int(entry["max_key"])
            low = None if entry["low_bits"] is None else int(entry["low_bits"])
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexMismatchError(f"{directory}: corrupt segment entry in {META}") from exc
        if low not in (None, 0, 8, 16):
            raise IndexMismatchError(f"{directory}: segment {seg_id} has unknown layout {low}")
        keys: ColumnSpec | None = None
        if low is None:
            keys = ((np.uint32, np.uint64), (count,))
        elif low:
            keys = ((np.uint8,) if low == 8 else (np.uint16,), (count,))
        expect: dict[str, ColumnSpec | None] = {
            "dir": None if low is None else ((np.uint32, np.uint64), ((max_key >> low) + 2,)),
            "keys": keys,
            "items": ((np.uint8, np.uint16, np.uint32), (count,)),
            "pos": ((np.float32,), (count,)),
            "census": ((np.int64,), (-1, 2)),
        }
        arrays: dict[str, np.ndarray | None] = {}
        for column, spec in expect.items():
            arrays[column] = None if spec is None else _open_column(directory, seg_id, column, spec)
        census = np.asarray(arrays.pop("census"))
        offsets = arrays["dir"]
        if int(census[:, 1].sum()) != count or (offsets is not None and offsets[-1] != count):
            raise IndexMismatchError(f"{directory}: segment {seg_id} is inconsistent with {META}")
        items, pos = arrays["items"], arrays["pos"]
        assert items is not None and pos is not None
        return cls(
            seg_id, low, offsets, arrays["keys"], items, pos,
            census[:, 0].astype(np.int32), census[:, 1].copy(), max_key,
        )  # fmt: skip


def _open_column(
    directory: Path,
    seg_id: int,
    column: str,
    spec: ColumnSpec,
) -> np.ndarray:
    """Memory-map one segment column, refusing a missing file, another dtype or shape."""
    path = directory / _segment_file(seg_id, column)
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexMismatchError(
            f"{directory}: cannot read segment file {path.name} ({exc})"
        ) from exc
    dtypes, shape = spec
    shape_ok = array.ndim == len(shape) and all(
        want in (-1, got) for want, got in zip(shape, array.shape, strict=True)
    )
    if array.dtype.type not in dtypes or not shape_ok or array.size == 0:
        raise IndexMismatchError(
            f"{directory}: segment file {path.name} has {array.dtype} {array.shape}, "
            f"not what {META} describes"
        )
    return array


def _segment_file(seg_id: int, column: str) -> str:
    return f"seg-{seg_id:06d}.{column}.npy"


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


class _SegmentWriter:
    """Writes one segment chunk by chunk (keys ascending) into temporary files, then renames them.

    Columns are ``open_memmap`` files sized up front, so a merge of any size streams through
    bounded memory; the directory is accumulated as bucket counts.
    """

    def __init__(
        self, directory: Path, seg_id: int, count: int, max_key: int, census: np.ndarray
    ) -> None:
        self.directory, self.seg_id, self.count, self.max_key = directory, seg_id, count, max_key
        self.census = census  # (n, 2) int64, by item id
        self.low = _key_layout(count, max_key)
        self._offset = 0
        self._tmp: dict[str, Path] = {}
        self._columns: dict[str, np.ndarray] = {}
        if self.low is None:
            key_dtype: type[np.generic] | None = np.uint32 if max_key <= _U32_MAX else np.uint64
            self._buckets = np.zeros(0, np.int64)
        else:
            key_dtype = {0: None, 8: np.uint8, 16: np.uint16}[self.low]
            self._buckets = np.zeros((max_key >> self.low) + 1, np.int64)
        rows = census.shape[0]
        item_dtype = np.uint8 if rows <= 2**8 else np.uint16 if rows <= 2**16 else np.uint32
        for column, dtype in (("keys", key_dtype), ("items", item_dtype), ("pos", np.float32)):
            if dtype is not None:
                path = self._temp(column)
                self._columns[column] = np.lib.format.open_memmap(
                    path, mode="w+", dtype=dtype, shape=(count,)
                )

    def _temp(self, column: str) -> Path:
        path = self.directory / f".{_segment_file(self.seg_id, column)}.tmp"
        self._tmp[column] = path
        return path

    def write(self, keys: np.ndarray, items: np.ndarray, pos: np.ndarray) -> None:
        """Append postings sorted by key, all greater or equal to those written before; ``items``
        are row numbers in the census."""
        end = self._offset + keys.size
        if self.low is None:
            self._columns["keys"][self._offset : end] = keys
        else:
            buckets = (keys >> np.uint64(self.low)).astype(np.int64)
            self._buckets += np.bincount(buckets, minlength=self._buckets.size)
            if self.low:
                self._columns["keys"][self._offset : end] = keys & np.uint64((1 << self.low) - 1)
        self._columns["items"][self._offset : end] = items
        self._columns["pos"][self._offset : end] = pos
        self._offset = end

    def finish(self) -> tuple[_Segment, dict[str, Any]]:
        """Flush, fsync and rename the files; the segment (memory-mapped) and its meta entry."""
        if self._offset != self.count:
            raise RuntimeError(f"segment {self.seg_id}: wrote {self._offset} of {self.count}")
        for column in list(self._columns):
            mm = self._columns.pop(column)
            assert isinstance(mm, np.memmap)
            mm.flush()
            del mm
        small = {"census": self.census}
        if self.low is not None:
            offsets = np.concatenate([[0], np.cumsum(self._buckets)])
            small["dir"] = offsets.astype(np.uint32 if self.count <= _U32_MAX else np.uint64)
        for column, array in small.items():
            with self._temp(column).open("wb") as fh:
                np.save(fh, array, allow_pickle=False)
        for column, tmp in self._tmp.items():
            _fsync_file(tmp)
            os.replace(tmp, self.directory / _segment_file(self.seg_id, column))
        _fsync_dir(self.directory)
        entry = {"id": self.seg_id, "postings": self.count, "low_bits": self.low}
        entry["max_key"] = self.max_key
        return _Segment.open(self.directory, entry), entry

    def abort(self) -> None:
        """Drop the temporary files after a failure."""
        self._columns.clear()
        for tmp in self._tmp.values():
            tmp.unlink(missing_ok=True)


def _merge(
    runs: list[tuple[_Segment, np.ndarray | None]], directory: Path, seg_id: int, chunk: int
) -> tuple[_Segment, dict[str, Any]] | None:
    """Merge sorted runs (oldest first, each with its dead-census mask) into one new segment.

    The key space is cut at keys of the largest run every ``chunk`` postings; each slice of all
    runs is concatenated, stripped of dead postings and stable-sorted, so postings with equal keys
    keep their run order (insertion order, as in ``HashIndex``) and memory stays bounded.
    """
    census_items, census_counts = [], []
    for seg, dead in runs:
        live = slice(None) if dead is None else ~dead
        census_items.append(seg.census_items[live])
        census_counts.append(seg.census_counts[live])
    items_all = np.concatenate(census_items)
    ids, owner = np.unique(items_all, return_inverse=True)
    counts = np.bincount(owner, weights=np.concatenate(census_counts), minlength=ids.size)
    census = np.stack([ids.astype(np.int64), counts.astype(np.int64)], axis=1)
    # Each run's census rows to the new census rows: a gather per posting, not a search.
    remaps = [np.searchsorted(ids, seg.census_items) for seg, _ in runs]
    total = int(counts.sum())
    if total == 0:
        return None
    largest = max((seg for seg, _ in runs), key=lambda seg: seg.size)
    cut_at = range(chunk, largest.size, chunk)
    cut_keys = [largest.keys_between(i, i + 1) for i in cut_at]
    cuts = np.unique(np.concatenate(cut_keys)) if cut_keys else np.zeros(0, np.uint64)
    bounds = [np.concatenate([[0], seg.bound(cuts, "left"), [seg.size]]) for seg, _ in runs]
    writer = _SegmentWriter(directory, seg_id, total, max(s.max_key for s, _ in runs), census)
    try:
        for part in range(cuts.size + 1):
            keys, items, pos = [], [], []
            for (seg, dead), edges, remap in zip(runs, bounds, remaps, strict=True):
                start, stop = int(edges[part]), int(edges[part + 1])
                local = np.asarray(seg.items[start:stop])
                keep = slice(None) if dead is None else ~dead[local]
                keys.append(seg.keys_between(start, stop)[keep])
                items.append(remap[local[keep]])
                pos.append(np.asarray(seg.pos[start:stop])[keep])
            if len(runs) == 1:  # a single run is already in order
                writer.write(keys[0], items[0], pos[0])
                continue
            merged_keys = np.concatenate(keys)
            order = np.argsort(merged_keys, kind="stable")
            writer.write(
                merged_keys[order], np.concatenate(items)[order], np.concatenate(pos)[order]
            )
        return writer.finish()
    except BaseException:
        writer.abort()
        raise


def _read_meta(directory: Path) -> dict[str, Any] | None:
    """The checked ``meta.json`` of ``directory`` (stamp as an ``IndexStamp``, tombstones as a
    dict), ``None`` if there is none."""
    path = directory / META
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexMismatchError(f"{directory}: corrupt {META} ({exc})") from exc
    if not isinstance(meta, dict):
        raise IndexMismatchError(f"{directory}: corrupt {META}")
    if meta.get("format") != FORMAT or meta.get("format_version") != LAYOUT_VERSION:
        raise IndexMismatchError(
            f"{directory}: index format {meta.get('format')!r} v{meta.get('format_version')}, "
            f"expected {FORMAT!r} v{LAYOUT_VERSION}"
        )
    if meta.get("kind") != KIND:
        raise IndexMismatchError(f"{directory}: holds a {meta.get('kind')!r}, not a {KIND!r}")
    try:
        meta["stamp"] = IndexStamp.from_json(meta["stamp"])
        meta["next_segment"] = int(meta["next_segment"])
        meta["tombstones"] = {int(item): int(gen) for item, gen in meta["tombstones"]}
        for entry in meta["segments"]:
            entry["id"] = int(entry["id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexMismatchError(f"{directory}: corrupt {META} ({exc!r})") from exc
    return meta


def _write_meta(directory: Path, meta: dict[str, Any]) -> None:
    """Replace ``meta.json`` atomically (temporary file, fsync, rename, fsync of the directory):
    the commit point of a save."""
    tmp = directory / f".{META}.tmp"
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            json.dump(meta, fh, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, directory / META)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(directory)


def _disk_state(meta: dict[str, Any] | None) -> tuple[int, tuple[int, ...]] | None:
    """What identifies one version of a directory's meta: its next id and its segment ids."""
    if meta is None:
        return None
    return int(meta["next_segment"]), tuple(int(s["id"]) for s in meta["segments"])


def _clean(directory: Path, keep: set[int]) -> None:
    """Delete temporary files and segment files that are not in ``keep`` (crash leftovers)."""
    for path in directory.iterdir():
        found = _SEGMENT_FILE.match(path.name)
        if (found and int(found.group(1)) not in keep) or _TEMP_FILE.match(path.name):
            log.info("removing orphan index file %s", path)
            path.unlink(missing_ok=True)


class SegmentedHashIndex(Index):
    """Exact-match hash index on disk; same API and answers as ``HashIndex``.

    ``add`` and ``remove`` work in memory (a write buffer and tombstones) and are seen by the next
    lookup; ``save`` persists them as one new segment plus a new ``meta.json``, merging segments
    when more than ``max_segments`` would remain, when a newer run has grown as large as the one
    before it (size-tiered, so each posting is rewritten O(log n) times), or when more than
    ``dead_fraction`` of a segment is removed postings.
    """

    max_segments: ClassVar[int] = 8
    dead_fraction: ClassVar[float] = 0.25
    merge_chunk: ClassVar[int] = 2_000_000

    def __init__(self, stamp: IndexStamp, *, max_postings: int = 2000) -> None:
        self.stamp = stamp
        self.max_postings = max_postings
        self._segments: list[_Segment] = []
        self._tombstones: dict[int, int] = {}  # item -> last segment id whose postings are dead
        self._counts: dict[int, int] = {}  # live postings per item, over the segments
        self._buffer = PostingStore(sort=True)
        self._next_id = 1
        self._home: Path | None = None
        self._home_state: tuple[int, tuple[int, ...]] | None = None
        self._views: list[tuple[_Segment, np.ndarray | None, int]] | None = None

    # -- contents -------------------------------------------------------------------------------

    def add(self, item_id: int, codes: np.ndarray, positions: np.ndarray) -> None:
        """Buffer an item's codes in memory; ``save`` writes them as a new segment."""
        self._buffer.append(item_id, codes, positions)
        self._views = None

    def remove(self, item_id: int) -> None:
        """Forget an item: drop it from the buffer and tombstone its postings on disk."""
        self._buffer.remove(item_id)
        if self._counts.pop(item_id, None) is not None:
            self._tombstones[item_id] = self._next_id - 1
        self._views = None

    def item_ids(self) -> set[int]:
        """Items present."""
        return set(self._counts) | self._buffer.item_ids()

    def item_size(self, item_id: int) -> int:
        """Codes held for ``item_id``."""
        return self._counts.get(item_id, 0) + self._buffer.item_size(item_id)

    def __len__(self) -> int:
        return sum(self._counts.values()) + len(self._buffer)

    def segment_sizes(self) -> list[int]:
        """Postings (dead ones included) in each segment on disk, oldest first."""
        return [seg.size for seg in self._segments]

    # -- lookup ---------------------------------------------------------------------------------

    def _runs(self) -> list[tuple[_Segment, np.ndarray | None, int]]:
        """Every run with its dead-census mask and dead postings; the buffer last, as the newest."""
        if self._views is None:
            tomb_items = np.fromiter(self._tombstones, dtype=np.int64)
            tomb_gens = np.fromiter(self._tombstones.values(), dtype=np.int64)
            views: list[tuple[_Segment, np.ndarray | None, int]] = []
            for seg in self._segments:
                dead = np.isin(seg.census_items, tomb_items[tomb_gens >= seg.id])
                if dead.any():
                    views.append((seg, dead, int(seg.census_counts[dead].sum())))
                else:
                    views.append((seg, None, 0))
            if len(self._buffer):
                views.append((_Segment.in_memory(self._next_id, self._buffer), None, 0))
            self._views = views
        return self._views

    def lookup(
        self, hashes: np.ndarray, *, max_postings: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All postings of ``hashes``, as ``(query_idx, item_ids, positions)``, as ``HashIndex``.

        Hashes with more than ``max_postings`` live postings in the whole index are skipped. Each
        run is searched for the whole query at once; a hash whose raw count (dead postings
        included) is over the cap is expanded only if its dead postings could bring it under.
        """
        cap = self.max_postings if max_postings is None else max_postings
        q = np.asarray(hashes).astype(np.uint64, copy=False).ravel()
        runs = self._runs()
        if q.size == 0 or not runs:
            return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)
        lefts = [seg.bound(q, "left") for seg, _, _ in runs]
        counts = np.stack([seg.bound(q, "right") for seg, _, _ in runs]) - np.stack(lefts)
        raw = counts.sum(axis=0)
        dead = np.asarray([n for _, _, n in runs], dtype=np.int64)
        lowest = raw - np.minimum(counts, dead[:, None]).sum(axis=0)
        wanted = lowest <= cap
        parts = []
        for (seg, dead_mask, _), left, found in zip(runs, lefts, counts, strict=True):
            count = np.where(wanted, found, 0)
            total = int(count.sum())
            if total == 0:
                continue
            query_idx = np.repeat(np.arange(q.size, dtype=np.int64), count)
            run_starts = np.repeat(left - (np.cumsum(count) - count), count)
            posting = run_starts + np.arange(total, dtype=np.int64)
            local, pos = np.asarray(seg.items[posting]), np.asarray(seg.pos[posting])
            if dead_mask is not None:
                keep = ~dead_mask[local]
                query_idx, local, pos = query_idx[keep], local[keep], pos[keep]
            parts.append((query_idx, seg.census_items[local], pos))
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32)
        query_idx, items, pos = (np.concatenate(cols) for cols in zip(*parts, strict=True))
        if np.any(wanted & (raw > cap)):
            keep = np.bincount(query_idx, minlength=q.size)[query_idx] <= cap
            query_idx, items, pos = query_idx[keep], items[keep], pos[keep]
        if len(parts) > 1:
            order = np.argsort(query_idx, kind="stable")
            query_idx, items, pos = query_idx[order], items[order], pos[order]
        return query_idx, items.astype(np.int32, copy=False), pos

    # -- persistence ----------------------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Persist the index in directory ``path``: the changes only if it was loaded from or
        saved to ``path``, else all of it as one segment. ``meta.json`` is replaced last."""
        target = Path(path)
        if target.is_file():
            log.warning("%s: replacing a single-file index with a segmented one", target)
            target.unlink()
        target.mkdir(parents=True, exist_ok=True)
        try:
            meta = _read_meta(target)
        except IndexMismatchError as exc:
            log.warning("%s; overwriting it", exc)
            meta = None
        home = target.resolve()
        if home == self._home and meta is not None and _disk_state(meta) != self._home_state:
            raise IndexMismatchError(
                f"{target}: changed on disk since this index was loaded (another writer?); "
                "load it again before saving"
            )
        runs = self._runs()
        kept = _disk_state(meta)
        _clean(target, set(kept[1]) if kept else set())
        if home == self._home and kept is not None:
            start, seg_id = self._merge_start(runs), self._next_id
        else:  # a new home: write everything, under ids its current meta does not use
            start, seg_id = 0, max(self._next_id, kept[0] if kept else 1)
        segments = [seg for seg, _, _ in runs[:start]]
        if runs[start:]:
            to_merge = [(seg, mask) for seg, mask, _ in runs[start:]]
            merged = _merge(to_merge, target, seg_id, self.merge_chunk)
            if merged is not None:
                segments.append(merged[0])
        tombstones = self._live_tombstones(segments)
        entries = [{"id": s.id, "postings": s.size, "low_bits": s.low, "max_key": s.max_key}
                   for s in segments]  # fmt: skip
        new_meta = {
            "format": FORMAT,
            "format_version": LAYOUT_VERSION,
            "kind": KIND,
            "stamp": self.stamp.to_json(),
            "next_segment": seg_id + 1,
            "segments": entries,
            "tombstones": sorted([item, gen] for item, gen in tombstones.items()),
        }
        _write_meta(target, new_meta)
        # Committed on disk: now the in-memory state follows.
        for item in self._buffer.item_ids():
            self._counts[item] = self._counts.get(item, 0) + self._buffer.item_size(item)
        self._buffer = PostingStore(sort=True)
        self._segments, self._tombstones, self._next_id = segments, tombstones, seg_id + 1
        self._home, self._home_state, self._views = home, _disk_state(new_meta), None
        _clean(target, {s.id for s in segments})
        log.info(
            "saved %s (%d codes, %d items, %d segments) to %s",
            KIND, len(self), len(self._counts), len(segments), target,
        )  # fmt: skip

    def _merge_start(self, runs: list[tuple[_Segment, np.ndarray | None, int]]) -> int:
        """Index of the first run to merge into the new segment (the buffer, last, always is).

        Only a suffix of runs is merged, so runs stay in insertion order. It starts at the oldest
        segment with too many dead postings, reaches back while the run before is no larger than
        what is merged (size-tiered), and far enough that at most ``max_segments`` remain.
        """
        live = [seg.size - dead for seg, _, dead in runs]
        on_disk = len(self._segments)
        start = on_disk
        for i, (seg, _, dead) in enumerate(runs[:on_disk]):
            if dead > self.dead_fraction * seg.size:
                start = i
                break
        merged = sum(live[start:])
        while start > 0 and live[start - 1] <= merged:
            start -= 1
            merged += live[start]
        return min(start, max(self.max_segments - 1, 0))

    def _live_tombstones(self, segments: list[_Segment]) -> dict[int, int]:
        """Tombstones that still hide postings in ``segments``."""
        out = {}
        for item, gen in self._tombstones.items():
            for seg in segments:
                i = int(np.searchsorted(seg.census_items, item))
                if seg.id <= gen and i < seg.census_items.size and seg.census_items[i] == item:
                    out[item] = gen
                    break
        return out

    @classmethod
    def load(cls, path: str | Path, stamp: IndexStamp) -> Self:
        """Open the index in directory ``path`` (memory-mapped), refusing another stamp."""
        source = Path(path)
        if not source.exists():
            raise NotFoundError(f"{source}: no such index")
        if not source.is_dir():
            raise IndexMismatchError(f"{source}: a single file, not a {KIND} directory")
        meta = _read_meta(source)
        if meta is None:
            raise IndexMismatchError(f"{source}: no {META}, not a {KIND} (or never saved)")
        diffs = meta["stamp"].differences(stamp)
        if diffs:
            raise IndexMismatchError(
                f"{source}: index was built for another signal setup ({'; '.join(diffs)})"
            )
        index = cls(stamp)
        index._segments = [_Segment.open(source, entry) for entry in meta["segments"]]
        index._tombstones = meta["tombstones"]
        for seg in index._segments:
            for item, count in zip(
                seg.census_items.tolist(), seg.census_counts.tolist(), strict=True
            ):
                if index._tombstones.get(item, -1) < seg.id:
                    index._counts[item] = index._counts.get(item, 0) + count
        index._next_id = meta["next_segment"]
        index._home, index._home_state = source.resolve(), _disk_state(meta)
        return index
