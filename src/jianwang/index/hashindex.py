"""An inverted index from integer hashes to (item, position) postings, answered by binary search.

Used by landmark audio hashes and text winnowing fingerprints: both only ever need exact-match
lookups, which a sorted key array serves with two ``np.searchsorted`` calls for a whole query.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Self

import numpy as np

from jianwang.index.base import Index, IndexStamp
from jianwang.index.postings import PostingStore
from jianwang.index.storage import read_index_file, write_index_file

log = logging.getLogger(__name__)

KIND = "hashindex"


class HashIndex(Index):
    """Exact-match hash index.

    ``max_postings`` skips, at lookup time, hashes with more postings than that: a hash found in
    thousands of places (silence, a stock phrase) says nothing about which work a query copies and
    would only flood the aligner. It is a query-time setting, not part of the stamp.
    """

    def __init__(self, stamp: IndexStamp, *, max_postings: int = 2000) -> None:
        self.stamp = stamp
        self.max_postings = max_postings
        self._store = PostingStore(sort=True)

    def add(self, item_id: int, codes: np.ndarray, positions: np.ndarray) -> None:
        """Append an item's hashes (uint32/uint64) and positions; nothing is re-sorted until the
        next lookup."""
        self._store.append(item_id, codes, positions)

    def remove(self, item_id: int) -> None:
        """Forget an item."""
        self._store.remove(item_id)

    def item_ids(self) -> set[int]:
        """Items present."""
        return self._store.item_ids()

    def item_size(self, item_id: int) -> int:
        """Hashes held for ``item_id``."""
        return self._store.item_size(item_id)

    def __len__(self) -> int:
        return len(self._store)

    def lookup(
        self, hashes: np.ndarray, *, max_postings: int | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All postings of ``hashes``, as ``(query_idx, item_ids, positions)``.

        ``query_idx[j]`` is the index into ``hashes`` that produced posting ``j``. Hashes with more
        than ``max_postings`` postings (default: the index's setting) are skipped.
        """
        cap = self.max_postings if max_postings is None else max_postings
        keys, items, positions = self._store.consolidate()
        q = np.asarray(hashes).astype(np.uint64, copy=False).ravel()
        if q.size == 0 or keys.size == 0:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty.astype(np.int32), empty.astype(np.float32)
        left = np.searchsorted(keys, q, side="left")
        right = np.searchsorted(keys, q, side="right")
        counts = right - left
        counts[counts > cap] = 0
        total = int(counts.sum())
        query_idx = np.repeat(np.arange(q.size, dtype=np.int64), counts)
        # Posting indices: each hash's run [left, right) laid end to end.
        run_starts = np.repeat(left - (np.cumsum(counts) - counts), counts)
        posting = run_starts + np.arange(total, dtype=np.int64)
        return query_idx, items[posting], positions[posting]

    def save(self, path: str | Path) -> None:
        """Write the index to ``path`` atomically."""
        keys, items, positions = self._store.consolidate()
        write_index_file(path, KIND, self.stamp, {"keys": keys, "items": items, "pos": positions})
        log.info(
            "saved %s (%d hashes, %d items) to %s", KIND, keys.size, len(self.item_ids()), path
        )

    @classmethod
    def load(cls, path: str | Path, stamp: IndexStamp) -> Self:
        """Read an index written with exactly ``stamp`` (else ``IndexMismatchError``)."""
        arrays = read_index_file(path, KIND, stamp)
        index = cls(stamp)
        keys = arrays["keys"]
        if keys.size > 1 and np.any(keys[1:] < keys[:-1]):
            order = np.argsort(keys, kind="stable")
            arrays = {name: a[order] for name, a in arrays.items()}
        index._store.load_columns(arrays["keys"], arrays["items"], arrays["pos"])
        return index
