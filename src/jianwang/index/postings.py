"""Columns of (code, item, position) postings that grow by appending, not by rebuilding.

Inserts go to a list of pending chunks; the consolidated arrays are rebuilt lazily, once, at the
first read after a change. Adding a thousand references therefore costs one concatenation (and
one sort for the hash index), not a thousand.
"""

from __future__ import annotations

from collections import Counter

import numpy as np


class PostingStore:
    """Parallel ``codes`` (uint64), ``items`` (int32) and ``positions`` (float32) columns.

    With ``sort=True`` the consolidated columns are ordered by code (stable, so an item's postings
    keep their order), which is what lets the hash index answer lookups by binary search.
    """

    def __init__(self, *, sort: bool) -> None:
        self._sort = sort
        self._codes = np.zeros(0, dtype=np.uint64)
        self._items = np.zeros(0, dtype=np.int32)
        self._positions = np.zeros(0, dtype=np.float32)
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._counts: Counter[int] = Counter()

    def append(self, item_id: int, codes: np.ndarray, positions: np.ndarray) -> None:
        """Queue one item's postings; validated here so a bad call fails at its source."""
        codes = np.asarray(codes)
        positions = np.asarray(positions, dtype=np.float32).ravel()
        if codes.ndim != 1 or codes.shape != positions.shape:
            raise ValueError(
                f"codes and positions must be 1-D of equal length, got {codes.shape} and "
                f"{positions.shape}"
            )
        if codes.size and not np.issubdtype(codes.dtype, np.integer):
            raise ValueError(f"codes must be integers, got {codes.dtype}")
        if not -(2**31) <= item_id < 2**31:
            raise ValueError(f"item_id {item_id} does not fit in int32")
        if codes.size == 0:
            return
        items = np.full(codes.shape, item_id, dtype=np.int32)
        self._pending.append((codes.astype(np.uint64), items, positions))
        self._counts[item_id] += int(codes.size)

    def remove(self, item_id: int) -> None:
        """Drop every posting of ``item_id``."""
        if item_id not in self._counts:
            return
        self.consolidate()
        keep = self._items != item_id
        self._codes, self._items = self._codes[keep], self._items[keep]
        self._positions = self._positions[keep]
        del self._counts[item_id]

    def consolidate(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The consolidated ``(codes, items, positions)``, merging pending chunks if any."""
        if self._pending:
            codes = np.concatenate([self._codes, *(p[0] for p in self._pending)])
            items = np.concatenate([self._items, *(p[1] for p in self._pending)])
            positions = np.concatenate([self._positions, *(p[2] for p in self._pending)])
            self._pending.clear()
            if self._sort:
                order = np.argsort(codes, kind="stable")
                codes, items, positions = codes[order], items[order], positions[order]
            self._codes, self._items, self._positions = codes, items, positions
        return self._codes, self._items, self._positions

    def load_columns(self, codes: np.ndarray, items: np.ndarray, positions: np.ndarray) -> None:
        """Replace the contents with saved columns (already in consolidated order)."""
        if not codes.shape == items.shape == positions.shape or codes.ndim != 1:
            raise ValueError("index columns have different lengths")
        self._codes = codes.astype(np.uint64, copy=False)
        self._items = items.astype(np.int32, copy=False)
        self._positions = positions.astype(np.float32, copy=False)
        self._pending.clear()
        ids, counts = np.unique(self._items, return_counts=True)
        self._counts = Counter({int(i): int(c) for i, c in zip(ids, counts, strict=True)})

    def item_ids(self) -> set[int]:
        """Items with at least one posting."""
        return set(self._counts)

    def item_size(self, item_id: int) -> int:
        """Postings held for ``item_id``."""
        return self._counts.get(item_id, 0)

    def __len__(self) -> int:
        return sum(self._counts.values())
