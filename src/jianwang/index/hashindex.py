"""An inverted index from integer hashes to (item, position) postings, answered by binary search.

Used by landmark audio hashes and text winnowing fingerprints: both only ever need exact-match
lookups, which a sorted key array serves with two ``np.searchsorted`` calls for a whole query.
"""

from __future__ import annotations

import numpy as np

from jianwang.index.base import IndexStamp
from jianwang.index.postings import PostingIndex


class HashIndex(PostingIndex):
    """Exact-match hash index.

    ``max_postings`` skips, at lookup time, hashes with more postings than that: a hash found in
    thousands of places (silence, a stock phrase) says nothing about which work a query copies and
    would only flood the aligner. It is a query-time setting, not part of the stamp.
    """

    KIND = "hashindex"
    COLUMNS = ("keys", "items", "pos")
    SORTED = True

    def __init__(self, stamp: IndexStamp, *, max_postings: int = 2000) -> None:
        super().__init__(stamp)
        self.max_postings = max_postings

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
